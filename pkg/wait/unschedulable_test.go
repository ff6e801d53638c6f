package wait_test

import (
	"context"
	"iter"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/virtwork/kubectl-virtwork/pkg/wait"
	"github.com/virtwork/kubectl-virtwork/test/runs"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// withSelector sets the node selector of the named VMs' template.
func withSelector(objs iter.Seq[*unstructured.Unstructured], selectors map[string]map[string]any) iter.Seq[*unstructured.Unstructured] {
	return func(yield func(*unstructured.Unstructured) bool) {
		for o := range objs {
			if sel, ok := selectors[o.GetName()]; ok && o.GetKind() == "VirtualMachine" {
				if err := unstructured.SetNestedMap(o.Object, sel, "spec", "template", "spec", "nodeSelector"); err != nil {
					panic(err)
				}
			}
			if !yield(o) {
				return
			}
		}
	}
}

// TestUnschedulableKeepsWaiting: a VM whose Pod kube-scheduler cannot
// place is waiting, not failed, with the scheduler's own message; once a
// node fits (here labelled, as an admin or an autoscaler would provide
// one) the same wait sees it become ready.
func TestUnschedulableKeepsWaiting(t *testing.T) {
	const pool, late = "virtwork.test/pool", "virtwork.test/late"
	// The pool label keeps the VMs off other tests' nodes.
	nodes := simulator.UniformNodes("wait-unsched", 2, 0)
	for i := range nodes {
		nodes[i].Labels = map[string]string{pool: "wait-unsched"}
	}
	e := newEnv(t, simulator.Options{StepDelay: 50 * time.Millisecond, Register: nodes})
	kube := kubeClient(t, e)
	wctx, wcancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer wcancel()
	if err := simulator.WaitForNodes(wctx, kube, nodes); err != nil {
		t.Fatal(err)
	}
	b := runs.Bundle(t, e.ns, "--workloads", "cpu", "--vm-count", "2")
	placed, waiting := b.VMNames()[0], b.VMNames()[1]
	e.deploy(t, withSelector(b.Objects(), map[string]map[string]any{
		placed:  {pool: "wait-unsched"},
		waiting: {pool: "wait-unsched", late: "true"},
	}))

	// Follow the run until the scheduler's verdict is in.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	res, err := wait.ForRun(ctx, e.client, wait.Options{
		Namespace: e.ns, RunID: b.RunID, Expected: b.VMNames(), Tick: 100 * time.Millisecond,
		Progress: func(p wait.Progress) {
			if p.Unschedulable == 1 && p.Reached == 1 {
				cancel()
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Counts()
	if res.Done || c.Reached != 1 || c.Waiting != 1 || c.Failed != 0 || c.Unschedulable != 1 {
		t.Fatalf("done %v counts %+v: %+v", res.Done, c, res.VMs)
	}
	vm := res.VMs[1]
	const want = "Unschedulable: 0/"
	if vm.Name != waiting || vm.State != wait.Pending || !vm.Unschedulable || !vm.Waiting() ||
		!strings.HasPrefix(vm.Reason, want) || !strings.Contains(vm.Reason, "didn't match Pod's node affinity/selector") {
		t.Errorf("unschedulable VM %+v, want waiting with reason %q and the scheduler's message", vm, want+"...")
	}

	patch := `{"metadata":{"labels":{"` + late + `":"true"}}}`
	if _, err := kube.CoreV1().Nodes().Patch(t.Context(), nodes[0].Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	res = e.wait(t, b, time.Minute)
	if c := res.Counts(); !res.Done || c.Reached != 2 || c.Unschedulable != 0 {
		t.Fatalf("after a node fits: done %v counts %+v: %+v", res.Done, c, res.VMs)
	}
	if got := res.VMs[1].Node; got != nodes[0].Name {
		t.Errorf("%s runs on %q, want %s, the node that now fits", waiting, got, nodes[0].Name)
	}
}

func kubeClient(t *testing.T, e *env) kubernetes.Interface {
	t.Helper()
	kube, err := kubernetes.NewForConfig(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return kube
}
