package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPlacement: the placement flags parse into each workload's Placement
// through the config chain; a value from a workloads.<name> section
// replaces the run's for that workload and scopes its spread and cap to
// the workload's VMs, while a run-level value scopes them to the run.
func TestPlacement(t *testing.T) {
	cfg := mustLoad(t, in{
		args: []string{"--workloads", "cpu,memory,disk", "--config", "c.yaml",
			"--node-selector", "topology.kubernetes.io/zone=zone-a,node-role.kubernetes.io/worker=", "--tolerate", "dedicated=virt:NoSchedule",
			"--tolerate", "example.com/gpu:NoExecute"},
		env: map[string]string{"VIRTWORK_EVICTION_STRATEGY": "livemigrate"},
		files: map[string]string{"c.yaml": "spread: hostname\nvms_per_node: 4\nworkloads:\n" +
			"  memory:\n    spread: zone\n    vms_per_node: 1\n    eviction_strategy: None\n" +
			"  disk:\n    tolerations: [\"storage:PreferNoSchedule\"]\n"},
	})
	sel := NodeSelector{{"topology.kubernetes.io/zone", "zone-a"}, {"node-role.kubernetes.io/worker", ""}}
	tol := Tolerations{{Key: "dedicated", Value: "virt", Effect: "NoSchedule"}, {Key: "example.com/gpu", Effect: "NoExecute"}}
	want := map[string]Placement{
		"cpu": {NodeSelector: sel, Tolerations: tol, Spread: SpreadHostname, VMsPerNode: 4, EvictionStrategy: "LiveMigrate"},
		"memory": {NodeSelector: sel, Tolerations: tol, Spread: SpreadZone, VMsPerNode: 1, EvictionStrategy: "LiveMigrate",
			SpreadScope: ScopeWorkload, CapScope: ScopeWorkload},
		// The flag beats the file's section, as for every per-workload row.
		"disk": {NodeSelector: sel, Tolerations: tol, Spread: SpreadHostname, VMsPerNode: 4, EvictionStrategy: "LiveMigrate"},
	}
	got := map[string]Placement{}
	for _, w := range cfg.Workloads {
		got[w.Name] = w.Placement
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("placement (-want +got):\n%s", d)
	}
	// The section's eviction strategy loses to the variable; without it,
	// the section's list of tolerations replaces the run's.
	cfg = mustLoad(t, in{args: []string{"--workloads", "disk", "--config", "c.yaml"},
		files: map[string]string{"c.yaml": "tolerations: [\"a:NoSchedule\"]\nworkloads:\n  disk:\n    tolerations: [\"b=1:NoExecute\"]\n"}})
	if got, want := cfg.Workloads[0].Placement.Tolerations, (Tolerations{{Key: "b", Value: "1", Effect: "NoExecute"}}); !cmp.Equal(got, want) {
		t.Errorf("tolerations %v, want %v", got, want)
	}
	// The history records each as the flag takes it.
	s := mustLoad(t, in{args: []string{"--workloads", "cpu", "--node-selector", "a=1,b=2", "--tolerate", "c:NoSchedule,d=x:NoExecute", "--spread", "zone", "--vms-per-node", "3"}}).Workloads[0].Settings()
	for k, v := range map[string]string{"node-selector": "a=1,b=2", "tolerate": "c:NoSchedule,d=x:NoExecute", "spread": "zone", "vms-per-node": "3"} {
		if s[k] != v {
			t.Errorf("setting %s recorded as %q, want %q", k, s[k], v)
		}
	}
	if _, ok := s["eviction-strategy"]; ok {
		t.Errorf("eviction-strategy recorded though not given: %v", s)
	}
	if d := mustLoad(t, in{}).Workloads[0].Placement; !cmp.Equal(d, Placement{}) {
		t.Errorf("default placement %+v, want none", d)
	}
}
