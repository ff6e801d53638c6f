// Package status reports the runs a cluster holds, found only by the
// labels every object of a run carries, so it answers for runs applied
// from anywhere and after a crash: each run's workloads, how many of its
// VMs are running, ready (their workload active) or failed, and its age;
// for one run, each VM's state, node and, when it is not ready, why. VM
// states are classified exactly as pkg/wait classifies them.
package status
