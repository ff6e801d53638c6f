// Package resilience drives the built plugin through the bad days of a
// real API server: faults played by test/faultproxy (throttling, bursts of
// server errors, connection resets, latency, a server gone for good),
// SIGKILL at fixed points of an apply, and SIGINT during apply and wait.
// Each test checks what is left in the cluster, the summary and the audit
// history, not only the exit code. The tests run on the control plane of
// test/cluster and skip without its binaries, unless
// VIRTWORK_REQUIRE_CLUSTER=1.
package resilience
