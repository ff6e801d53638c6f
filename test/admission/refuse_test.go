package admission

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goldenVM returns the first VirtualMachine of disk.yaml (root disk,
// cloud-init disk and a data disk from a dataVolumeTemplate) as a map to edit.
func goldenVM(t *testing.T) map[string]any {
	t.Helper()
	path := filepath.Join(repoRoot, "pkg", "render", "testdata", "disk.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vms, err := virtualMachines(path, data)
	if err != nil || len(vms) == 0 {
		t.Fatalf("%s: no VirtualMachine (%v)", path, err)
	}
	var vm map[string]any
	if err := json.Unmarshal(vms[0].raw, &vm); err != nil {
		t.Fatal(err)
	}
	return vm
}

// field walks vm's nested mappings along path.
func field(vm map[string]any, path ...string) map[string]any {
	m := vm
	for _, k := range path {
		m = m[k].(map[string]any)
	}
	return m
}

func vmiSpec(vm map[string]any) map[string]any { return field(vm, "spec", "template", "spec") }
func devices(vm map[string]any) map[string]any { return field(vmiSpec(vm), "domain", "devices") }

// without returns list without the entries named name.
func without(list any, name string) []any {
	var out []any
	for _, e := range list.([]any) {
		if e.(map[string]any)["name"] != name {
			out = append(out, e)
		}
	}
	return out
}

func toDoc(t *testing.T, vm map[string]any) vmDoc {
	t.Helper()
	raw, err := json.Marshal(vm)
	if err != nil {
		t.Fatal(err)
	}
	return vmDoc{source: "edited disk.yaml", name: "virtwork-disk", raw: raw}
}

// TestBrokenVMsRefused edits a golden VM into ones KubeVirt refuses, so the
// admission tests above can fail: each must be refused, naming the field. (A
// volume without a disk is not among them: KubeVirt's VMI defaults add the
// disk, so v1.9.0 admits it.)
func TestBrokenVMsRefused(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(vm map[string]any)
		field string // a cause's field or the message contains this
	}{
		{"disk without its volume", func(vm map[string]any) {
			vmiSpec(vm)["volumes"] = without(vmiSpec(vm)["volumes"], "rootdisk")
		}, "disks[0].name"},
		{"two user-data sources", func(vm map[string]any) {
			for _, v := range vmiSpec(vm)["volumes"].([]any) {
				if src, ok := v.(map[string]any)["cloudInitNoCloud"].(map[string]any); ok {
					src["userData"] = "#cloud-config\n" // beside the Secret
				}
			}
		}, "only one userdatasource"},
		{"dataVolumeTemplate not referenced", func(vm map[string]any) {
			devices(vm)["disks"] = without(devices(vm)["disks"], "datadisk")
			vmiSpec(vm)["volumes"] = without(vmiSpec(vm)["volumes"], "datadisk")
		}, "dataVolumeTemplate[0]"},
		{"no memory requested", func(vm map[string]any) {
			delete(field(vmiSpec(vm), "domain"), "memory")
		}, "memory"},
		{"unknown field", func(vm map[string]any) {
			field(vmiSpec(vm), "domain", "cpu")["corez"] = 2
		}, "corez"},
		{"instance type and its own CPU", func(vm map[string]any) {
			delete(field(vmiSpec(vm), "domain"), "memory")
			field(vm, "spec")["instancetype"] = map[string]any{"kind": "VirtualMachineClusterInstancetype", "name": "u1.medium"}
		}, "domain.cpu"},
	}
	hook := newWebhook(t, clusterInstancetype("u1.medium", 1, "4Gi"))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vm := goldenVM(t)
			c.edit(vm)
			resp := hook.admit(toDoc(t, vm))
			if resp.Allowed {
				t.Fatalf("KubeVirt v1.9.0 admitted a VM with %s", c.name)
			}
			if why := refusal(resp); !strings.Contains(why, c.field) {
				t.Errorf("refused for another reason than %s (want %q in it): %s", c.name, c.field, why)
			}
		})
	}
}

// sizedVM is a golden VM that leaves CPU and memory to instance type it
// of kind and names preference pref (none when "").
func sizedVM(t *testing.T, kind, it, prefKind, pref string) map[string]any {
	vm := goldenVM(t)
	domain := field(vmiSpec(vm), "domain")
	delete(domain, "cpu")
	delete(domain, "memory")
	field(vm, "spec")["instancetype"] = map[string]any{"kind": kind, "name": it}
	if pref != "" {
		field(vm, "spec")["preference"] = map[string]any{"kind": prefKind, "name": pref}
	}
	return vm
}

// TestInstancetypeVMAdmitted checks the instance type path of the admitter: a
// golden VM that leaves CPU and memory to an instance type, cluster-wide or
// in its namespace, with a preference, is admitted when they exist, and its
// VMI gets the instance type's size.
func TestInstancetypeVMAdmitted(t *testing.T) {
	hook := newWebhook(t, sizingObjects()...)
	for _, vm := range []map[string]any{
		sizedVM(t, "VirtualMachineClusterInstancetype", "u1.medium", "VirtualMachineClusterPreference", "fedora"),
		sizedVM(t, "VirtualMachineInstancetype", "small", "VirtualMachinePreference", "fedora"),
		sizedVM(t, "", "u1.medium", "", ""), // the kind KubeVirt defaults
	} {
		if resp := hook.admit(toDoc(t, vm)); !resp.Allowed {
			t.Errorf("KubeVirt v1.9.0 refuses a VM with instance type %v: %s", field(vm, "spec")["instancetype"], refusal(resp))
		}
	}
}

// TestInstancetypeConflictsRefused: what KubeVirt refuses beside an
// instance type (the VM's own CPU, memory or CPU and memory requests, its
// own node selector beside the instance type's), a
// preference whose requirements the instance type does not meet, and one
// that does not exist (the VM controller then makes no VMI).
func TestInstancetypeConflictsRefused(t *testing.T) {
	cases := []struct {
		name  string
		vm    func() map[string]any
		field string // a cause's field or the message contains this
	}{
		{"own memory", func() map[string]any {
			vm := sizedVM(t, "VirtualMachineInstancetype", "small", "", "")
			field(vmiSpec(vm), "domain")["memory"] = map[string]any{"guest": "2Gi"}
			return vm
		}, "spec.template.spec.domain.memory.guest"},
		{"own cores", func() map[string]any {
			vm := sizedVM(t, "VirtualMachineClusterInstancetype", "u1.medium", "", "")
			field(vmiSpec(vm), "domain")["cpu"] = map[string]any{"cores": 2}
			return vm
		}, "spec.template.spec.domain.cpu.cores"},
		{"memory request", func() map[string]any {
			vm := sizedVM(t, "VirtualMachineClusterInstancetype", "u1.medium", "", "")
			field(vmiSpec(vm), "domain")["resources"] = map[string]any{"requests": map[string]any{"memory": "1Gi"}}
			return vm
		}, "spec.template.spec.domain.resources.requests.memory"},
		{"preference needs more CPU", func() map[string]any {
			return sizedVM(t, "VirtualMachineClusterInstancetype", "u1.medium", "VirtualMachineClusterPreference", "big")
		}, "insufficient CPU resources of 1 vCPU provided by instance type, preference requires 4 vCPU"},
		{"missing instance type", func() map[string]any {
			return sizedVM(t, "VirtualMachineInstancetype", "absent", "", "")
		}, `"absent" not found`},
		{"missing preference", func() map[string]any {
			return sizedVM(t, "VirtualMachineClusterInstancetype", "u1.medium", "VirtualMachinePreference", "absent")
		}, `"absent" not found`},
		// What preflight checks beside --node-selector (README, Placement).
		{"own node selector beside the instance type's", func() map[string]any {
			vm := sizedVM(t, "VirtualMachineClusterInstancetype", "pinned", "", "")
			vmiSpec(vm)["nodeSelector"] = map[string]any{"topology.kubernetes.io/zone": "zone-a"}
			return vm
		}, "spec.template.spec.nodeSelector"},
	}
	pinned := clusterInstancetype("pinned", 1, "4Gi")
	pinned.Spec.NodeSelector = map[string]string{"example.com/pool": "virt"}
	objects := append(sizingObjects(), clusterPreference("big", preferenceSpec(4, "1Gi")), pinned)
	hook := newWebhook(t, objects...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := hook.admit(toDoc(t, c.vm()))
			if resp.Allowed {
				t.Fatalf("KubeVirt v1.9.0 admitted a VM with an instance type and %s", c.name)
			}
			if why := refusal(resp); !strings.Contains(why, c.field) {
				t.Errorf("refused for another reason than %s (want %q in it): %s", c.name, c.field, why)
			}
		})
	}
}
