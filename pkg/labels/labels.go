// Package labels holds the label and annotation keys virtwork puts on every
// object it owns. Cleanup, status and wait find a run only through these, so
// they live in one place and never change spelling.
package labels

import "slices"

const (
	// Prefix starts every virtwork-owned key.
	Prefix = "virtwork/"

	// ManagedBy is set to ManagedByValue on every object of every run.
	ManagedBy      = "app.kubernetes.io/managed-by"
	ManagedByValue = "virtwork"
	// Component names the workload (cpu, database, ...).
	Component = "app.kubernetes.io/component"

	// RunID carries the run's UUID.
	RunID = Prefix + "run-id"
	// Role is the VM's role within its workload (worker, server, client).
	Role = Prefix + "role"
	// Chaos is set to "true" on every object of a workload that injects
	// failures, so dashboards and alerts can tell injected trouble apart.
	Chaos = Prefix + "chaos"

	// Instance is the index of the workload instance a VM belongs to; a
	// server/client pair shares it, and its Service selects on it.
	Instance = Prefix + "instance"

	// RunSlot and WorkloadSlot put a VM (its VMI and virt-launcher pod)
	// in one of the --vms-per-node N groups, "0" to N-1: a VM refuses a
	// node that holds a pod of its own group (required pod anti-affinity),
	// so a node holds at most N. RunSlot numbers the run's VMs, WorkloadSlot
	// one workload's when its cap was set in its workloads.<name> section.
	RunSlot      = Prefix + "run-slot"
	WorkloadSlot = Prefix + "workload-slot"

	// Preinstalled is the image label of a golden image (make
	// golden-image), set to "true": every built-in workload's packages are
	// in the image already, so its guests need no package mirror.
	// docs/golden-image.md documents it with the image's other labels.
	Preinstalled = Prefix + "preinstalled"
)

// CreatedByRun is the annotation apply puts on a namespace it created,
// naming the run that created it. A namespace without it existed before
// and is never claimed, changed or deleted by virtwork.
const CreatedByRun = Prefix + "created-by-run"

// FieldManager is the server-side apply field manager of every write.
const FieldManager = "kubectl-virtwork"

// Selector returns the label selector of every object of one run.
func Selector(runID string) string {
	return ManagedBy + "=" + ManagedByValue + "," + RunID + "=" + runID
}

// ListNamespace is where a run's objects are listed and watched: its
// namespace, or every namespace ("") for a run spread over several
// (--namespaces), whose objects elsewhere Covers then leaves out.
func ListNamespace(namespace string, namespaces []string) string {
	if len(namespaces) > 1 {
		return ""
	}
	return namespace
}

// Covers reports whether an object in namespace ns belongs to a run
// spread over namespaces (a cluster-wide list or watch sees every
// namespace); for a run in one namespace, every object listed does.
func Covers(namespaces []string, ns string) bool {
	return len(namespaces) <= 1 || slices.Contains(namespaces, ns)
}
