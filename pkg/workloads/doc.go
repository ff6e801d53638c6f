// Package workloads defines what runs inside a virtwork VM. A Workload names
// its VM roles, its data disks and Service, and its typed params, and turns a
// validated Instance into cloud-init: packages, files from the embedded
// templates, and the commands that enable its systemd units.
//
// User input reaches the guest only as validated param values written to an
// EnvironmentFile; unit files and scripts are static templates, so no value a
// user types can add a unit directive or a shell command.
package workloads
