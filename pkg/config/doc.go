// Package config resolves one run's settings from four sources, highest
// precedence first: command-line flags, VIRTWORK_* environment variables, the
// --config YAML file (per-workload values before its top-level ones), and
// built-in defaults. Every value is parsed and validated where it is read, so
// an error names the flag, variable or file:line: key it came from and says
// how to fix it. The result is one typed Config that later steps trust.
package config
