package simulator

// Annotations read from a VirtualMachine.
const (
	// FaultAnnotation selects a Fault for one VM.
	FaultAnnotation = "virtwork.test/fault"
	// StartDelayAnnotation overrides the per-step delay for one VM, as a Go
	// duration such as "3s".
	StartDelayAnnotation = "virtwork.test/start-delay"
)

// Fault is a failure the simulator plays for a VM.
type Fault string

// Faults, as values of FaultAnnotation.
const (
	// FaultNone: the VM provisions and runs.
	FaultNone Fault = ""
	// FaultUnschedulable: the VMI stays Scheduling with PodScheduled=False
	// (reason Unschedulable); the VM shows ErrorUnschedulable.
	FaultUnschedulable Fault = "unschedulable"
	// FaultVMIFailed: the VMI reaches phase Failed; the VM shows
	// CrashLoopBackOff.
	FaultVMIFailed Fault = "vmi-failed"
	// FaultDVFailed: every DataVolume reaches phase Failed with reason
	// ImportFailed and no VMI is created; the VM shows DataVolumeError.
	FaultDVFailed Fault = "dv-failed"
	// FaultErrImagePull: the VMI stays Pending; the VM shows ErrImagePull.
	FaultErrImagePull Fault = "err-image-pull"
	// FaultSlowStart: every step waits Options.SlowStartDelay.
	FaultSlowStart Fault = "slow-start"
	// FaultWorkloadInactive: the VMI runs, but its readiness probe never
	// succeeds (the workload's unit is not active): Ready stays False.
	FaultWorkloadInactive Fault = "workload-inactive"
	// FaultDataSourceMissing: a DataVolume whose sourceRef names a
	// DataSource stays Pending (Bound False, reason NotFound), as CDI
	// leaves it while the DataSource does not exist; the VM stays
	// Provisioning.
	FaultDataSourceMissing Fault = "datasource-missing"
	// FaultCloneFailed: a cloned DataVolume (sourceRef or source.pvc)
	// reaches phase Failed with reason CloneFailed; imported and blank
	// ones succeed. The VM shows DataVolumeError.
	FaultCloneFailed Fault = "clone-failed"
	// FaultNeverTerminates: a deleted VMI never goes, as when virt-handler
	// cannot shut its guest down; cleanup then ends at its --timeout.
	FaultNeverTerminates Fault = "never-terminates"
	// FaultMigrationFails: a migration of the VM's VMI runs, then fails:
	// phase Failed, the VMI's and the migration's migrationState failed
	// with MigrationFailureReason; the VMI stays on its node.
	FaultMigrationFails Fault = "migration-fails"
	// FaultMigrationStuck: a migration of the VM's VMI reaches Running
	// and never completes.
	FaultMigrationStuck Fault = "migration-never-completes"
	// FaultNotReadyAfterRestart: the VM's first VMI becomes Ready, but
	// every later one (after a restart, or a stop and start) runs with
	// Ready False, as when the workload does not come back.
	FaultNotReadyAfterRestart Fault = "not-ready-after-restart"
)

// Faults lists every fault the simulator knows, for validation and docs.
func Faults() []Fault {
	return []Fault{FaultUnschedulable, FaultVMIFailed, FaultDVFailed, FaultErrImagePull, FaultSlowStart, FaultWorkloadInactive,
		FaultDataSourceMissing, FaultCloneFailed, FaultNeverTerminates, FaultMigrationFails, FaultMigrationStuck, FaultNotReadyAfterRestart}
}
