// Package bench measures apply and wait against the real API server of
// test/cluster, next to baselines run in the same process on the same
// server: kubectl's own server-side apply of the rendered file, and a bare
// concurrent server-side-apply loop (what the machine can do). Run with
// make bench; each benchmark runs once and reports seconds and ratios.
package bench
