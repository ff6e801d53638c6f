package status_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/virtwork/kubectl-virtwork/pkg/status"
)

// TestPerNode: VMs are counted by node, states as the run's row counts
// them (a Ready VM is running too); nodes sort by name and the VMs with no
// node yet come last, as (unscheduled).
func TestPerNode(t *testing.T) {
	ms := []status.VM{
		{Name: "a", State: "Ready", Node: "worker-2"},
		{Name: "b", State: "Pending"},
		{Name: "c", State: "Running", Node: "worker-10"},
		{Name: "d", State: "Ready", Node: "worker-2"},
		{Name: "e", State: "Failed", Node: "worker-10"},
		{Name: "f", State: "Failed"},
	}
	want := []status.NodeCount{
		{Node: "worker-10", VMs: 2, Running: 1, Failed: 1},
		{Node: "worker-2", VMs: 2, Running: 2, Ready: 2},
		{Node: "(unscheduled)", VMs: 2, Failed: 1},
	}
	if d := cmp.Diff(want, status.PerNode(ms)); d != "" {
		t.Errorf("per node (-want +got):\n%s", d)
	}
	if got := status.PerNode(nil); len(got) != 0 {
		t.Errorf("no VMs: %v", got)
	}
}

// TestPrintNodes: a run listed VM by VM prints its per-node table between
// the run's row and the VMs; a list of runs prints none.
func TestPrintNodes(t *testing.T) {
	ms := []status.VM{{Name: "vm-0", State: "Ready", Node: "worker-1"}, {Name: "vm-1", State: "Pending"}}
	run := &status.Run{RunID: "r", Namespace: "ns", Workloads: []string{"cpu"}, VMs: 2, Running: 1, Ready: 1, Age: "1m",
		Machines: ms, Nodes: status.PerNode(ms)}
	var out, errOut bytes.Buffer
	if err := status.Print(&out, &errOut, []*status.Run{run}, "ns"); err != nil {
		t.Fatal(err)
	}
	want := "RUN ID  NAMESPACE  WORKLOADS  VMS  RUNNING  READY  FAILED  AGE\n" +
		"r       ns         cpu        2    1        1      0       1m\n\n" +
		"NODE           VMS  RUNNING  READY  FAILED\n" +
		"worker-1       1    1        1      0\n" +
		"(unscheduled)  1    0        0      0\n\n" +
		"VM    STATE    NODE      REASON\n" +
		"vm-0  Ready    worker-1  -\n" +
		"vm-1  Pending  -         -\n"
	if d := cmp.Diff(want, out.String()); d != "" {
		t.Errorf("table (-want +got):\n%s", d)
	}
	out.Reset()
	run.Machines, run.Nodes = nil, nil
	if err := status.Print(&out, &errOut, []*status.Run{run}, "ns"); err != nil || strings.Contains(out.String(), "NODE") {
		t.Errorf("runs without machines print nodes (%v):\n%s", err, out.String())
	}
}
