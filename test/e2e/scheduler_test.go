package e2e

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/virtwork/kubectl-virtwork/pkg/apply"
	"github.com/virtwork/kubectl-virtwork/pkg/cmd"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/runs"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// poolLabel ties a test's VMs to the nodes its simulator registers: the
// shared control plane may hold other tests' nodes at the same time.
const poolLabel = "virtwork.test/pool"

// placed runs the simulator with four nodes of memory each (two zones),
// labelled with the test's pool, and waits until the scheduler can use
// them.
func (e *env) placed(t *testing.T, memory string) {
	t.Helper()
	nodes := simulator.UniformNodes(e.ns, 4, 2)
	for i := range nodes {
		nodes[i].Labels[poolLabel] = e.ns
		nodes[i].Memory = resource.MustParse(memory)
	}
	opts := simulatorOptions()
	opts.Register = nodes
	e.simulate(t, opts)
	kube, err := kubernetes.NewForConfig(e.cfg)
	must(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := simulator.WaitForNodes(ctx, kube, nodes); err != nil {
		t.Fatalf("the simulator's nodes are not ready: %v", err)
	}
}

// applyPlaced renders a run of n cpu VMs (2Gi of guest memory each),
// gives each VM's template what place sets, and applies it; it returns the
// run id.
func (e *env) applyPlaced(t *testing.T, n string, place func(runID string, spec map[string]any)) string {
	t.Helper()
	runID := uuid.NewString()
	b := runs.Bundle(t, e.ns, "--workloads", "cpu", "--vm-count", n, "--run-id", runID)
	objs := func(yield func(*unstructured.Unstructured) bool) {
		for o := range b.Objects() {
			if o.GetKind() == "VirtualMachine" {
				spec, _, err := unstructured.NestedMap(o.Object, "spec", "template", "spec")
				must(t, err)
				place(runID, spec)
				must(t, unstructured.SetNestedMap(o.Object, spec, "spec", "template", "spec"))
			}
			if !yield(o) {
				return
			}
		}
	}
	client, mapper := cluster.Shared(t).Clients(t)
	if _, err := apply.New(client, mapper, apply.Options{Concurrency: 8}).Apply(t.Context(), iter.Seq[*unstructured.Unstructured](objs)); err != nil {
		t.Fatalf("apply: %v", err)
	}
	return runID
}

// vmisPerNode counts the run's running VMIs per node.
func (e *env) vmisPerNode(t *testing.T, runID string) map[string]int {
	t.Helper()
	list, err := e.resource(vmiGVR).List(t.Context(), metav1.ListOptions{LabelSelector: runIDLabel + "=" + runID})
	must(t, err)
	per := map[string]int{}
	for _, vmi := range list.Items {
		if field(&vmi, "status", "phase") == "Running" {
			per[field(&vmi, "status", "nodeName")]++
		}
	}
	return per
}

// TestWaitSpreadOverNodes: VMs whose template spreads them over hostnames
// with maxSkew 1 run two on each of the four nodes, and wait says all are
// ready.
func TestWaitSpreadOverNodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.placed(t, "32Gi")
	runID := e.applyPlaced(t, "8", func(runID string, spec map[string]any) {
		spec["nodeSelector"] = map[string]any{poolLabel: e.ns}
		spec["topologySpreadConstraints"] = []any{map[string]any{
			"maxSkew": int64(1), "topologyKey": simulator.HostnameLabel, "whenUnsatisfiable": "DoNotSchedule",
			"labelSelector": map[string]any{"matchLabels": map[string]any{runIDLabel: runID}},
		}}
	})
	o := newPlugin(t).run(t.Context(), "wait", "-n", e.ns, "--run-id", runID, "--timeout", "2m")
	if o.code != 0 || !strings.Contains(o.stdout, "VMs: 8 ready") {
		t.Fatalf("wait exit %d:\n%s%s", o.code, o.stdout, o.stderr)
	}
	per := e.vmisPerNode(t, runID)
	if len(per) != 4 {
		t.Errorf("VMs per node %v, want 2 on each of 4 nodes", per)
	}
	for node, n := range per {
		if n != 2 {
			t.Errorf("%s runs %d VMs, want 2 (%v)", node, n, per)
		}
	}

	// Cleanup waits for the VMIs, whose virt-launcher Pods the simulator
	// deletes as their guests stop: none is left behind.
	start := time.Now()
	mustRun(t, newPlugin(t).run(t.Context(), "cleanup", "-n", e.ns, "--run-id", runID, "--yes"), "cleanup")
	kube, err := kubernetes.NewForConfig(e.cfg)
	must(t, err)
	pods, err := kube.CoreV1().Pods(e.ns).List(t.Context(), metav1.ListOptions{LabelSelector: runIDLabel + "=" + runID})
	must(t, err)
	if len(pods.Items) != 0 {
		t.Errorf("%d virt-launcher Pods left when cleanup returned", len(pods.Items))
	}
	t.Logf("cleanup took %s", time.Since(start).Round(time.Millisecond))
}

// TestWaitReportsUnschedulable: VMs the nodes cannot hold (a 2Gi VM and
// its launcher's overhead fit twice in 5Gi) and VMs whose selector no
// node matches keep wait waiting until --timeout, exit 3, with the
// scheduler's message for each.
func TestWaitReportsUnschedulable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.placed(t, "5Gi")
	tests := []struct {
		name, count string
		selector    string
		unsched     int
		message     string
		summary     string
	}{
		{"capacity", "10", e.ns, 2, "4 Insufficient memory", "VMs: 8 ready (workload active), 0 failed, 2 still waiting (of 10)"},
		{"no node matches", "2", "no-such-pool", 2, "didn't match Pod's node affinity/selector", "VMs: 0 ready (workload active), 0 failed, 2 still waiting (of 2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			runID := e.applyPlaced(t, tt.count, func(_ string, spec map[string]any) {
				spec["nodeSelector"] = map[string]any{poolLabel: tt.selector}
			})
			o := newPlugin(t).run(t.Context(), "wait", "-n", e.ns, "--run-id", runID, "--timeout", "10s")
			if o.code != cmd.ExitNotReady {
				t.Fatalf("wait exit %d, want %d:\n%s%s", o.code, cmd.ExitNotReady, o.stdout, o.stderr)
			}
			if got := strings.Count(o.stdout, "Unschedulable: 0/"); got != tt.unsched || !strings.Contains(o.stdout, tt.message) {
				t.Errorf("%d VMs listed as unschedulable, want %d with %q:\n%s", got, tt.unsched, tt.message, o.stdout)
			}
			if !strings.Contains(o.stdout, tt.summary) || !strings.Contains(o.stderr, fmt.Sprintf(", %d unschedulable", tt.unsched)) {
				t.Errorf("summary lacks %q, or progress the unschedulable count:\n%s%s", tt.summary, o.stdout, o.stderr)
			}
			t.Logf("wait said:\n%s", o.stdout)
		})
	}
}

// TestApplyPlacementFlags: the placement flags, applied by the plugin and
// placed by the real scheduler on four nodes of the test's own pool: an
// even spread, a per-node cap, more VMs than the nodes' memory holds, and
// a selector no node matches. Those that cannot all run end at --timeout,
// exit 3, each waiting VM listed with the scheduler's message.
func TestApplyPlacementFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, memory string
		args         func(ns string) []string
		perNode      int // VMs on each of the four nodes
		summary      string
		message      string // of each unschedulable VM
	}{
		{"spread", "32Gi", func(ns string) []string {
			return []string{"--vm-count", "8", "--spread", "hostname", "--node-selector", poolLabel + "=" + ns}
		}, 2, "VMs: 8 ready (workload active), 0 failed, 0 still waiting (of 8)", ""},
		{"vms per node", "32Gi", func(ns string) []string {
			return []string{"--vm-count", "6", "--vms-per-node", "1", "--node-selector", poolLabel + "=" + ns}
		}, 1, "VMs: 4 ready (workload active), 0 failed, 2 still waiting (of 6)", "didn't match pod anti-affinity rules"},
		{"over capacity", "5Gi", func(ns string) []string {
			return []string{"--vm-count", "10", "--node-selector", poolLabel + "=" + ns}
		}, 2, "VMs: 8 ready (workload active), 0 failed, 2 still waiting (of 10)", "4 Insufficient memory"},
		{"no node matches", "32Gi", func(string) []string {
			return []string{"--vm-count", "2", "--node-selector", poolLabel + "=no-such-pool"}
		}, 0, "VMs: 0 ready (workload active), 0 failed, 2 still waiting (of 2)", "didn't match Pod's node affinity/selector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.placed(t, tt.memory)
			runID := uuid.NewString()
			args := append([]string{"apply", "-n", e.ns, "--workloads", "cpu", "--run-id", runID, "--timeout", "20s"}, tt.args(e.ns)...)
			o := newPlugin(t).run(t.Context(), args...)
			want := 0
			if tt.message != "" {
				want = cmd.ExitNotReady
			}
			if o.code != want || !strings.Contains(o.stdout, tt.summary) {
				t.Fatalf("apply exit %d (want %d), summary lacks %q:\n%s%s", o.code, want, tt.summary, o.stdout, o.stderr)
			}
			// Each case that does not fit leaves two VMs waiting.
			if tt.message != "" && (strings.Count(o.stdout, "Unschedulable: 0/") != 2 || strings.Count(o.stdout, tt.message) != 2) {
				t.Errorf("the two waiting VMs are not listed with the scheduler's %q:\n%s", tt.message, o.stdout)
			}
			per := e.vmisPerNode(t, runID)
			for node, n := range per {
				if n != tt.perNode {
					t.Errorf("%s runs %d VMs, want %d (%v)", node, n, tt.perNode, per)
				}
			}
			if tt.perNode > 0 && len(per) != 4 {
				t.Errorf("VMs on %d nodes, want 4: %v", len(per), per)
			}
		})
	}
}
