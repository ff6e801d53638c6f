// Package templates holds the static files that virtwork writes into guests:
// systemd units, the scripts they run and fio job files, one folder per
// workload plus lib/ for pieces that several workloads share. The files
// contain no placeholders: every value a user chooses reaches them through
// the workload's EnvironmentFile, so they can be validated as they are.
package templates

import "embed"

// FS is the embedded template tree.
//
//go:embed lib cpu memory database network disk tps chaos-network chaos-disk chaos-process
var FS embed.FS
