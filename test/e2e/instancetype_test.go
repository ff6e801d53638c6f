package e2e

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/verify"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// sizingObject is an instancetype.kubevirt.io object of kind: spec as given.
func sizingObject(kind, name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetAPIVersion("instancetype.kubevirt.io/v1beta1")
	u.SetKind(kind)
	u.SetName(name)
	return u
}

// createClusterScoped creates obj, which outlives the test's namespace,
// and deletes it when the test ends.
func (e *env) createClusterScoped(t *testing.T, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) {
	t.Helper()
	r := e.client.Resource(gvr)
	if _, err := r.Create(t.Context(), obj, metav1.CreateOptions{FieldValidation: "Strict"}); err != nil {
		t.Fatalf("creating %s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
	t.Cleanup(func() { _ = r.Delete(context.Background(), obj.GetName(), metav1.DeleteOptions{}) })
}

// TestInstancetypesPassTheSchema: runs sized by instance types and
// preferences, cluster-wide and namespaced, with a containerDisk and a
// DataSource clone, pass KubeVirt's VirtualMachine schema on the API server
// (a server dry run with strict field validation); the four
// instancetype.kubevirt.io CRDs take objects like common-instancetypes'.
func TestInstancetypesPassTheSchema(t *testing.T) {
	e := newEnv(t)
	p := newPlugin(t)
	it := map[string]any{"cpu": map[string]any{"guest": int64(1)}, "memory": map[string]any{"guest": "4Gi"}}
	pref := map[string]any{"cpu": map[string]any{"preferredCPUTopology": "sockets"}, "devices": map[string]any{"preferredDiskBus": "virtio"}}
	medium, fedora := e.ns+"-u1.medium", e.ns+"-fedora"
	e.createClusterScoped(t, simulator.VirtualMachineClusterInstancetypes, sizingObject("VirtualMachineClusterInstancetype", medium, it))
	e.createClusterScoped(t, simulator.VirtualMachineClusterPreferences, sizingObject("VirtualMachineClusterPreference", fedora, pref))
	e.create(t, simulator.VirtualMachineInstancetypes, sizingObject("VirtualMachineInstancetype", "small", it))
	e.create(t, simulator.VirtualMachinePreferences, sizingObject("VirtualMachinePreference", "fedora", pref))
	ds, _ := e.cloneSources(t)
	for _, args := range [][]string{
		{"--instancetype", medium, "--preference", fedora},
		{"--instancetype", "virtualmachineinstancetype/small", "--preference", "virtualmachinepreference/fedora",
			"--boot-source", ds, "--root-disk-size", "40Gi"},
	} {
		o := p.run(t.Context(), append([]string{"apply", "-n", e.ns, "--workloads", "disk,cpu", "--dry-run=server", "-o", "json"}, args...)...)
		if o.code != 0 || !strings.Contains(o.stdout, `"created": 2`) {
			t.Errorf("%v: server dry run exit %d\n%s%s", args, o.code, o.stdout, o.stderr)
		}
	}

	// preflight (and apply before it writes anything) finds each one the
	// VMs name, and names what is missing.
	o := p.run(t.Context(), "preflight", "-n", e.ns, "--workloads", "cpu", "--instancetype", medium, "--preference", "virtualmachinepreference/rhel")
	for _, line := range []string{
		"[ok]      VirtualMachineClusterInstancetype " + medium + ": exists",
		"[missing] VirtualMachinePreference " + e.ns + "/rhel: not found (kubectl get virtualmachinepreferences -A lists what there is)",
	} {
		if o.code != 1 || !strings.Contains(o.stdout, line) {
			t.Errorf("preflight with a missing preference: exit %d, want 1 and the line %q:\n%s%s", o.code, line, o.stdout, o.stderr)
		}
	}
}

// TestSimulatorInstancetypes: the simulator sizes a VMI from its VM's
// instance type, as KubeVirt's VM controller does (vCPUs as sockets, or as
// cores when the preference prefers them) and reports the size in its
// status; a VM whose instance type does not exist gets no VMI and says why.
func TestSimulatorInstancetypes(t *testing.T) {
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	medium := e.ns + "-medium"
	e.createClusterScoped(t, simulator.VirtualMachineClusterInstancetypes, sizingObject("VirtualMachineClusterInstancetype", medium,
		map[string]any{"cpu": map[string]any{"guest": int64(2)}, "memory": map[string]any{"guest": "3Gi"}}))
	e.create(t, simulator.VirtualMachineInstancetypes, sizingObject("VirtualMachineInstancetype", "small",
		map[string]any{"cpu": map[string]any{"guest": int64(4)}, "memory": map[string]any{"guest": "1Gi"}}))
	e.create(t, simulator.VirtualMachinePreferences, sizingObject("VirtualMachinePreference", "cores",
		map[string]any{"cpu": map[string]any{"preferredCPUTopology": "cores"}}))

	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	must(t, os.WriteFile(cfg, []byte("workloads:\n  cpu:\n    instancetype: "+medium+"\n"+
		"  memory:\n    instancetype: virtualmachineinstancetype/small\n    preference: virtualmachinepreference/cores\n"), 0o600))
	p := newPlugin(t)
	runID := "5a5a5a5a-1111-4111-8111-111111111111"
	mustRun(t, p.run(t.Context(), "apply", "-n", e.ns, "--run-id", runID, "--workloads", "cpu,memory", "--config", cfg, "--timeout", "2m"), "apply with instance types")

	want := map[string]struct{ cpu, memory, topology string }{
		"cpu":    {"sockets=2 cores=1 threads=1", "3Gi", "sockets=2 cores=1 threads=1"},
		"memory": {"sockets=1 cores=4 threads=1", "1Gi", "sockets=1 cores=4 threads=1"},
	}
	for workload, w := range want {
		vmis := e.labelled(t, vmiGVR, labels.Component+"="+workload)
		if len(vmis) != 1 {
			t.Fatalf("%s: %d VMIs, want 1", workload, len(vmis))
		}
		vmi := &vmis[0]
		if got := topology(vmi, "spec", "domain", "cpu"); got != w.cpu {
			t.Errorf("%s: VMI domain.cpu %s, want %s", workload, got, w.cpu)
		}
		if got := field(vmi, "spec", "domain", "memory", "guest"); got != w.memory {
			t.Errorf("%s: VMI memory.guest %s, want %s", workload, got, w.memory)
		}
		if got := topology(vmi, "status", "currentCPUTopology"); got != w.topology {
			t.Errorf("%s: VMI status.currentCPUTopology %s, want %s", workload, got, w.topology)
		}
		if got := field(vmi, "status", "memory", "guestCurrent"); got != w.memory {
			t.Errorf("%s: VMI status.memory.guestCurrent %s, want %s", workload, got, w.memory)
		}
	}

	// verify reads the sizes it checks against from the same VMIs.
	sizes, err := verify.ReadSizes(t.Context(), e.client, e.ns, runID)
	must(t, err)
	wantSizes := map[string]verify.Size{"virtwork-cpu-5a5a5a5a-0": {VCPUs: 2, MemoryBytes: 3 << 30}, "virtwork-memory-5a5a5a5a-0": {VCPUs: 4, MemoryBytes: 1 << 30}}
	if !maps.Equal(sizes, wantSizes) {
		t.Errorf("verify.ReadSizes = %v, want %v", sizes, wantSizes)
	}

	vm := newVM(t, "sized-missing", "", nil)
	must(t, unstructured.SetNestedMap(vm.Object, map[string]any{"kind": "VirtualMachineClusterInstancetype", "name": e.ns + "-absent"}, "spec", "instancetype"))
	e.create(t, vmGVR, vm)
	eventually(t, 30*time.Second, func() string { return "the VM with a missing instance type to say so" }, func(ctx context.Context) (bool, error) {
		got, err := e.get(ctx, vmGVR, "sized-missing")
		if err != nil || got == nil {
			return false, err
		}
		return strings.Contains(fmt.Sprint(condition(got, "Ready")["message"]), "FailedFindInstancetype"), nil
	})
	if vmi, err := e.get(t.Context(), vmiGVR, "sized-missing"); err != nil || vmi != nil {
		t.Errorf("VMI of a VM whose instance type is missing: %v, %v; want none", vmi, err)
	}
}

// topology prints the sockets, cores and threads at path of obj.
func topology(obj *unstructured.Unstructured, path ...string) string {
	m, _, _ := unstructured.NestedMap(obj.Object, path...)
	var parts []string
	for _, k := range []string{"sockets", "cores", "threads"} {
		v, _, _ := unstructured.NestedInt64(m, k)
		parts = append(parts, k+"="+strconv.FormatInt(v, 10))
	}
	return strings.Join(parts, " ")
}
