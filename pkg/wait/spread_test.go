package wait_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/virtwork/kubectl-virtwork/pkg/wait"
	"github.com/virtwork/kubectl-virtwork/test/runs"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// TestSpreadRunIsFollowedInItsNamespacesOnly: a run spread over two
// namespaces, followed with no expected names (as wait re-attaches), is
// seen whole through the cluster-wide watches, each VM in its namespace;
// a fifth VM with the run id in a third namespace, which cannot be
// scheduled, is not the run's: the wait neither counts nor fails on it.
func TestSpreadRunIsFollowedInItsNamespacesOnly(t *testing.T) {
	e := newEnv(t, simulator.Options{StepDelay: 50 * time.Millisecond})
	prefix := "vw-spread-" + uuid.NewString()[:8]
	id := uuid.NewString()
	b := runs.Bundle(t, prefix, "--workloads", "cpu", "--vm-count", "4", "--namespaces", "2", "--run-id", id)
	stray := runs.Bundle(t, e.ns, "--workloads", "cpu", "--vm-count", "5", "--run-id", id)
	nsGVR := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	for _, ns := range b.Namespaces {
		t.Cleanup(func() { _ = e.client.Resource(nsGVR).Delete(context.Background(), ns, metav1.DeleteOptions{}) })
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- simulator.Run(ctx, e.cfg, simulator.Options{Namespace: ns, StepDelay: 50 * time.Millisecond})
		}()
		t.Cleanup(func() { cancel(); <-done })
	}
	e.deploy(t, b.Objects())
	// In e.ns, which has a simulator too, only the fifth VM (a name the
	// run does not have), asked to fail scheduling: a wait that followed
	// it would count five VMs, one failed.
	e.deploy(t, func(yield func(*unstructured.Unstructured) bool) {
		for obj := range stray.Objects() {
			if obj.GetKind() == "VirtualMachine" {
				if obj.GetName() != stray.VMNames()[4] {
					continue
				}
				obj.SetAnnotations(map[string]string{simulator.FaultAnnotation: string(simulator.FaultUnschedulable)})
			}
			if !yield(obj) {
				return
			}
		}
	})

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	res, err := wait.ForRun(ctx, e.client, wait.Options{Namespace: b.Namespace, Namespaces: b.Namespaces, RunID: id, Tick: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Counts()
	if !res.Done || c.Reached != 4 || c.Failed != 0 || len(res.VMs) != 4 {
		t.Fatalf("done %v, counts %+v, VMs %+v", res.Done, c, res.VMs)
	}
	for i, vm := range res.VMs {
		if want := b.Namespaces[i%2]; vm.Namespace != want {
			t.Errorf("%s in %q, want %s", vm.Name, vm.Namespace, want)
		}
	}
}
