package e2e

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	dsGVR = schema.GroupVersionResource{Group: "cdi.kubevirt.io", Version: "v1beta1", Resource: "datasources"}
)

// sourceNamespace creates a namespace for golden images, as OpenShift's
// openshift-virtualization-os-images, deleted when the test ends.
func (e *env) sourceNamespace(t *testing.T) string {
	t.Helper()
	ns, err := e.client.Resource(nsGVR).Create(t.Context(), &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"generateName": "virtwork-images-"}}}, metav1.CreateOptions{})
	must(t, err)
	t.Cleanup(func() {
		_ = e.client.Resource(nsGVR).Delete(context.Background(), ns.GetName(), metav1.DeleteOptions{})
	})
	return ns.GetName()
}

// goldenPVC creates a PVC in ns, as CDI's import of a golden image leaves.
func (e *env) goldenPVC(t *testing.T, ns, name string) {
	t.Helper()
	_, err := e.client.Resource(pvcGVR).Namespace(ns).Create(t.Context(), &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": map[string]any{"name": name},
		"spec": map[string]any{"accessModes": []any{"ReadWriteOnce"}, "resources": map[string]any{"requests": map[string]any{"storage": "10Gi"}}},
	}}, metav1.CreateOptions{})
	must(t, err)
}

// dataSource creates DataSource ns/name pointing at PVC pvcNS/pvcName,
// with a Ready condition when ready.
func (e *env) dataSource(t *testing.T, ns, name, pvcNS, pvcName string, ready bool) {
	t.Helper()
	ds, err := e.client.Resource(dsGVR).Namespace(ns).Create(t.Context(), &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataSource", "metadata": map[string]any{"name": name},
		"spec": map[string]any{"source": map[string]any{"pvc": map[string]any{"namespace": pvcNS, "name": pvcName}}},
	}}, metav1.CreateOptions{FieldValidation: "Strict"})
	must(t, err)
	if !ready {
		return
	}
	ds.Object["status"] = map[string]any{"conditions": []any{map[string]any{
		"type": "Ready", "status": "True", "reason": "Ready", "lastTransitionTime": metav1.Now().UTC().Format("2006-01-02T15:04:05Z"),
		"lastHeartbeatTime": nil, "message": "",
	}}}
	// The CRD (as generated from CDI's API types) has no status
	// subresource: status is written with the object.
	_, err = e.client.Resource(dsGVR).Namespace(ns).Update(t.Context(), ds, metav1.UpdateOptions{})
	must(t, err)
}

// cloneSources makes a Ready DataSource and a PVC to clone, and returns
// the --boot-source values naming them.
func (e *env) cloneSources(t *testing.T) (dataSource, pvc string) {
	t.Helper()
	src := e.sourceNamespace(t)
	e.goldenPVC(t, src, "fedora-44")
	e.dataSource(t, src, "fedora", src, "fedora-44", true)
	return "datasource:" + src + "/fedora", "pvc:" + src + "/fedora-44"
}

// TestPreflightCloneSources: preflight (and so apply) checks that the
// DataSource or PVC a run clones exists, that the DataSource is Ready,
// and that the user may clone from the namespace of the PVC the
// DataSource points at; apply refuses, before writing anything, a run
// whose source is missing.
func TestPreflightCloneSources(t *testing.T) {
	e := newEnv(t)
	p := newPlugin(t)
	images, golden := e.sourceNamespace(t), e.sourceNamespace(t)
	e.goldenPVC(t, golden, "fedora-44")
	e.dataSource(t, images, "fedora", golden, "fedora-44", true)
	e.dataSource(t, images, "importing", golden, "fedora-45", false)
	run := []string{"-n", e.ns, "--workloads", "cpu"}
	for _, tt := range []struct {
		source string
		code   int
		lines  []string
	}{
		{"datasource:" + images + "/fedora", 0, []string{
			"[ok]      DataSource " + images + "/fedora: Ready",
			// The permission is asked where the PVC is, not the DataSource.
			"[ok]      create datavolumes.cdi.kubevirt.io/source in namespace " + golden,
		}},
		{"datasource:" + images + "/importing", 1, []string{"[missing] DataSource " + images + "/importing: not Ready (no Ready condition yet)"}},
		{"datasource:" + images + "/rhel9", 1, []string{"[missing] DataSource " + images + "/rhel9: not found (kubectl get datasources -A lists what there is)"}},
		{"pvc:" + golden + "/fedora-44", 0, []string{
			"[ok]      PersistentVolumeClaim " + golden + "/fedora-44: exists",
			"[ok]      create datavolumes.cdi.kubevirt.io/source in namespace " + golden,
		}},
		{"pvc:" + golden + "/gone", 1, []string{"[missing] PersistentVolumeClaim " + golden + "/gone: not found"}},
	} {
		o := p.run(t.Context(), append([]string{"preflight", "--boot-source", tt.source}, run...)...)
		if o.code != tt.code {
			t.Errorf("preflight --boot-source %s: exit %d, want %d\n%s%s", tt.source, o.code, tt.code, o.stdout, o.stderr)
		}
		for _, l := range tt.lines {
			if !strings.Contains(o.stdout, l) {
				t.Errorf("preflight --boot-source %s: no line %q in\n%s", tt.source, l, o.stdout)
			}
		}
	}
	o := p.run(t.Context(), append([]string{"apply", "--boot-source", "datasource:" + images + "/rhel9"}, run...)...)
	if o.code == 0 || !strings.Contains(o.stderr, "DataSource "+images+"/rhel9: not found") || !strings.Contains(o.stderr, "nothing was applied") {
		t.Errorf("apply from a missing DataSource: exit %d\n%s%s", o.code, o.stdout, o.stderr)
	}
	if vms := e.labelled(t, vmGVR, runIDLabel); len(vms) != 0 {
		t.Errorf("apply from a missing DataSource wrote %d VMs", len(vms))
	}
}
