package render

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// sized gives every workload of cfg the instance type and preference, and
// no cores or memory of its own, as config.Load does.
func sized(cfg *config.Config, it, pref config.Sizing) *config.Config {
	for i := range cfg.Workloads {
		w := &cfg.Workloads[i]
		w.Instancetype, w.Preference = it, pref
		if it.Name != "" {
			w.CPUCores, w.Memory = 0, resource.Quantity{}
		}
	}
	return cfg
}

// TestGoldenInstancetypes: a network run (server and clients) sized by a
// cluster instance type with a cluster preference, and a disk run cloned
// from a DataSource with a namespaced instance type and preference.
func TestGoldenInstancetypes(t *testing.T) {
	cases := map[string]*config.Config{
		"network-instancetype": sized(testConfig(t, 2, "network"),
			config.Sizing{Kind: config.KindClusterInstancetype, Name: "u1.medium"}, config.Sizing{Kind: config.KindClusterPreference, Name: "fedora"}),
		"disk-datasource-instancetype": sized(bootConfig(t, config.BootSource{Kind: config.BootDataSource, Namespace: "openshift-virtualization-os-images", Name: "fedora"}, "disk"),
			config.Sizing{Kind: config.KindInstancetype, Name: "small"}, config.Sizing{Kind: config.KindPreference, Name: "fedora-virtio"}),
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			tools.Golden(t, filepath.Join("testdata", name+".yaml"), yamlOf(t, mustRender(t, cfg)), *update, "./pkg/render")
		})
	}
}

// TestInstancetypeSizesAlone: with an instance type, no VM carries CPU,
// memory or resources of its own (KubeVirt refuses them beside one); a
// preference alone leaves the VM's own sizes in place, its vCPUs as
// sockets, where KubeVirt checks a preference's CPU requirement by default.
func TestInstancetypeSizesAlone(t *testing.T) {
	it := config.Sizing{Kind: config.KindClusterInstancetype, Name: "u1.large"}
	pref := config.Sizing{Kind: config.KindPreference, Name: "mine"}
	cases := []struct {
		name     string
		cfg      *config.Config
		matchers map[string]any
		domain   []string // the sizing keys the domain keeps
	}{
		{"instance type", sized(testConfig(t, 2, "cpu", "disk", "tps"), it, config.Sizing{}),
			map[string]any{"instancetype": map[string]any{"kind": "VirtualMachineClusterInstancetype", "name": "u1.large"}}, nil},
		{"both", sized(testConfig(t, 1, "memory"), it, pref),
			map[string]any{"instancetype": map[string]any{"kind": "VirtualMachineClusterInstancetype", "name": "u1.large"},
				"preference": map[string]any{"kind": "VirtualMachinePreference", "name": "mine"}}, nil},
		{"preference alone", sized(testConfig(t, 1, "cpu"), config.Sizing{}, pref),
			map[string]any{"preference": map[string]any{"kind": "VirtualMachinePreference", "name": "mine"}}, []string{"cpu", "memory"}},
	}
	for _, c := range cases {
		for obj := range mustRender(t, c.cfg).Objects() {
			if obj.GetKind() != "VirtualMachine" {
				continue
			}
			spec, _, _ := unstructured.NestedMap(obj.Object, "spec")
			got := map[string]any{}
			for _, k := range []string{"instancetype", "preference"} {
				if v, ok := spec[k]; ok {
					got[k] = v
				}
			}
			if d := cmp.Diff(c.matchers, got); d != "" {
				t.Errorf("%s %s: matchers (-want +got):\n%s", c.name, obj.GetName(), d)
			}
			domain, _, _ := unstructured.NestedMap(obj.Object, "spec", "template", "spec", "domain")
			if cpu, ok := domain["cpu"]; ok && !cmp.Equal(cpu, map[string]any{"sockets": int64(2)}) {
				t.Errorf("%s %s: domain.cpu %v, want the 2 vCPUs as sockets", c.name, obj.GetName(), cpu)
			}
			var keys []string
			for _, k := range []string{"cpu", "memory", "resources"} {
				if _, ok := domain[k]; ok {
					keys = append(keys, k)
				}
			}
			if d := cmp.Diff(c.domain, keys); d != "" {
				t.Errorf("%s %s: sizing keys of the domain (-want +got):\n%s", c.name, obj.GetName(), d)
			}
		}
	}
}
