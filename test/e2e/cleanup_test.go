package e2e

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// left counts the objects of kind gvr carrying selector, terminating ones
// included.
func (e *env) left(t *testing.T, selector string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, gvr := range append(gvrs(), pvcGVR) {
		l, err := e.resource(gvr).List(t.Context(), metav1.ListOptions{LabelSelector: selector})
		must(t, err)
		if len(l.Items) > 0 {
			out[gvr.Resource] = len(l.Items)
		}
	}
	return out
}

// TestCleanupWaitsForVMIs: a deleted VMI lingers while its guest shuts
// down (the simulator's Termination, as virt-handler takes); cleanup
// returns only once the VMIs are gone too and says what it waited for,
// and status then shows nothing of the run. --wait=false returns at once
// and says what is still terminating; a second cleanup then waits for it.
func TestCleanupWaitsForVMIs(t *testing.T) {
	e := newEnv(t)
	opts := simulatorOptions()
	opts.Termination = 3 * time.Second
	e.simulate(t, opts)
	p := newPlugin(t)
	ids := []string{"c1000000-1111-4111-8111-111111111111", "c2000000-1111-4111-8111-111111111111"}
	for _, id := range ids {
		mustRun(t, p.run(t.Context(), "apply", "-n", e.ns, "--workloads", "cpu", "--vm-count", "5", "--run-id", id, "--timeout", "1m"), "apply")
	}

	o := mustRun(t, p.run(t.Context(), "cleanup", "-n", e.ns, "--run-id", ids[0], "--yes"), "cleanup")
	if left := e.left(t, labels.Selector(ids[0])); len(left) != 0 {
		t.Errorf("cleanup returned with %v of the run left", left)
	}
	if !strings.Contains(o.stderr, "all gone after") || !strings.Contains(o.stderr, "5 VirtualMachineInstance") {
		t.Errorf("cleanup does not say it waited for the 5 VMIs:\n%s", o.stderr)
	}
	st := p.run(t.Context(), "status", "-n", e.ns, "--run-id", ids[0])
	if st.code == 0 || !strings.Contains(st.stderr, "has no VirtualMachines") {
		t.Errorf("status of the cleaned-up run: exit %d\n%s%s", st.code, st.stdout, st.stderr)
	}
	if all := mustRun(t, p.run(t.Context(), "status", "-n", e.ns), "status"); strings.Contains(all.stdout, ids[0]) {
		t.Errorf("status lists the cleaned-up run:\n%s", all.stdout)
	}

	quick := mustRun(t, p.run(t.Context(), "cleanup", "-n", e.ns, "--run-id", ids[1], "--yes", "--wait=false"), "cleanup --wait=false")
	if !strings.Contains(quick.stderr, "still terminating: 5 VirtualMachineInstance") {
		t.Errorf("cleanup --wait=false does not say what is still terminating:\n%s", quick.stderr)
	}
	if left := e.left(t, labels.Selector(ids[1])); left["virtualmachineinstances"] != 5 {
		t.Errorf("right after cleanup --wait=false: %v left, want the 5 VMIs still terminating", left)
	}
	// A second cleanup finds nothing to delete, but the VMIs are not gone:
	// it says so and waits for them.
	again := mustRun(t, p.run(t.Context(), "cleanup", "-n", e.ns, "--run-id", ids[1], "--yes"), "second cleanup")
	if !strings.Contains(again.stdout, "nothing left to delete of run "+ids[1]) || !strings.Contains(again.stdout, "still terminating: 5 VirtualMachineInstance") ||
		!strings.Contains(again.stderr, "nothing left of run "+ids[1]+"; all gone after") {
		t.Errorf("a second cleanup while the VMIs terminate does not say it waits for them:\n%s%s", again.stdout, again.stderr)
	}
	if left := e.left(t, labels.Selector(ids[1])); len(left) != 0 {
		t.Errorf("the second cleanup returned with %v left", left)
	}
}

// TestCleanupTimesOutOnAVMIThatNeverGoes: a VMI whose guest never shuts
// down keeps cleanup waiting until --timeout, which then fails (exit 1)
// listing what is left.
func TestCleanupTimesOutOnAVMIThatNeverGoes(t *testing.T) {
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	id := "c3000000-1111-4111-8111-111111111111"
	vm := newVM(t, "stuck", id, map[string]string{simulator.FaultAnnotation: string(simulator.FaultNeverTerminates)})
	tmpl, _, err := unstructured.NestedStringMap(vm.Object, "spec", "template", "metadata", "labels")
	must(t, err)
	tmpl[labels.ManagedBy] = labels.ManagedByValue
	must(t, unstructured.SetNestedStringMap(vm.Object, tmpl, "spec", "template", "metadata", "labels"))
	e.create(t, vmGVR, vm)
	e.waitField(t, vmiGVR, "stuck", "Running", "status", "phase")

	p := newPlugin(t)
	o := p.run(t.Context(), "cleanup", "-n", e.ns, "--run-id", id, "--yes", "--timeout", "10s")
	if o.code != 1 || !strings.Contains(o.stderr, "not everything was deleted within 10s") || !strings.Contains(o.stderr, "VirtualMachineInstance  1") {
		t.Errorf("cleanup of a VMI that never terminates: exit %d, want 1 listing it\n%s%s", o.code, o.stdout, o.stderr)
	}
	vmi, err := e.get(t.Context(), vmiGVR, "stuck")
	if err != nil || vmi == nil || vmi.GetDeletionTimestamp() == nil {
		t.Errorf("the stuck VMI after cleanup: %v (%v), want it there, terminating", vmi, err)
	}
}
