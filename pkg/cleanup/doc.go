// Package cleanup removes runs from a cluster by their labels alone, so it
// works after a crash, from any machine: it finds what one run (or every
// run) left — VirtualMachines, DataVolumes, PersistentVolumeClaims,
// Services, Secrets, the migrations disrupt made — in one namespace or all, asks before deleting,
// deletes each kind with one collection delete per namespace, waits until
// everything is gone, optionally deletes the namespaces virtwork created
// that hold nothing else, and records the cleanup in the audit history
// linked to the runs it removed.
package cleanup
