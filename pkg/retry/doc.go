// Package retry repeats Kubernetes API requests that are safe to repeat —
// reads, server-side apply PATCHes, access reviews — when the API server
// or the network had a bad moment: throttling (honouring Retry-After),
// 5xx answers, timeouts and broken connections. Anything else, such as a
// refusal or an invalid object, is returned at once. apply and preflight
// share it, so both ride out the same faults.
package retry
