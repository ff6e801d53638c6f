// Package deploy is a run's lifecycle on a cluster, the job of `apply`
// and `wait`: check what applying needs (preflight), send the rendered
// bundle with server-side apply, follow its VMs until each reaches the
// target (ready or running) or fails, record every step in the audit
// history, and hand back the report.Summary of it all. The commands only
// parse flags, build clients and print; everything here is testable with
// the test API server and no cobra.
package deploy
