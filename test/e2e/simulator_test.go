package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// TestSimulatorHappyPath checks a VM goes Provisioning -> Starting ->
// Running with its DataVolume imported and its VMI carrying the template's
// labels, a node and a Ready condition.
func TestSimulatorHappyPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	w, err := e.resource(vmGVR).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=happy"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	e.create(t, vmGVR, newVM(t, "happy", "happy-run", nil))

	var statuses []string
	for len(statuses) == 0 || statuses[len(statuses)-1] != "Running" {
		select {
		case <-ctx.Done():
			t.Fatalf("VM printableStatus went %v, never Running", statuses)
		case ev, ok := <-w.ResultChan():
			if !ok || ev.Type == watch.Error {
				t.Fatalf("watch ended: %v; statuses so far %v", ev.Object, statuses)
			}
			s := field(ev.Object.(*unstructured.Unstructured), "status", "printableStatus")
			if s != "" && (len(statuses) == 0 || statuses[len(statuses)-1] != s) {
				statuses = append(statuses, s)
			}
		}
	}
	if diff := cmp.Diff([]string{"Provisioning", "Starting", "Running"}, statuses); diff != "" {
		t.Errorf("VM printableStatus sequence (-want +got):\n%s", diff)
	}

	vm, err := e.get(t.Context(), vmGVR, "happy")
	must(t, err)
	ready, _, _ := unstructured.NestedBool(vm.Object, "status", "ready")
	created, _, _ := unstructured.NestedBool(vm.Object, "status", "created")
	if !ready || !created {
		t.Errorf("VM status ready=%v created=%v, want both true", ready, created)
	}

	dv, err := e.get(t.Context(), dvGVR, "happy-rootdisk")
	must(t, err)
	if got := [2]string{field(dv, "status", "phase"), field(dv, "status", "progress")}; got != [2]string{"Succeeded", "100.0%"} {
		t.Errorf("DataVolume phase, progress = %v, want Succeeded, 100.0%%", got)
	}
	if got := dv.GetLabels()[runIDLabel]; got != "happy-run" {
		t.Errorf("DataVolume label %s = %q, want happy-run from its template", runIDLabel, got)
	}

	vmi, err := e.get(t.Context(), vmiGVR, "happy")
	must(t, err)
	if got := field(vmi, "status", "nodeName"); got == "" {
		t.Error("running VMI has no status.nodeName")
	}
	if got := vmi.GetLabels()["kubevirt.io/domain"]; got != "happy" {
		t.Errorf("VMI label kubevirt.io/domain = %q, want happy from the template", got)
	}
	if got := condition(vmi, "Ready"); got["status"] != "True" {
		t.Errorf("VMI Ready condition = %v, want status True", got)
	}
}

// TestSimulatorFaults checks each fault annotation shows up on the VM, VMI
// and DataVolume the way the real failure does.
func TestSimulatorFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	tests := []struct {
		fault  simulator.Fault
		status string
		check  func(t *testing.T, name string)
	}{
		{
			fault:  simulator.FaultUnschedulable,
			status: "ErrorUnschedulable",
			check: func(t *testing.T, name string) {
				vmi := e.waitField(t, vmiGVR, name, "Scheduling", "status", "phase")
				got := condition(vmi, "PodScheduled")
				if got["status"] != "False" || got["reason"] != "Unschedulable" {
					t.Errorf("VMI PodScheduled condition = %v, want status False reason Unschedulable", got)
				}
			},
		},
		{
			fault:  simulator.FaultVMIFailed,
			status: "CrashLoopBackOff",
			check: func(t *testing.T, name string) {
				e.waitField(t, vmiGVR, name, "Failed", "status", "phase")
			},
		},
		{
			fault:  simulator.FaultDVFailed,
			status: "DataVolumeError",
			check: func(t *testing.T, name string) {
				dv := e.waitField(t, dvGVR, name+"-rootdisk", "Failed", "status", "phase")
				if got := condition(dv, "Running"); got["reason"] == "" {
					t.Errorf("failed DataVolume Running condition = %v, want a reason", got)
				}
				if vmi, err := e.get(t.Context(), vmiGVR, name); err != nil || vmi != nil {
					t.Errorf("VMI of a VM whose DataVolume failed: %v, %v; want none", vmi, err)
				}
			},
		},
		{
			fault:  simulator.FaultErrImagePull,
			status: "ErrImagePull",
			check: func(t *testing.T, name string) {
				e.waitField(t, vmiGVR, name, "Pending", "status", "phase")
			},
		},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault), func(t *testing.T) {
			t.Parallel()
			name := "fault-" + string(tt.fault)
			e.create(t, vmGVR, newVM(t, name, "faults", map[string]string{simulator.FaultAnnotation: string(tt.fault)}))
			vm := e.waitField(t, vmGVR, name, tt.status, "status", "printableStatus")
			if ready, _, _ := unstructured.NestedBool(vm.Object, "status", "ready"); ready {
				t.Errorf("VM with fault %s reports ready", tt.fault)
			}
			tt.check(t, name)
		})
	}
}

// TestSimulatorSlowStart checks slow-start VMs take SlowStartDelay per step
// while others run at StepDelay.
func TestSimulatorSlowStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const slow = 2 * time.Second
	e.simulate(t, simulator.Options{StepDelay: 100 * time.Millisecond, SlowStartDelay: slow})
	start := time.Now()
	e.create(t, vmGVR, newVM(t, "slow", "slow-run", map[string]string{simulator.FaultAnnotation: string(simulator.FaultSlowStart)}))
	e.create(t, vmGVR, newVM(t, "fast", "slow-run", nil))

	e.waitField(t, vmGVR, "fast", "Running", "status", "printableStatus")
	vm, err := e.get(t.Context(), vmGVR, "slow")
	must(t, err)
	if got := field(vm, "status", "printableStatus"); got == "Running" {
		t.Fatalf("slow-start VM was Running as soon as the normal one")
	}
	e.waitField(t, vmGVR, "slow", "Running", "status", "printableStatus")
	// DataVolume import, then Pending -> Scheduling -> Scheduled -> Running:
	// four delayed steps.
	if elapsed := time.Since(start); elapsed < 4*slow {
		t.Errorf("slow-start VM was Running after %s, want at least %s", elapsed, 4*slow)
	}
}

// condition returns the status.conditions entry of type t, nil if absent.
func condition(obj *unstructured.Unstructured, t string) map[string]any {
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == t {
			return m
		}
	}
	return nil
}

// TestSimulatorReadinessProbe: a VM with a readiness probe runs before it is
// Ready, becomes Ready a step later, and with the workload-inactive fault
// runs but never becomes Ready, as a failing probe leaves it.
func TestSimulatorReadinessProbe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	withProbe := func(name string, annotations map[string]string) string {
		vm := newVM(t, name, "probe", annotations)
		must(t, unstructured.SetNestedField(vm.Object, map[string]any{
			"exec":          map[string]any{"command": []any{"systemctl", "is-active", "--quiet", "virtwork-cpu.service"}},
			"periodSeconds": int64(10),
		}, "spec", "template", "spec", "readinessProbe"))
		e.create(t, vmGVR, vm)
		return name
	}
	// The good VM: its VMI's watch shows it Running with Ready not True
	// first, then Ready True. A watch, not polls: on a busy machine a poll
	// can miss the step between the two.
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	w, err := e.resource(vmiGVR).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=probe-ok"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	good := withProbe("probe-ok", nil)
	bad := withProbe("probe-inactive", map[string]string{simulator.FaultAnnotation: string(simulator.FaultWorkloadInactive)})
	var seen []string // the Ready status of each event while Running
	for len(seen) == 0 || seen[len(seen)-1] != "True" {
		select {
		case <-ctx.Done():
			t.Fatalf("VMI %s never became Ready; Ready while Running went %v", good, seen)
		case ev, ok := <-w.ResultChan():
			if !ok || ev.Type == watch.Error {
				t.Fatalf("watch ended: %v; Ready while Running went %v", ev.Object, seen)
			}
			vmi := ev.Object.(*unstructured.Unstructured)
			if field(vmi, "status", "phase") == "Running" {
				seen = append(seen, fmt.Sprint(condition(vmi, "Ready")["status"]))
			}
		}
	}
	if seen[0] == "True" {
		t.Errorf("VMI %s was Ready as soon as it ran, before its probe", good)
	}
	e.waitField(t, vmGVR, good, "Running", "status", "printableStatus")

	vmi := e.waitField(t, vmiGVR, bad, "Running", "status", "phase")
	vm := e.waitField(t, vmGVR, bad, "Running", "status", "printableStatus")
	if got := condition(vmi, "Ready"); got["status"] != "False" || !strings.Contains(fmt.Sprint(got["message"]), "workload-inactive") {
		t.Errorf("VMI Ready condition with fault workload-inactive: %v", got)
	}
	if ready, _, _ := unstructured.NestedBool(vm.Object, "status", "ready"); ready {
		t.Errorf("VM %s reports ready with its workload inactive", bad)
	}
}
