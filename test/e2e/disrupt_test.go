package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/disrupt"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

var migrationGVR = schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachineinstancemigrations"}

// applyRun applies a run of workloads with n VMs each and waits for it.
func applyRun(t *testing.T, p plugin, ns, runID, workloads string, n int) {
	t.Helper()
	args := []string{"apply", "-n", ns, "--workloads", workloads, "--vm-count", fmt.Sprint(n), "--run-id", runID, "--timeout", "2m"}
	if o := p.run(t.Context(), args...); o.code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", o.code, o.stdout, o.stderr)
	}
}

func cpuVM(runID string, i int) string { return fmt.Sprintf("virtwork-cpu-%s-%d", runID[:8], i) }

func disruptSummary(t *testing.T, o outcome) disrupt.Summary {
	t.Helper()
	var s disrupt.Summary
	if err := json.Unmarshal([]byte(o.stdout), &s); err != nil {
		t.Fatalf("disrupt -o json: %v\n%s%s", err, o.stdout, o.stderr)
	}
	return s
}

func recorded(t *testing.T, p plugin, runID string) []audit.Disruption {
	t.Helper()
	store, err := audit.Open(t.Context(), p.auditDB)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ds, err := store.Disruptions(t.Context(), runID)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestDisruptEachKind: one round migrates, restarts and stops/starts two
// VMs each; each event succeeds (the migrated VMI on another node, the
// restarted ones with a new VMI, ready again), is recorded once, listed by
// history, and cleanup removes the migrations with the run.
func TestDisruptEachKind(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	p := newPlugin(t)
	runID := "d15a0001-1111-4111-8111-111111111111"
	applyRun(t, p, e.ns, runID, "cpu", 6)
	o := p.run(t.Context(), "disrupt", "-n", e.ns, "--run-id", runID, "--migrate", "33%", "--restart", "33%", "--stop-start", "33%",
		"--down-for", "500ms", "--timeout", "1m", "-o", "json")
	if o.code != 0 {
		t.Fatalf("disrupt: exit %d\n%s%s", o.code, o.stdout, o.stderr)
	}
	s := disruptSummary(t, o)
	if len(s.Kinds) != 3 {
		t.Fatalf("kinds in the summary: %+v", s.Kinds)
	}
	for _, k := range s.Kinds {
		if k.Events != 2 || k.Succeeded != 2 || k.Duration == nil {
			t.Errorf("%s: %+v, want 2 events, 2 succeeded, with durations", k.Kind, k)
		}
	}
	vms := map[string]bool{}
	for _, ev := range s.Events {
		vms[ev.VM] = true
		switch {
		case ev.Kind == string(disrupt.Migrate) && (ev.SourceNode == "" || ev.TargetNode == "" || ev.SourceNode == ev.TargetNode):
			t.Errorf("migration of %s from %q to %q: not another node", ev.VM, ev.SourceNode, ev.TargetNode)
		case ev.Kind == string(disrupt.StopStart) && ev.Downtime < 500*time.Millisecond:
			t.Errorf("stop/start of %s: workload unready for %s, less than --down-for: %+v", ev.VM, ev.Downtime, ev)
		}
	}
	if len(vms) != 6 {
		t.Errorf("%d VMs disrupted, want each of the 6 once", len(vms))
	}
	if ds := recorded(t, p, runID); len(ds) != 6 {
		t.Errorf("the audit history holds %d events, want 6", len(ds))
	}
	h := p.run(t.Context(), "history", runID)
	for _, want := range []string{"Disruptions:", "migrate", "stop-start", "succeeded"} {
		if !strings.Contains(h.stdout, want) {
			t.Errorf("history %s lacks %q:\n%s", runID, want, h.stdout)
		}
	}
	migs, err := e.resource(migrationGVR).List(t.Context(), metav1.ListOptions{LabelSelector: labels.Selector(runID)})
	if err != nil || len(migs.Items) != 2 {
		t.Fatalf("migrations of the run: %v, %v; want 2", migs, err)
	}
	if c := p.run(t.Context(), "cleanup", "-n", e.ns, "--run-id", runID, "--yes"); c.code != 0 {
		t.Fatalf("cleanup: exit %d\n%s%s", c.code, c.stdout, c.stderr)
	}
	migs, err = e.resource(migrationGVR).List(t.Context(), metav1.ListOptions{LabelSelector: labels.Selector(runID)})
	if err != nil || len(migs.Items) != 0 {
		t.Errorf("after cleanup: %d migrations, %v; want none", len(migs.Items), err)
	}
}

// TestDisruptFaults: a migration that fails is reported with KubeVirt's
// reason, one that never completes and a VM that does not come back ready
// time out with what they were waiting for; the command exits 3 and every
// event is recorded.
func TestDisruptFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	runID := "d15a0002-2222-4222-8222-222222222222"
	opts := simulatorOptions()
	opts.Faults = map[string]simulator.Fault{cpuVM(runID, 0): simulator.FaultMigrationFails, cpuVM(runID, 1): simulator.FaultMigrationStuck,
		cpuVM(runID, 2): simulator.FaultNotReadyAfterRestart}
	e.simulate(t, opts)
	p := newPlugin(t)
	applyRun(t, p, e.ns, runID, "cpu", 3)
	base := []string{"disrupt", "-n", e.ns, "--run-id", runID, "--timeout", "10s", "-o", "json"}
	mig := p.run(t.Context(), append(base, "--migrate", "100%")...)
	if mig.code != 3 {
		t.Fatalf("disrupt --migrate with faults: exit %d, want 3\n%s%s", mig.code, mig.stdout, mig.stderr)
	}
	restart := p.run(t.Context(), append(base, "--restart", "100%")...)
	if restart.code != 3 {
		t.Fatalf("disrupt --restart with a fault: exit %d, want 3\n%s%s", restart.code, restart.stdout, restart.stderr)
	}
	got := map[string]string{}
	for _, s := range []disrupt.Summary{disruptSummary(t, mig), disruptSummary(t, restart)} {
		for _, ev := range s.Events {
			got[ev.Kind+" "+ev.VM] = ev.Outcome + ": " + ev.Reason
		}
	}
	for key, want := range map[string]string{
		"migrate " + cpuVM(runID, 0): "failed: migration " + cpuVM(runID, 0) + "-migrate-",
		"migrate " + cpuVM(runID, 1): "timed out: migration " + cpuVM(runID, 1) + "-migrate-",
		"migrate " + cpuVM(runID, 2): "succeeded",
		"restart " + cpuVM(runID, 2): "timed out: not ready again after 10s: Running, workload not active",
		"restart " + cpuVM(runID, 0): "succeeded",
	} {
		if !strings.HasPrefix(got[key], want) {
			t.Errorf("%s: %q, want it to start %q", key, got[key], want)
		}
	}
	for key, want := range map[string]string{"migrate " + cpuVM(runID, 0): simulator.MigrationFailureReason, "migrate " + cpuVM(runID, 1): "phase Running"} {
		if !strings.Contains(got[key], want) {
			t.Errorf("%s: %q does not give %q", key, got[key], want)
		}
	}
	if ds := recorded(t, p, runID); len(ds) != 6 {
		t.Errorf("the audit history holds %d events, want 6", len(ds))
	}
}

// TestDisruptDryRun: --dry-run prints the rounds the seed chooses (the
// same twice), the VMs that cannot migrate with KubeVirt's reason, and
// creates, deletes and records nothing.
func TestDisruptDryRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	p := newPlugin(t)
	runID := "d15a0003-3333-4333-8333-333333333333"
	applyRun(t, p, e.ns, runID, "cpu,disk", 1)
	args := []string{"disrupt", "-n", e.ns, "--run-id", runID, "--migrate", "50%", "--every", "1m", "--times", "3", "--dry-run"}
	first, again := p.run(t.Context(), args...), p.run(t.Context(), args...)
	if first.code != 0 || first.stdout != again.stdout {
		t.Fatalf("dry runs: exit %d, and the same output twice: %v\n%s%s", first.code, first.stdout == again.stdout, first.stdout, first.stderr)
	}
	disk := fmt.Sprintf("virtwork-disk-%s-0", runID[:8])
	for _, want := range []string{"round 1 at +0s: migrate " + e.ns + "/" + cpuVM(runID, 0), "round 3 at +2m0s", "Cannot migrate:",
		e.ns + "/" + disk + ": " + simulator.ReasonDisksNotLiveMigratable} {
		if !strings.Contains(first.stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, first.stdout)
		}
	}
	migs, err := e.resource(migrationGVR).List(t.Context(), metav1.ListOptions{})
	if err != nil || len(migs.Items) != 0 {
		t.Errorf("a dry run made %d migrations (%v)", len(migs.Items), err)
	}
	if ds := recorded(t, p, runID); len(ds) != 0 {
		t.Errorf("a dry run recorded %d events", len(ds))
	}
}

// TestDisruptInterrupted: Ctrl-C during a schedule stops new events; the
// running one ends and is reported and recorded, and the exit code is 130.
func TestDisruptInterrupted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	opts := simulatorOptions()
	opts.MigrationDuration = 2 * time.Second
	e.simulate(t, opts)
	p := newPlugin(t)
	runID := "d15a0004-4444-4444-8444-444444444444"
	applyRun(t, p, e.ns, runID, "cpu", 2)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan outcome, 1)
	go func() {
		done <- p.run(ctx, "disrupt", "-n", e.ns, "--run-id", runID, "--migrate", "50%", "--every", "1h", "--times", "5", "--timeout", "1m", "-o", "json")
	}()
	eventually(t, 30*time.Second, func() string { return "no migration started" }, func(ctx context.Context) (bool, error) {
		l, err := e.resource(migrationGVR).List(ctx, metav1.ListOptions{})
		return err == nil && len(l.Items) > 0, err
	})
	cancel()
	o := <-done
	if o.code != 130 {
		t.Fatalf("interrupted disrupt: exit %d, want 130\n%s%s", o.code, o.stdout, o.stderr)
	}
	s := disruptSummary(t, o)
	if !s.Interrupted || len(s.Events) != 1 || s.Events[0].Outcome != disrupt.OutcomeSucceeded {
		t.Errorf("summary after Ctrl-C: interrupted %v, events %+v; want the one running migration, finished", s.Interrupted, s.Events)
	}
	if ds := recorded(t, p, runID); len(ds) != 1 {
		t.Errorf("the audit history holds %d events, want 1", len(ds))
	}
}
