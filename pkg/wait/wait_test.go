package wait_test

import (
	"context"
	"iter"
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/virtwork/kubectl-virtwork/pkg/apply"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/report"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/runs"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

type env struct {
	cfg    *rest.Config
	client dynamic.Interface
	mapper meta.RESTMapper
	ns     string
}

func newEnv(t *testing.T, sim simulator.Options) *env {
	t.Helper()
	c := cluster.Shared(t)
	cfg := c.Config()
	cfg.QPS, cfg.Burst = 1000, 2000
	client, mapper := c.Clients(t)
	e := &env{cfg: cfg, client: client, mapper: mapper, ns: c.Namespace(t)}
	sim.Namespace = e.ns
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- simulator.Run(ctx, cfg, sim) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulator: %v", err)
		}
	})
	return e
}

// deploy applies objs.
func (e *env) deploy(t *testing.T, objs iter.Seq[*unstructured.Unstructured]) {
	t.Helper()
	a := apply.New(e.client, e.mapper, apply.Options{Concurrency: 32})
	if _, err := a.Apply(t.Context(), objs); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

func (e *env) wait(t *testing.T, b *render.Bundle, timeout time.Duration, target ...wait.Target) *wait.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	opts := wait.Options{
		Namespace: e.ns, RunID: b.RunID, Expected: b.VMNames(),
		DataVolumes: b.HasDataVolumes(), Tick: 100 * time.Millisecond,
	}
	if len(target) > 0 {
		opts.For = target[0]
	}
	res, err := wait.ForRun(ctx, e.client, opts)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	return res
}

// Test200VMsReachRunning: a run of the five original workloads (204 VMs; named, so a new workload does not change the count) is followed to
// Running through one watch per kind.
func Test200VMsReachRunning(t *testing.T) {
	e := newEnv(t, simulator.Options{StepDelay: 50 * time.Millisecond, Workers: 16})
	b := runs.Bundle(t, e.ns, "--workloads", "cpu,memory,database,network,disk", "--vm-count", "34")
	if n := len(b.VMNames()); n != 204 {
		t.Fatalf("rendered %d VMs", n)
	}
	e.deploy(t, b.Objects())
	res := e.wait(t, b, 3*time.Minute)
	c := res.Counts()
	if !res.Done || c.Reached != 204 || c.Failed != 0 {
		t.Fatalf("done %v, counts %+v", res.Done, c)
	}
	for _, of := range []func(wait.VM) time.Duration{wait.VM.TimeToRunning, wait.VM.TimeToReady} {
		var ds []time.Duration
		for _, vm := range res.VMs {
			ds = append(ds, of(vm))
		}
		p := report.PercentilesOf(ds)
		if p == nil || p.Count != 204 || p.P50 > p.P95 || p.P95 > p.P99 || p.P99 > p.Max {
			t.Errorf("time to running/ready %+v", p)
		}
	}
	for _, vm := range res.VMs {
		if vm.Node == "" || vm.ScheduledAt.Before(vm.Created) || vm.RunningAt.Before(vm.ScheduledAt) || vm.ReadyAt.Before(vm.RunningAt) || vm.Observed != "" {
			t.Errorf("%s: node %q, created %s, scheduled %s, running %s, ready %s, observed %q", vm.Name, vm.Node, vm.Created, vm.ScheduledAt, vm.RunningAt, vm.ReadyAt, vm.Observed)
		}
	}
}

// TestFaultsEndTheWaitEarly: a VM that fails for good is reported with
// its reason as soon as it is seen, long before the timeout.
func TestFaultsEndTheWaitEarly(t *testing.T) {
	tests := []struct {
		fault  simulator.Fault
		reason string
		args   []string
	}{
		{simulator.FaultVMIFailed, "VirtualMachineInstance failed", nil},
		{simulator.FaultDVFailed, "DataVolumeError", nil},
		{simulator.FaultErrImagePull, "ErrImagePull", nil},
		// The root disk clone fails; the data disk's import succeeds.
		{simulator.FaultCloneFailed, "DataVolumeError", []string{"--boot-source", "pvc:golden/fedora"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault), func(t *testing.T) {
			e := newEnv(t, simulator.Options{StepDelay: 50 * time.Millisecond})
			b := runs.Bundle(t, e.ns, append([]string{"--workloads", "cpu,disk", "--vm-count", "2"}, tt.args...)...)
			bad := ""
			for _, n := range b.VMNames() {
				if strings.Contains(n, "-disk-") {
					bad = n // a VM with a DataVolume, so every fault applies
				}
			}
			start := time.Now()
			e.deploy(t, simulator.Annotate(b.Objects(), map[string]simulator.Fault{bad: tt.fault}))
			res := e.wait(t, b, 2*time.Minute)
			if took := time.Since(start); took > 30*time.Second {
				t.Errorf("the failure was reported after %s", took)
			}
			c := res.Counts()
			if !res.Done || c.Failed != 1 || c.Reached != 3 {
				t.Fatalf("done %v, counts %+v: %+v", res.Done, c, res.VMs)
			}
			for _, vm := range res.VMs {
				if vm.Name == bad && (vm.State != wait.Failed || !strings.Contains(vm.Reason, tt.reason)) {
					t.Errorf("%s: state %s reason %q, want failed with %q", vm.Name, vm.State, vm.Reason, tt.reason)
				}
			}
		})
	}
}

// TestTimeout: a VM that is still starting when time runs out is reported
// as waiting, with what it waits in.
func TestTimeout(t *testing.T) {
	e := newEnv(t, simulator.Options{StepDelay: 50 * time.Millisecond, SlowStartDelay: time.Hour})
	b := runs.Bundle(t, e.ns, "--workloads", "cpu", "--vm-count", "2")
	slow := b.VMNames()[0]
	e.deploy(t, simulator.Annotate(b.Objects(), map[string]simulator.Fault{slow: simulator.FaultSlowStart}))
	start := time.Now()
	res := e.wait(t, b, 3*time.Second)
	if took := time.Since(start); took < 3*time.Second || took > 10*time.Second {
		t.Errorf("wait returned after %s with a 3s timeout", took)
	}
	c := res.Counts()
	if res.Done || c.Waiting != 1 || c.Reached != 1 {
		t.Fatalf("done %v counts %+v", res.Done, c)
	}
	if res.VMs[0].Name != slow || res.VMs[0].Reason == "" {
		t.Errorf("waiting VM %+v", res.VMs[0])
	}
}

// TestReattach: without an expected list, wait follows the VMs the run has
// in the cluster.
func TestReattach(t *testing.T) {
	e := newEnv(t, simulator.Options{StepDelay: 50 * time.Millisecond})
	b := runs.Bundle(t, e.ns, "--workloads", "network", "--vm-count", "2")
	e.deploy(t, b.Objects())
	other := runs.Bundle(t, e.ns, "--workloads", "cpu")
	e.deploy(t, other.Objects())
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	res, err := wait.ForRun(ctx, e.client, wait.Options{Namespace: e.ns, RunID: b.RunID})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Done || len(res.VMs) != 4 || res.Counts().Reached != 4 {
		t.Fatalf("done %v VMs %+v", res.Done, res.VMs)
	}
	for _, vm := range res.VMs {
		if vm.Created.IsZero() || vm.ReadyAt.IsZero() || vm.Observed != "" {
			t.Errorf("%s: no time to ready from its creation time", vm.Name)
		}
	}
}

// TestWorkloadNotActive: a VM that runs but whose readiness probe keeps
// failing is not ready, and the wait says why; waiting --for=running
// counts it as done.
func TestWorkloadNotActive(t *testing.T) {
	e := newEnv(t, simulator.Options{StepDelay: 50 * time.Millisecond})
	b := runs.Bundle(t, e.ns, "--workloads", "cpu", "--vm-count", "2")
	inactive := b.VMNames()[1]
	e.deploy(t, simulator.Annotate(b.Objects(), map[string]simulator.Fault{inactive: simulator.FaultWorkloadInactive}))
	res := e.wait(t, b, 5*time.Second)
	c := res.Counts()
	if res.Done || c.Reached != 1 || c.Waiting != 1 {
		t.Fatalf("done %v counts %+v", res.Done, c)
	}
	vm := res.VMs[1]
	if vm.Name != inactive || vm.State != wait.Running || vm.Reached || !strings.HasPrefix(vm.Reason, "Running, workload not active: the readiness probe failed") || vm.RunningAt.IsZero() || !vm.ReadyAt.IsZero() {
		t.Errorf("inactive VM %+v", vm)
	}
	if other := res.VMs[0]; other.State != wait.Ready || !other.Reached {
		t.Errorf("active VM %+v", other)
	}
	res = e.wait(t, b, time.Minute, wait.ForRunning)
	if !res.Done || res.Counts().Reached != 2 {
		t.Errorf("--for=running: done %v counts %+v", res.Done, res.Counts())
	}
	// Reaching --for=running does not make the VM ready: its state still
	// says what it is.
	if vm := res.VMs[1]; vm.State != wait.Running || !vm.Reached || vm.Reason != "" {
		t.Errorf("--for=running, inactive VM %+v", vm)
	}
}
