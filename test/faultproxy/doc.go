// Package faultproxy is an HTTP reverse proxy that tests put between the
// plugin and the API server of test/cluster, to play the API server's bad
// days on purpose: 429s with Retry-After, bursts of 500 and 503, connections
// reset before or after the server acted, seconds of latency, and the server
// gone for good (Stop). It listens on plain HTTP on 127.0.0.1 and forwards to
// the real API server as the harness's admin, passing impersonation headers
// through; watch responses are flushed as they arrive.
//
// It also counts what passes: Reads and Writes (Writes counts requests that
// can change what the cluster stores — POST, PUT, PATCH and DELETE, except
// server-side dry runs and access reviews, which store nothing), Count for
// any other question, and Requests for the whole log. OnRequest runs a hook
// before each request is forwarded, which is how tests act at an exact point
// of a command (the Nth VirtualMachine patch, the first watch).
package faultproxy
