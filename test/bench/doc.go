// Package bench measures apply and wait against the real API server of
// test/cluster, next to baselines run in the same process on the same
// server: kubectl's own server-side apply of the rendered file, and a bare
// concurrent server-side-apply loop (what the machine can do). Run with
// make bench; each benchmark runs once and reports seconds and ratios.
// BenchmarkScale runs the built binary through apply, wait and cleanup of
// 1,000, 3,000 and 10,000 VMs (VIRTWORK_BENCH_SIZES chooses), counting its
// requests through a proxy and reading its peak RSS from the kernel.
package bench
