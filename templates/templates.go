// Package templates holds the built-in workloads, one directory each: a
// workload.yaml and the systemd units, scripts, drop-ins and data files it
// installs, in the same format as a custom workload directory (see
// pkg/workloads). lib/ holds what several workloads share: the data disk's
// setup script; virtwork-level.sh, which reads a load profile's
// schedule file (pkg/profile); virtwork-service-host.sh, which writes
// a client VM's Service host from its name at first boot; and
// virtwork-check-packages.sh, which every service unit runs first to name a
// package it needs that the guest lacks. Adding a directory here adds a built-in workload; nothing
// else lists them.
package templates

import "embed"

// FS is the embedded template tree: every file of every directory.
//
//go:embed */*
var FS embed.FS
