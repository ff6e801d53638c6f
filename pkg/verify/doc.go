// Package verify checks an applied run against its model: for every VM
// and every signal its workload declares (pkg/workloads' Signal), it
// queries a Prometheus over the run's window, one range query per signal,
// splits each VM's series where its level (or its peers') changes as
// pkg/profile says the guest changes it, skips a settle margin at each
// change, and compares the mean with the expected band. It finds which of
// a signal's spellings (KubeVirt renamed metrics over its versions) the
// Prometheus has. It reads no clock and no files: the window, the API and
// the run's configuration are its input. Around each of the run's
// disruptions (Options.Disruptions: migrations, restarts, stop/start) it
// judges continuity (continuity.go): a migration's gap in the raw samples
// by node label, a restart's load back in its band, absent() alerts that
// fired; those stretches are left out of the level checks, and an alert
// check (alerts.go) puts an alert's state there, and for its for: and
// evaluation interval after, down to the event rather than failing it
// (inEvent decides for both). Write and WriteHTML (JSON through
// report.JSON) print a result: a table, JSON, or a self-contained page of
// charts.
package verify
