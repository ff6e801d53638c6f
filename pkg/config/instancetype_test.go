package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestInstancetype: --instancetype and --preference name cluster-wide kinds,
// or namespaced ones with virtctl's kind/ prefix, per workload too; an
// instance type leaves the workload's CPU and memory to it.
func TestInstancetype(t *testing.T) {
	type sized struct {
		Cores              int
		Memory             string
		Instancetype, Pref Sizing
	}
	cases := []struct {
		name string
		i    in
		want map[string]sized
	}{
		{"cluster kinds", in{args: []string{"--workloads", "cpu", "--instancetype", "u1.medium", "--preference", "fedora"}},
			map[string]sized{"cpu": {0, "0", Sizing{KindClusterInstancetype, "u1.medium"}, Sizing{KindClusterPreference, "fedora"}}}},
		{"namespaced kinds", in{args: []string{"--workloads", "cpu", "--instancetype", "virtualmachineinstancetype/small", "--preference", "VirtualMachinePreference/mine"}},
			map[string]sized{"cpu": {0, "0", Sizing{KindInstancetype, "small"}, Sizing{KindPreference, "mine"}}}},
		{"explicit cluster kind", in{args: []string{"--workloads", "cpu", "--instancetype", "virtualmachineclusterinstancetype/cx1.large"}},
			map[string]sized{"cpu": {0, "0", Sizing{KindClusterInstancetype, "cx1.large"}, Sizing{}}}},
		{"preference alone keeps the sizes", in{args: []string{"--workloads", "cpu", "--preference", "fedora", "--cpu-cores", "4"}},
			map[string]sized{"cpu": {4, "2Gi", Sizing{}, Sizing{KindClusterPreference, "fedora"}}}},
		{"per workload", in{args: []string{"--workloads", "cpu,memory", "--config", "c.yaml"},
			files: map[string]string{"c.yaml": "workloads:\n  memory:\n    instancetype: u1.large\n    preference: virtualmachinepreference/p\n  cpu:\n    memory: 3Gi\n"}},
			map[string]sized{"cpu": {2, "3Gi", Sizing{}, Sizing{}}, "memory": {0, "0", Sizing{KindClusterInstancetype, "u1.large"}, Sizing{KindPreference, "p"}}}},
		{"environment", in{args: []string{"--workloads", "cpu"}, env: map[string]string{"VIRTWORK_INSTANCETYPE": "u1.small"}},
			map[string]sized{"cpu": {0, "0", Sizing{KindClusterInstancetype, "u1.small"}, Sizing{}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := mustLoad(t, c.i)
			got := map[string]sized{}
			for _, w := range cfg.Workloads {
				got[w.Name] = sized{w.CPUCores, w.Memory.String(), w.Instancetype, w.Preference}
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("workloads (-want +got):\n%s", d)
			}
		})
	}
}

// TestInstancetypeRefused: a malformed name or kind, and a CPU or memory
// size beside an instance type at any level, name both sources.
func TestInstancetypeRefused(t *testing.T) {
	cases := []struct {
		name string
		i    in
		want string
	}{
		{"bad name", in{args: []string{"--instancetype", "U1_Medium"}}, `--instancetype: "U1_Medium" is not a valid instance type name`},
		{"unknown kind", in{args: []string{"--preference", "vmpref/fedora"}}, `--preference: unknown kind "vmpref"; give NAME for a VirtualMachineClusterPreference or virtualmachinepreference/NAME`},
		{"empty name", in{args: []string{"--instancetype", "virtualmachineinstancetype/"}}, "--instancetype: empty instance type name"},
		{"too many slashes", in{args: []string{"--instancetype", "virtualmachineinstancetype/a/b"}}, `"a/b" is not a valid instance type name`},
		{"cores flag", in{args: []string{"--workloads", "cpu", "--instancetype", "u1.medium", "--cpu-cores", "4"}},
			"--cpu-cores and --instancetype both size the VMs of cpu; drop --cpu-cores"},
		{"memory variable", in{args: []string{"--workloads", "cpu", "--instancetype", "u1.medium"}, env: map[string]string{"VIRTWORK_MEMORY": "4Gi"}},
			"VIRTWORK_MEMORY and --instancetype both size the VMs of cpu; drop VIRTWORK_MEMORY"},
		{"file levels", in{args: []string{"--workloads", "cpu", "--config", "c.yaml"}, files: map[string]string{"c.yaml": "cpu_cores: 4\nworkloads:\n  cpu:\n    instancetype: u1.medium\n"}},
			"c.yaml:1: cpu_cores and c.yaml:4: workloads.cpu.instancetype both size the VMs of cpu"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, c.i)
			if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want an ErrInvalid containing %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error has more than one line: %q", err)
			}
		})
	}
}

// TestInstancetypeSettings: the history records the instance type and
// preference, and no CPU or memory for a workload they size.
func TestInstancetypeSettings(t *testing.T) {
	cfg := mustLoad(t, in{args: []string{"--workloads", "cpu", "--instancetype", "virtualmachineinstancetype/small", "--preference", "fedora"}})
	got := cfg.Workloads[0].Settings()
	if got["instancetype"] != "virtualmachineinstancetype/small" || got["preference"] != "fedora" {
		t.Errorf("settings %v, want instancetype virtualmachineinstancetype/small and preference fedora", got)
	}
	for _, k := range []string{"cpu-cores", "memory"} {
		if v, ok := got[k]; ok {
			t.Errorf("settings record %s %q for a workload an instance type sizes", k, v)
		}
	}
}
