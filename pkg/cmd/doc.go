// Package cmd wires kubectl-virtwork's commands, and only wires them. Each
// command is one file: an Options struct, NewXOptions (defaults), AddFlags,
// Complete (the only step that reads kubeconfig, environment or files),
// Validate and Run, which calls one function of the package that does the
// job (deploy, cleanup, status, report, render). Every command that talks
// to a cluster builds its clients through connect, and Execute maps errors
// to the documented exit codes in one place.
package cmd
