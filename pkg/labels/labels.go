// Package labels holds the label and annotation keys virtwork puts on every
// object it owns. Cleanup, status and wait find a run only through these, so
// they live in one place and never change spelling.
package labels

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
	// Instance is the index of the workload instance a VM belongs to; a
	// server/client pair shares it, and its Service selects on it.
	Instance = Prefix + "instance"
)

// Selector returns the label selector of every object of one run.
func Selector(runID string) string {
	return ManagedBy + "=" + ManagedByValue + "," + RunID + "=" + runID
}
