// Package workloads defines what runs inside a virtwork VM. A workload is
// a directory: a workload.yaml that names its VM roles, data disks,
// Service, typed params and packages, next to the units, scripts, drop-ins
// and data files it installs. The built-in workloads are the embedded
// directories of templates/ (Builtin); custom ones are read from
// --workload-dir (LoadDir). Both are one Definition, loaded, checked and
// turned into cloud-init by the same code. Describe is the registry as
// `kubectl virtwork workloads` lists it (pkg/report prints it).
//
// User input reaches the guest only as validated param values, written to
// an EnvironmentFile or in place of a {{ param }} placeholder; every other
// byte is a file of the directory, checked when it was loaded, so no value
// a user types can add a unit directive or a shell command.
package workloads
