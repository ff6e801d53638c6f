package faultproxy

// Parse exposes parse to the external tests.
var Parse = parse
