package render

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// bootConfig is testConfig with the root disk from b, 20Gi, of class
// "fast".
func bootConfig(t *testing.T, b config.BootSource, names ...string) *config.Config {
	cfg := testConfig(t, 2, names...)
	cfg.Boot, cfg.Image = b, ""
	for i := range cfg.Workloads {
		cfg.Workloads[i].RootDiskSize = resource.MustParse("20Gi")
		cfg.Workloads[i].StorageClass = "fast"
	}
	return cfg
}

// TestGoldenBootSources: a disk run cloned from a DataSource (a root and a
// data DataVolume per VM) and a cpu run imported from a registry.
func TestGoldenBootSources(t *testing.T) {
	cases := map[string]*config.Config{
		"disk-datasource": bootConfig(t, config.BootSource{Kind: config.BootDataSource, Namespace: "openshift-virtualization-os-images", Name: "fedora"}, "disk"),
		"cpu-registry":    bootConfig(t, config.BootSource{Kind: config.BootRegistry, Image: "quay.io/containerdisks/fedora:44"}, "cpu"),
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			tools.Golden(t, filepath.Join("testdata", name+".yaml"), yamlOf(t, mustRender(t, cfg)), *update, "./pkg/render")
		})
	}
}

// TestRootDataVolumes: for every scheme, each VM's root volume names its
// own DataVolume template, which carries the run's labels and the source;
// no containerDisk is left.
func TestRootDataVolumes(t *testing.T) {
	sources := map[string]config.BootSource{
		"sourceRef": {Kind: config.BootDataSource, Namespace: "os", Name: "rhel9"},
		"pvc":       {Kind: config.BootPVC, Namespace: "golden", Name: "debian"},
		"registry":  {Kind: config.BootRegistry, Image: "quay.io/containerdisks/debian:12"},
		"http":      {Kind: config.BootHTTP, URL: "https://example.com/d.qcow2"},
	}
	wantSource := map[string]any{
		"sourceRef": map[string]any{"kind": "DataSource", "namespace": "os", "name": "rhel9"},
		"pvc":       map[string]any{"pvc": map[string]any{"namespace": "golden", "name": "debian"}},
		"registry":  map[string]any{"registry": map[string]any{"url": "docker://quay.io/containerdisks/debian:12"}},
		"http":      map[string]any{"http": map[string]any{"url": "https://example.com/d.qcow2"}},
	}
	for key, b := range sources {
		bundle := mustRender(t, bootConfig(t, b, "cpu", "disk"))
		for obj := range bundle.Objects() {
			if obj.GetKind() != "VirtualMachine" {
				continue
			}
			checkRootDataVolume(t, obj, key, wantSource[key])
		}
	}
}

func checkRootDataVolume(t *testing.T, vm *unstructured.Unstructured, key string, want any) {
	t.Helper()
	vols, _, _ := unstructured.NestedSlice(vm.Object, "spec", "template", "spec", "volumes")
	root := vols[0].(map[string]any)
	dvName, _, _ := unstructured.NestedString(root, "dataVolume", "name")
	if root["name"] != rootDisk || dvName != vm.GetName()+"-root" || root["containerDisk"] != nil {
		t.Errorf("%s %s: root volume %v", key, vm.GetName(), root)
	}
	dvts, _, _ := unstructured.NestedSlice(vm.Object, "spec", "dataVolumeTemplates")
	dvt := dvts[0].(map[string]any)
	if name, _, _ := unstructured.NestedString(dvt, "metadata", "name"); name != dvName {
		t.Errorf("%s %s: first DataVolume template is %q, want %q", key, vm.GetName(), name, dvName)
	}
	lbl, _, _ := unstructured.NestedStringMap(dvt, "metadata", "labels")
	if lbl[labels.RunID] != testRunID || lbl[labels.Instance] != vm.GetLabels()[labels.Instance] {
		t.Errorf("%s %s: DataVolume labels %v", key, vm.GetName(), lbl)
	}
	spec, _, _ := unstructured.NestedMap(dvt, "spec")
	got := map[string]any{}
	for _, k := range []string{"sourceRef", "source"} {
		if v, ok := spec[k]; ok {
			got = v.(map[string]any)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s %s: source (-want +got):\n%s", key, vm.GetName(), diff)
	}
	size, _, _ := unstructured.NestedString(spec, "storage", "resources", "requests", "storage")
	class, _, _ := unstructured.NestedString(spec, "storage", "storageClassName")
	if size != "20Gi" || class != "fast" {
		t.Errorf("%s %s: root disk %s of class %q, want 20Gi of fast", key, vm.GetName(), size, class)
	}
}
