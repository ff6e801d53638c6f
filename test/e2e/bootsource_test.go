package e2e

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// bootSources are the --boot-source forms, each with a data disk workload
// so a VM has a root and a data DataVolume template.
var bootSources = []string{
	"datasource:openshift-virtualization-os-images/fedora",
	"pvc:golden-images/fedora-44",
	"registry:quay.io/containerdisks/fedora:44",
	"http:https://download.example.com/fedora-44.qcow2",
}

// TestBootSourcesPassTheSchema: a run with each boot source passes
// KubeVirt's VirtualMachine schema and CDI's DataVolume schema on the API
// server (a server dry run with strict field validation), as do the
// root disk size and storage class.
func TestBootSourcesPassTheSchema(t *testing.T) {
	e := newEnv(t)
	p := newPlugin(t)
	for _, src := range bootSources {
		o := p.run(t.Context(), "apply", "-n", e.ns, "--workloads", "disk,cpu", "--boot-source", src,
			"--root-disk-size", "40Gi", "--storage-class", "fast", "--guest", "fedora", "--dry-run=server", "-o", "json")
		if o.code != 0 || !strings.Contains(o.stdout, `"created": 2`) {
			t.Errorf("%s: server dry run exit %d\n%s%s", src, o.code, o.stdout, o.stderr)
		}
	}
}

// withRootSource is newVM with its root DataVolume filled from spec's
// source (a sourceRef or a source).
func withRootSource(t *testing.T, name string, annotations map[string]string, key string, source map[string]any) *unstructured.Unstructured {
	vm := newVM(t, name, "boot", annotations)
	dvts, _, err := unstructured.NestedSlice(vm.Object, "spec", "dataVolumeTemplates")
	must(t, err)
	spec := dvts[0].(map[string]any)["spec"].(map[string]any)
	delete(spec, "source")
	spec[key] = source
	must(t, unstructured.SetNestedSlice(vm.Object, dvts, "spec", "dataVolumeTemplates"))
	return vm
}

// TestSimulatorBootSources: DataVolumes cloned from a DataSource or a PVC
// go CloneScheduled -> Succeeded and imported ones ImportScheduled ->
// Succeeded, and their VMs run; a missing DataSource leaves the
// DataVolume Pending (NotFound) and the VM Provisioning; a failed clone
// ends in DataVolumeError without a VMI.
func TestSimulatorBootSources(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	ref := map[string]any{"kind": "DataSource", "namespace": "os-images", "name": "fedora"}
	pvc := map[string]any{"pvc": map[string]any{"namespace": "golden", "name": "fedora"}}
	http := map[string]any{"http": map[string]any{"url": "https://example.com/f.qcow2"}}
	fault := func(f simulator.Fault) map[string]string {
		return map[string]string{simulator.FaultAnnotation: string(f)}
	}
	for _, vm := range []*unstructured.Unstructured{
		withRootSource(t, "boot-ref", nil, "sourceRef", ref),
		withRootSource(t, "boot-pvc", nil, "source", pvc),
		withRootSource(t, "boot-http", nil, "source", http),
		withRootSource(t, "boot-missing", fault(simulator.FaultDataSourceMissing), "sourceRef", ref),
		withRootSource(t, "boot-clone-failed", fault(simulator.FaultCloneFailed), "source", pvc),
		// An import is no clone: clone-failed leaves it alone.
		withRootSource(t, "boot-import-ok", fault(simulator.FaultCloneFailed), "source", http),
	} {
		e.create(t, vmGVR, vm)
	}
	for _, name := range []string{"boot-ref", "boot-pvc", "boot-http", "boot-import-ok"} {
		e.waitField(t, vmGVR, name, "Running", "status", "printableStatus")
		e.waitField(t, dvGVR, name+"-rootdisk", "Succeeded", "status", "phase")
	}

	failed := e.waitField(t, vmGVR, "boot-clone-failed", "DataVolumeError", "status", "printableStatus")
	if ready, _, _ := unstructured.NestedBool(failed.Object, "status", "ready"); ready {
		t.Error("VM whose clone failed reports ready")
	}
	dv := e.waitField(t, dvGVR, "boot-clone-failed-rootdisk", "Failed", "status", "phase")
	if got := condition(dv, "Ready"); got["reason"] != "CloneFailed" {
		t.Errorf("failed clone's Ready condition = %v, want reason CloneFailed", got)
	}
	if vmi, err := e.get(t.Context(), vmiGVR, "boot-clone-failed"); err != nil || vmi != nil {
		t.Errorf("VMI of a VM whose clone failed: %v, %v; want none", vmi, err)
	}

	dv = e.waitField(t, dvGVR, "boot-missing-rootdisk", "Pending", "status", "phase")
	if got := condition(dv, "Bound"); got["reason"] != "NotFound" || !strings.Contains(got["message"].(string), "DataSource os-images/fedora not found") {
		t.Errorf("DataVolume of a missing DataSource: Bound condition %v, want reason NotFound naming it", got)
	}
	vm := e.waitField(t, vmGVR, "boot-missing", "Provisioning", "status", "printableStatus")
	if vmi, err := e.get(t.Context(), vmiGVR, "boot-missing"); err != nil || vmi != nil || field(vm, "status", "ready") == "true" {
		t.Errorf("VM whose DataSource is missing: VMI %v (%v), want none and not ready", vmi, err)
	}
}
