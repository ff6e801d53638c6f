package simulator_test

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// newVMI waits for the VM's VMI other than the one with uid old to run,
// and for cond to hold for it.
func (e *day2Env) newVMI(t *testing.T, name string, old types.UID, what string, cond func(*kubevirtv1.VirtualMachineInstance) bool) *kubevirtv1.VirtualMachineInstance {
	t.Helper()
	return e.vmi(t, name, "", what, func(v *kubevirtv1.VirtualMachineInstance) bool {
		return v != nil && v.UID != old && v.Status.Phase == kubevirtv1.Running && cond(v)
	})
}

func ready(v *kubevirtv1.VirtualMachineInstance) bool {
	return condition(v, kubevirtv1.VirtualMachineInstanceReady) == corev1.ConditionTrue
}

// vmRV is the VM's resourceVersion now: watching from it sees every later
// change of its status.
func (e *day2Env) vmRV(t *testing.T, name string) string {
	t.Helper()
	u, err := e.client.Resource(simulator.VirtualMachines).Namespace(e.ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return u.GetResourceVersion()
}

// TestRestartMakesANewVMI: a deleted VMI of a VM with runStrategy Always
// shuts down (the VM Stopping, not ready) and comes back as a new VMI,
// with a new UID, that runs and becomes Ready; its metrics come back.
func TestRestartMakesANewVMI(t *testing.T) {
	e := newDay2Env(t, simulator.Options{Termination: 200 * time.Millisecond})
	e.createVM(t, "phoenix", nil)
	old := e.readyVMI(t, "phoenix")
	rv := e.vmRV(t, "phoenix")
	if err := e.client.Resource(simulator.VirtualMachineInstances).Namespace(e.ns).Delete(t.Context(), "phoenix", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	stopping := false
	e.vm(t, "phoenix", rv, "the VM Stopping, then Running and ready", func(vm *kubevirtv1.VirtualMachine) bool {
		stopping = stopping || vm.Status.PrintableStatus == kubevirtv1.VirtualMachineStatusStopping && !vm.Status.Ready
		return stopping && vm.Status.Ready && vm.Status.PrintableStatus == kubevirtv1.VirtualMachineStatusRunning
	})
	vmi := e.newVMI(t, "phoenix", old.UID, "a new Ready VMI", ready)
	if vmi.UID == old.UID {
		t.Fatalf("the VMI kept its UID %s", vmi.UID)
	}
	e.waitSeries(t, "phoenix", map[string]string{vmi.Status.NodeName: vmi.Status.NodeName})
}

// TestStopStart: runStrategy Halted stops the VM (its VMI gone, the VM
// Stopped and not ready, no metrics); Always again boots a new VMI that
// becomes Ready, and the VM ready.
func TestStopStart(t *testing.T) {
	e := newDay2Env(t, simulator.Options{})
	e.createVM(t, "sleeper", nil)
	old := e.readyVMI(t, "sleeper")
	e.setRunStrategy(t, "sleeper", kubevirtv1.RunStrategyHalted)
	e.vmi(t, "sleeper", "", "the VMI gone", func(v *kubevirtv1.VirtualMachineInstance) bool { return v == nil })
	e.vm(t, "sleeper", "", "the VM Stopped", func(vm *kubevirtv1.VirtualMachine) bool {
		return vm.Status.PrintableStatus == kubevirtv1.VirtualMachineStatusStopped && !vm.Status.Ready && !vm.Status.Created
	})
	if got := e.seriesNodes(t, "sleeper"); len(got) != 0 {
		t.Errorf("a stopped VM's series are on %v, want none", got)
	}
	e.setRunStrategy(t, "sleeper", kubevirtv1.RunStrategyAlways)
	e.newVMI(t, "sleeper", old.UID, "a new Ready VMI", ready)
	e.vm(t, "sleeper", "", "the VM Running and ready", func(vm *kubevirtv1.VirtualMachine) bool {
		return vm.Status.PrintableStatus == kubevirtv1.VirtualMachineStatusRunning && vm.Status.Ready
	})
}

func (e *day2Env) setRunStrategy(t *testing.T, name string, rs kubevirtv1.VirtualMachineRunStrategy) {
	t.Helper()
	patch := []byte(`{"spec":{"runStrategy":"` + string(rs) + `"}}`)
	if _, err := e.client.Resource(simulator.VirtualMachines).Namespace(e.ns).Patch(t.Context(), name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("setting runStrategy %s on %s: %v", rs, name, err)
	}
}

// TestNotReadyAfterRestart: with the fault, the VM's first VMI becomes
// Ready, and the one after a restart runs but is never Ready, its Ready
// condition and the VM saying why; so does the one after a stop and start.
func TestNotReadyAfterRestart(t *testing.T) {
	e := newDay2Env(t, simulator.Options{})
	e.createVM(t, "flaky", func(vm *kubevirtv1.VirtualMachine) {
		vm.Annotations = map[string]string{simulator.FaultAnnotation: string(simulator.FaultNotReadyAfterRestart)}
	})
	first := e.readyVMI(t, "flaky")
	if err := e.client.Resource(simulator.VirtualMachineInstances).Namespace(e.ns).Delete(t.Context(), "flaky", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	notReady := func(v *kubevirtv1.VirtualMachineInstance) bool {
		for _, c := range v.Status.Conditions {
			if c.Type == kubevirtv1.VirtualMachineInstanceReady {
				return c.Status == corev1.ConditionFalse && strings.Contains(c.Message, string(simulator.FaultNotReadyAfterRestart))
			}
		}
		return false
	}
	second := e.newVMI(t, "flaky", first.UID, "the restarted VMI running, not Ready for the fault", notReady)
	e.vm(t, "flaky", "", "the VM not ready for the fault", func(vm *kubevirtv1.VirtualMachine) bool {
		for _, c := range vm.Status.Conditions {
			if c.Type == kubevirtv1.VirtualMachineReady {
				return !vm.Status.Ready && vm.Status.PrintableStatus == kubevirtv1.VirtualMachineStatusRunning &&
					strings.Contains(c.Message, string(simulator.FaultNotReadyAfterRestart))
			}
		}
		return false
	})
	e.setRunStrategy(t, "flaky", kubevirtv1.RunStrategyHalted)
	e.vmi(t, "flaky", "", "the VMI gone", func(v *kubevirtv1.VirtualMachineInstance) bool { return v == nil })
	e.setRunStrategy(t, "flaky", kubevirtv1.RunStrategyAlways)
	e.newVMI(t, "flaky", second.UID, "the started VMI running, not Ready for the fault", notReady)
}

// TestMigrationFaults: with migration-fails the migration runs, then
// fails with MigrationFailureReason on its and the VMI's migrationState,
// the VMI staying on its node with its one Pod; with
// migration-never-completes (given through Options.Faults) it stays
// Running while another VM's migration, started after it, completes twice,
// and a second migration of its VMI fails, the first being in flight.
func TestMigrationFaults(t *testing.T) {
	e := newDay2Env(t, simulator.Options{
		MigrationDuration: 200 * time.Millisecond, MigrationPause: 200 * time.Millisecond,
		Faults: map[string]simulator.Fault{"stuck": simulator.FaultMigrationStuck},
	})
	e.createVM(t, "stuck", nil)
	e.createVM(t, "fails", func(vm *kubevirtv1.VirtualMachine) {
		vm.Annotations = map[string]string{simulator.FaultAnnotation: string(simulator.FaultMigrationFails)}
	})
	e.createVM(t, "healthy", nil)
	stuck, fails := e.readyVMI(t, "stuck"), e.readyVMI(t, "fails")
	e.readyVMI(t, "healthy")
	stuckMig := e.migrate(t, "stuck", "stuck-migration")
	e.migrate(t, "fails", "fails-migration")
	e.migrate(t, "healthy", "healthy-migration")

	failed := e.migration(t, "fails-migration", "the failing migration to end", final)
	checkPhases(t, failed, append(migrationPhases[:len(migrationPhases)-1:len(migrationPhases)-1], kubevirtv1.MigrationFailed))
	if ms := failed.Status.MigrationState; ms == nil || !ms.Failed || ms.FailureReason != simulator.MigrationFailureReason {
		t.Errorf("failed migration's migrationState = %+v, want failed with %q", ms, simulator.MigrationFailureReason)
	}
	vmi := e.vmi(t, "fails", "", "the VMI's migrationState failed", func(v *kubevirtv1.VirtualMachineInstance) bool {
		return v.Status.MigrationState != nil && v.Status.MigrationState.Failed
	})
	if vmi.Status.NodeName != fails.Status.NodeName || vmi.Status.MigrationState.FailureReason != simulator.MigrationFailureReason {
		t.Errorf("VMI on %s, migrationState %+v; want still on %s, failed with the reason", vmi.Status.NodeName, vmi.Status.MigrationState, fails.Status.NodeName)
	}
	if pods := e.waitLaunchers(t, string(vmi.UID), 1); pods[0].Spec.NodeName != fails.Status.NodeName {
		t.Errorf("the VMI's Pod is on %s, want its source %s", pods[0].Spec.NodeName, fails.Status.NodeName)
	}

	for _, name := range []string{"healthy-migration", e.migrateAfter(t, "healthy-migration", "healthy", "healthy-again")} {
		if m := e.migration(t, name, name+" to end", final); m.Status.Phase != kubevirtv1.MigrationSucceeded {
			t.Fatalf("%s: phase %s, want Succeeded", name, m.Status.Phase)
		}
	}
	m := e.migration(t, stuckMig, "the stuck migration Running", func(m *kubevirtv1.VirtualMachineInstanceMigration) bool { return m != nil })
	vmi = e.vmi(t, "stuck", "", "the stuck VMI", func(v *kubevirtv1.VirtualMachineInstance) bool { return v != nil })
	e.vm(t, "stuck", "", "the stuck VM Migrating", func(vm *kubevirtv1.VirtualMachine) bool {
		return vm.Status.PrintableStatus == kubevirtv1.VirtualMachineStatusMigrating && vm.Status.Ready
	})
	if m.Status.Phase != kubevirtv1.MigrationRunning || vmi.Status.NodeName != stuck.Status.NodeName ||
		vmi.Status.MigrationState == nil || vmi.Status.MigrationState.Completed || vmi.Status.MigrationState.StartTimestamp == nil {
		t.Errorf("stuck migration: phase %s, VMI on %s with migrationState %+v; want Running, on %s, started, not completed",
			m.Status.Phase, vmi.Status.NodeName, vmi.Status.MigrationState, stuck.Status.NodeName)
	}
	// One migration per VMI at a time: a second fails while the first is
	// in flight.
	second := e.migration(t, e.migrate(t, "stuck", "stuck-again"), "the second migration of the stuck VMI to end", final)
	if ms := second.Status.MigrationState; second.Status.Phase != kubevirtv1.MigrationFailed || ms == nil || !strings.Contains(ms.FailureReason, stuckMig) {
		t.Errorf("a second migration of a migrating VMI: phase %s, migrationState %+v; want Failed naming %s", second.Status.Phase, ms, stuckMig)
	}
}

// migrateAfter waits for the migration before to end, then migrates vmi
// again as name.
func (e *day2Env) migrateAfter(t *testing.T, before, vmi, name string) string {
	t.Helper()
	e.migration(t, before, before+" to end", final)
	return e.migrate(t, vmi, name)
}

// TestNewVMIFreshStatus: the VMI that comes back after a restart, or
// after a stop and start, is a new object: every phase it went through
// and every condition it has is stamped no earlier than its creation,
// never with its VM's first VMI's instants. Termination keeps the old VMI
// more than a second, so the API's one-second stamps tell them apart.
func TestNewVMIFreshStatus(t *testing.T) {
	e := newDay2Env(t, simulator.Options{Termination: 1100 * time.Millisecond})
	for name, stop := range map[string]func(t *testing.T, name string){
		"restart": func(t *testing.T, name string) {
			if err := e.client.Resource(simulator.VirtualMachineInstances).Namespace(e.ns).Delete(t.Context(), name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		},
		"stop-start": func(t *testing.T, name string) {
			e.setRunStrategy(t, name, kubevirtv1.RunStrategyHalted)
			e.vmi(t, name, "", "the VMI gone", func(v *kubevirtv1.VirtualMachineInstance) bool { return v == nil })
			e.setRunStrategy(t, name, kubevirtv1.RunStrategyAlways)
		},
	} {
		t.Run(name, func(t *testing.T) {
			e.createVM(t, name, nil)
			old := e.readyVMI(t, name)
			stop(t, name)
			vmi := e.newVMI(t, name, old.UID, "a new Ready VMI", ready)
			born := vmi.CreationTimestamp.Time
			if !born.After(old.CreationTimestamp.Time) {
				t.Fatalf("new VMI created %s, not after the old one's %s", born, old.CreationTimestamp)
			}
			for _, p := range vmi.Status.PhaseTransitionTimestamps {
				if p.PhaseTransitionTimestamp.Time.Before(born) {
					t.Errorf("phase %s stamped %s, before the VMI was created at %s", p.Phase, p.PhaseTransitionTimestamp, born)
				}
			}
			for _, c := range vmi.Status.Conditions {
				if c.LastTransitionTime.Time.Before(born) {
					t.Errorf("condition %s stamped %s, before the VMI was created at %s", c.Type, c.LastTransitionTime, born)
				}
			}
		})
	}
}
