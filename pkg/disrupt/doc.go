// Package disrupt carries out day-2 events on the VMs of a run while its
// workloads run: live migrations (a VirtualMachineInstanceMigration per
// VM), restarts (the VMI deleted for runStrategy Always to bring back, or
// the restart subresource where virt-api serves it) and stop/start
// (runStrategy Halted, then back). Each round chooses its VMs from a seeded
// shuffle, so a run can be disrupted again the same way; each event is
// followed until it completed, failed or timed out, and recorded in the
// audit history; the summary gives per kind the success rate and the
// duration percentiles, and per VM the time its workload was not ready.
package disrupt
