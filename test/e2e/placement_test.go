package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// TestPlacementPassesTheSchema: runs with every placement setting, for the
// run and per workload, pass KubeVirt's VirtualMachine schema on the API
// server (a server dry run with strict field validation): the node
// selector, tolerations, topology spread (nodeTaintsPolicy too), the
// per-node cap's pod anti-affinity and the eviction strategy.
func TestPlacementPassesTheSchema(t *testing.T) {
	e := newEnv(t)
	p := newPlugin(t)
	file := filepath.Join(t.TempDir(), "placement.yaml")
	must(t, os.WriteFile(file, []byte("spread: hostname\nvms_per_node: 3\nworkloads:\n  disk:\n    spread: zone\n    vms_per_node: 1\n    eviction_strategy: None\n    tolerations: [\"storage=ssd:PreferNoSchedule\"]\n"), 0o600))
	for _, args := range [][]string{
		{"--node-selector", "topology.kubernetes.io/region=r1,node-role.kubernetes.io/worker=", "--tolerate", "dedicated=virt:NoSchedule",
			"--tolerate", "example.com/maintenance:NoExecute", "--spread", "zone", "--vms-per-node", "2", "--eviction-strategy", "LiveMigrate"},
		{"--config", file, "--node-selector", "kubernetes.io/arch=amd64"},
	} {
		o := p.run(t.Context(), append([]string{"apply", "-n", e.ns, "--workloads", "disk,cpu", "--dry-run=server", "-o", "json"}, args...)...)
		if o.code != 0 || !strings.Contains(o.stdout, `"created": 2`) {
			t.Errorf("%v: server dry run exit %d\n%s%s", args, o.code, o.stdout, o.stderr)
		}
	}
}

// TestPreflightInstancetypeNodeSelector: an instance type that sets
// spec.nodeSelector conflicts, for KubeVirt, with the VMs' own: preflight
// says so for a run with --node-selector, and passes it without.
func TestPreflightInstancetypeNodeSelector(t *testing.T) {
	e := newEnv(t)
	p := newPlugin(t)
	pinned := e.ns + "-pinned"
	e.createClusterScoped(t, simulator.VirtualMachineClusterInstancetypes, sizingObject("VirtualMachineClusterInstancetype", pinned, map[string]any{
		"cpu": map[string]any{"guest": int64(1)}, "memory": map[string]any{"guest": "2Gi"}, "nodeSelector": map[string]any{"example.com/pool": "virt"},
	}))
	line := "[missing] VirtualMachineClusterInstancetype " + pinned + ": sets spec.nodeSelector, and KubeVirt refuses a VM with its own beside it: drop --node-selector"
	o := p.run(t.Context(), "preflight", "-n", e.ns, "--workloads", "cpu", "--instancetype", pinned, "--node-selector", "zone=a")
	if o.code != 1 || !strings.Contains(o.stdout, line) {
		t.Errorf("preflight with both node selectors: exit %d, want 1 and the line %q:\n%s%s", o.code, line, o.stdout, o.stderr)
	}
	o = p.run(t.Context(), "preflight", "-n", e.ns, "--workloads", "cpu", "--instancetype", pinned)
	if ok := "[ok]      VirtualMachineClusterInstancetype " + pinned + ": exists"; !strings.Contains(o.stdout, ok) {
		t.Errorf("preflight with the instance type's selector alone lacks %q:\n%s%s", ok, o.stdout, o.stderr)
	}
}
