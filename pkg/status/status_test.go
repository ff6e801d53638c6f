package status_test

import (
	"bytes"
	"context"
	"iter"
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/virtwork/kubectl-virtwork/pkg/apply"
	"github.com/virtwork/kubectl-virtwork/pkg/status"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/runs"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		45 * time.Second: "45s", 12 * time.Minute: "12m", 3 * time.Hour: "3h", 47 * time.Hour: "47h", 50 * time.Hour: "2d",
	} {
		if got := status.Age(d); got != want {
			t.Errorf("Age(%s) = %q, want %q", d, got, want)
		}
	}
}

// deploy applies a run, with the simulator fault given to the named VMs.
func deploy(t *testing.T, client dynamic.Interface, mapper meta.RESTMapper, objs iter.Seq[*unstructured.Unstructured], faults map[string]simulator.Fault) {
	t.Helper()
	annotated := func(yield func(*unstructured.Unstructured) bool) {
		for o := range objs {
			if f, ok := faults[o.GetName()]; ok && o.GetKind() == "VirtualMachine" {
				o.SetAnnotations(map[string]string{simulator.FaultAnnotation: string(f)})
			}
			if !yield(o) {
				return
			}
		}
	}
	if _, err := apply.New(client, mapper, apply.Options{Concurrency: 4}).Apply(t.Context(), annotated); err != nil {
		t.Fatal(err)
	}
}

// TestListNamesStates: a VM that booted but whose workload is not active
// is Running, not Ready; the run counts it as running and not ready. Runs
// are listed newest first, and an unknown run is an error.
func TestListNamesStates(t *testing.T) {
	c := cluster.Shared(t)
	client, mapper := c.Clients(t)
	ns := c.Namespace(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- simulator.Run(ctx, c.Config(), simulator.Options{Namespace: ns, StepDelay: 50 * time.Millisecond})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulator: %v", err)
		}
	})
	older := runs.Bundle(t, ns, "--workloads", "memory")
	deploy(t, client, mapper, older.Objects(), nil)
	b := runs.Bundle(t, ns, "--workloads", "cpu", "--vm-count", "2")
	inactive := b.VMNames()[1]
	deploy(t, client, mapper, b.Objects(), map[string]simulator.Fault{inactive: simulator.FaultWorkloadInactive})
	// Both VMs boot and one becomes ready: wait until status says so.
	opts := status.Options{Namespace: ns, RunID: b.RunID, Now: time.Now}
	var got []*status.Run
	err := utilwait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		var err error
		got, err = status.List(ctx, client, opts)
		return err == nil && len(got) == 1 && got[0].Running == 2 && got[0].Ready == 1, err
	})
	if err != nil || len(got) != 1 || got[0].VMs != 2 || got[0].Failed != 0 || len(got[0].Machines) != 2 {
		for _, r := range got {
			t.Logf("run %+v", *r)
		}
		t.Fatalf("status of run %s: %v", b.RunID, err)
	}
	for _, m := range got[0].Machines {
		want := "Ready"
		if m.Name == inactive {
			want = "Running"
		}
		if m.State != want || m.Node == "" || (want == "Ready") != (m.Reason == "") {
			t.Errorf("VM %+v, want state %s", m, want)
		}
	}
	// Per node, from each VMI's status.nodeName.
	var onNodes, ready int
	for _, n := range got[0].Nodes {
		if n.Node == status.Unscheduled {
			t.Errorf("a running VM counted as unscheduled: %+v", got[0].Nodes)
		}
		onNodes += n.VMs
		ready += n.Ready
	}
	if onNodes != 2 || ready != 1 {
		t.Errorf("per node %+v, want 2 VMs, 1 ready", got[0].Nodes)
	}
	var out, errOut bytes.Buffer
	if err := status.Print(&out, &errOut, got, ns); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"VMS  RUNNING  READY  FAILED", "NODE ", "VM ", "STATE", inactive + "  Running"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}

	all, err := status.List(t.Context(), client, status.Options{Namespace: ns, Now: time.Now})
	if err != nil || len(all) != 2 || all[0].Machines != nil {
		t.Fatalf("all runs (%v): %+v", err, all)
	}
	// Newest first; runs created in the same second by run id.
	if a, z := all[0], all[1]; a.Created.Before(z.Created) || a.Created.Equal(z.Created) && a.RunID > z.RunID ||
		a.RunID != b.RunID && a.RunID != older.RunID || z.RunID != b.RunID && z.RunID != older.RunID {
		t.Errorf("runs out of order: %s (%s), %s (%s)", a.RunID, a.Created, z.RunID, z.Created)
	}
	opts.RunID = "eeeeeeee-3333-4333-8333-333333333333"
	if _, err := status.List(t.Context(), client, opts); err == nil || !strings.Contains(err.Error(), "has no VirtualMachines in namespace "+ns) {
		t.Errorf("unknown run: %v", err)
	}
	out.Reset()
	if err := status.Print(&out, &errOut, nil, ""); err != nil || out.Len() != 0 || !strings.Contains(errOut.String(), "no virtwork runs in any namespace") {
		t.Errorf("no runs: %q %q", out.String(), errOut.String())
	}
}
