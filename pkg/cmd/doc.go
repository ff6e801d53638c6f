// Package cmd wires kubectl-virtwork's commands. Each command is an
// Options struct (defaults, AddFlags, Complete, Validate, Run) over the
// library packages, so tests can build and run any command without a
// process; Execute maps errors to the documented exit codes in one place.
package cmd
