// Package report is what kubectl-virtwork tells people about a run: the
// summary apply and wait print (objects by kind and outcome, VMs that
// reached the target, failed or are still waiting, times from apply to
// Running and to ready), the audit history's tables, and the two rules
// every figure in them follows: one percentile function (nearest rank) and
// one order of kinds (the order apply sends them in), so apply's summary
// and history's detail of the same run print the same figures. It also
// prints the table of `kubectl virtwork workloads` from the model
// workloads.Describe builds. It reads and writes only what it is handed: a
// writer, and for history an open audit store.
package report
