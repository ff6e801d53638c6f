package e2e

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

var (
	pvcGVR = schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}
	podGVR = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	saGVR  = schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}
)

// bootSources are the --boot-source forms, cloning a DataSource and a PVC
// that exist.
func (e *env) bootSources(t *testing.T) []string {
	ds, pvc := e.cloneSources(t)
	return []string{ds, pvc, "registry:quay.io/containerdisks/fedora:44", "http:https://download.example.com/fedora-44.qcow2"}
}

// TestBootSourcesPassTheSchema: a run with each boot source passes
// KubeVirt's VirtualMachine schema and CDI's DataVolume schema on the API
// server (a server dry run with strict field validation), as do the
// root disk size and storage class.
func TestBootSourcesPassTheSchema(t *testing.T) {
	e := newEnv(t)
	p := newPlugin(t)
	// Each with a data disk workload, so a VM has a root and a data
	// DataVolume template.
	for _, src := range e.bootSources(t) {
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

// TestCleanupWaitsForClaims: a run cloned from a DataSource has a root
// DataVolume per VM and, as CDI makes them, a PVC for each DataVolume that
// carries its labels and the pvc-protection finalizer. Cleanup deletes
// both and returns only when the claims are gone: while a scheduled pod
// (a virt-launcher, here played by the test) still mounts them, the
// cluster's pvc-protection controller holds them, and cleanup's --timeout
// fails naming them; once the pod is gone, cleanup completes.
func TestCleanupWaitsForClaims(t *testing.T) {
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	p := newPlugin(t)
	id := "b0000000-1111-4111-8111-111111111111"
	ds, _ := e.cloneSources(t)
	mustRun(t, p.run(t.Context(), "apply", "-n", e.ns, "--workloads", "cpu,disk", "--run-id", id,
		"--boot-source", ds, "--root-disk-size", "20Gi"), "apply")
	sel := "virtwork/run-id=" + id
	var claims, rootDisks []string
	for _, dv := range e.labelled(t, dvGVR, sel) {
		pvc := e.waitField(t, pvcGVR, dv.GetName(), dv.GetName(), "metadata", "name")
		if pvc.GetLabels()["virtwork/run-id"] != id {
			t.Errorf("PVC %s labels %v, want the DataVolume's", pvc.GetName(), pvc.GetLabels())
		}
		if size := field(pvc, "spec", "resources", "requests", "storage"); strings.HasSuffix(dv.GetName(), "-root") && size != "20Gi" {
			t.Errorf("root disk PVC %s requests %q, want --root-disk-size 20Gi", pvc.GetName(), size)
		}
		claims = append(claims, dv.GetName())
		if strings.HasSuffix(dv.GetName(), "-root") {
			rootDisks = append(rootDisks, dv.GetName())
		}
	}
	if len(claims) != 3 || len(rootDisks) != 2 {
		t.Fatalf("%d DataVolumes; want a root disk for each of 2 VMs and a data disk", len(claims))
	}
	launcher := e.mountClaims(t, claims)

	held := p.run(t.Context(), "cleanup", "-n", e.ns, "--run-id", id, "--yes", "--timeout", "10s")
	if held.code == 0 || !strings.Contains(held.stderr, "not everything was deleted within 10s") || !strings.Contains(held.stderr, "PersistentVolumeClaim  3") {
		t.Errorf("cleanup while a pod mounts the PVCs: exit %d\n%s%s", held.code, held.stdout, held.stderr)
	}
	for _, name := range claims {
		if pvc, err := e.get(t.Context(), pvcGVR, name); err != nil || pvc == nil || pvc.GetDeletionTimestamp() == nil {
			t.Fatalf("PVC %s after cleanup: %v (%v), want it deleted and held", name, pvc, err)
		}
	}
	zero := int64(0)
	if err := e.resource(podGVR).Delete(t.Context(), launcher, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	mustRun(t, p.run(t.Context(), "cleanup", "-n", e.ns, "--run-id", id, "--yes"), "cleanup")
	for _, gvr := range []schema.GroupVersionResource{vmGVR, dvGVR, pvcGVR} {
		// Listed with what is still terminating: the wait covers them.
		l, err := e.resource(gvr).List(t.Context(), metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Items) != 0 {
			t.Errorf("%d %s left when cleanup returned", len(l.Items), gvr.Resource)
		}
	}
}

// mountClaims creates a pod bound to a node that mounts the claims, as a
// virt-launcher does, and returns its name.
func (e *env) mountClaims(t *testing.T, claims []string) string {
	t.Helper()
	// The service account controller gives the namespace the default
	// ServiceAccount the API server's admission requires of a pod.
	e.waitField(t, saGVR, "default", "default", "metadata", "name")
	var volumes []any
	for _, c := range claims {
		volumes = append(volumes, map[string]any{"name": c, "persistentVolumeClaim": map[string]any{"claimName": c}})
	}
	pod := e.create(t, podGVR, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "virt-launcher"},
		"spec": map[string]any{"nodeName": "node-1", "automountServiceAccountToken": false, "volumes": volumes,
			"containers": []any{map[string]any{"name": "compute", "image": "quay.io/kubevirt/virt-launcher:v1.9.0"}}},
	}})
	return pod.GetName()
}
