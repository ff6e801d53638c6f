package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/verify"
	"github.com/virtwork/kubectl-virtwork/test/prom"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// TestVerifyContinuity applies three one-VM cpu runs against the simulator
// and a real Prometheus, migrates the first with disrupt (its metrics
// paused 4 s at the switch-over), restarts the second and stops and
// starts a third, and verifies them: the migration's gap is measured on the raw
// samples and its series found under the new node, and an absent() rule
// that fired in the gap fails it; the restart's and the stop/start's load
// come back within their allowance; no level check fails for the events.
// An alert on the cpu level (above 50, the runs hold 100) fires in each
// run; the stop/start (longer than its rate window) resolves it, and
// verify puts that down to the event, naming it, rather than failing the
// alert, as it does whatever the migration and the restart do to it.
func TestVerifyContinuity(t *testing.T) {
	e := newEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	migrated, restarted, stopped := "c1c1c1c1-1111-4111-8111-111111111111", "c2c2c2c2-2222-4222-8222-222222222222", "c3c3c3c3-3333-4333-8333-333333333333"
	vmA := "virtwork-cpu-c1c1c1c1-0"
	opts := simulator.Options{StepDelay: 100 * time.Millisecond, MetricsListener: l, Seed: 9, MigrationPause: 4 * time.Second}
	e.simulate(t, opts)
	rules := filepath.Join(t.TempDir(), "rules.yml")
	rule := fmt.Sprintf("groups:\n- name: gaps\n  rules:\n  - alert: VMSeriesAbsent\n    expr: absent(kubevirt_vmi_cpu_usage_seconds_total{name=%q})\n    for: 1s\n", vmA)
	levelRules := filepath.Join(t.TempDir(), "level-rules.yml")
	if err := os.WriteFile(rules, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(levelRules, []byte(verifyRules), 0o644); err != nil {
		t.Fatal(err)
	}
	p := prom.Require(t, prom.Options{Jobs: simulator.ScrapeJobs(l.Addr(), opts), RuleFiles: []string{rules, levelRules}})
	plug := newPlugin(t)
	for _, run := range []string{migrated, restarted, stopped} {
		mustRun(t, plug.run(t.Context(), "apply", "-n", e.ns, "--run-id", run, "--workloads", "cpu", "--cpu-cores", "2", "--timeout", "2m"), "apply "+run)
	}
	// A baseline of load before the events, and after them, for the
	// level checks and the load's return: the window verify judges.
	time.Sleep(15 * time.Second)
	mustRun(t, plug.run(t.Context(), "disrupt", "-n", e.ns, "--run-id", migrated, "--migrate", "100%", "--timeout", "1m"), "disrupt --migrate")
	mustRun(t, plug.run(t.Context(), "disrupt", "-n", e.ns, "--run-id", restarted, "--restart", "100%", "--timeout", "1m"), "disrupt --restart")
	mustRun(t, plug.run(t.Context(), "disrupt", "-n", e.ns, "--run-id", stopped, "--stop-start", "100%", "--down-for", "8s", "--timeout", "1m"), "disrupt --stop-start")
	time.Sleep(15 * time.Second)

	flags := []string{"-n", e.ns, "--prometheus", p.URL(), "--rate-window", "5s", "--settle", "3s", "--step", "1s", "--max-gap", "10s", "--alert", "VirtworkCPUHigh", "-o", "json"}
	res, code := verifyRun(t, plug, migrated, flags)
	if code != 3 || len(res.Continuity) != 1 {
		t.Fatalf("verify the migrated run: exit %d, want 3 (the absent() alert fired); continuity %+v", code, res.Continuity)
	}
	c := res.Continuity[0]
	t.Logf("migration %s → %s: gap %v (allowed %v), nodes %v, alerts %v: %s (%s)", c.Event.SourceNode, c.Event.TargetNode, c.Measured, c.Allowed, c.Nodes, c.Alerts, c.Outcome, c.Why)
	if c.Event.Kind != verify.KindMigrate || c.Event.VM != vmA || c.Outcome != verify.Failed || !slices.Equal(c.Alerts, []string{"VMSeriesAbsent"}) {
		t.Errorf("the migration: %+v", c)
	}
	if c.Measured == nil || *c.Measured < 4*time.Second || *c.Measured > 10*time.Second {
		t.Errorf("the migration's gap %v: want at least the 4 s pause and at most --max-gap", c.Measured)
	}
	if c.Event.SourceNode == c.Event.TargetNode || !slices.Contains(c.Nodes, c.Event.TargetNode) {
		t.Errorf("the series' nodes from the migration on %v, want its target %s", c.Nodes, c.Event.TargetNode)
	}
	noLevelFailures(t, res)
	alertsPassed(t, res)

	for _, run := range []string{restarted, stopped} {
		res, code = verifyRun(t, plug, run, flags)
		if code != 0 || len(res.Continuity) != 1 {
			t.Fatalf("verify %s: exit %d, want 0; continuity %+v", run, code, res.Continuity)
		}
		c := res.Continuity[0]
		t.Logf("%s of %s %s–%s: back after %v (allowed %v): %s", c.Event.Kind, c.Event.VM, c.Event.Start.Format(time.TimeOnly), c.Event.End.Format(time.TimeOnly), c.Measured, c.Allowed, c.Outcome)
		if c.Outcome != verify.Passed || c.Measured == nil || *c.Measured > c.Allowed || c.Alerts != nil {
			t.Errorf("%s: %+v", c.Event.Kind, c)
		}
		noLevelFailures(t, res)
		alertsPassed(t, res)
		if run == stopped && !explainedBy(res, c.Event) {
			t.Errorf("no alert check puts the alert's resolving down to the stop/start of %s: %+v", c.Event.VM, res.Alerts)
		}
	}
}

// alertsPassed: the alert on the level fires in every run and is judged
// around the events: none of its checks fails.
func alertsPassed(t *testing.T, res *verify.Result) {
	t.Helper()
	if len(res.Alerts) == 0 {
		t.Errorf("no alert checks")
	}
	for _, a := range res.Alerts {
		t.Logf("alert %s on %s %s–%s, want %s: %s (%s), fired after %v", a.Alert, a.VM, a.From.Format(time.TimeOnly), a.To.Format(time.TimeOnly), a.Want, a.Outcome, a.Why, a.FiredAfter)
		if a.Outcome == verify.Failed {
			t.Errorf("alert %s on %s: %s", a.Alert, a.VM, a.Why)
		}
	}
}

// explainedBy: an alert check passed and names ev as what explains the
// alert's state, in its explained events and its why.
func explainedBy(res *verify.Result, ev verify.Disruption) bool {
	return slices.ContainsFunc(res.Alerts, func(a verify.AlertCheck) bool {
		return a.Outcome == verify.Passed && slices.ContainsFunc(a.Explained, func(d verify.Disruption) bool { return d.Kind == ev.Kind && d.VM == ev.VM && d.Start.Equal(ev.Start) }) &&
			strings.Contains(a.Why, "explained by the "+ev.Kind+" of "+ev.VM)
	})
}

// verifyRun runs verify -o json on a run and decodes its result.
func verifyRun(t *testing.T, plug plugin, run string, flags []string) (*verify.Result, int) {
	t.Helper()
	out := plug.run(t.Context(), append([]string{"verify", "--run-id", run}, flags...)...)
	var res verify.Result
	if err := json.Unmarshal([]byte(out.stdout), &res); err != nil {
		t.Fatalf("verify %s: exit %d, %v\n%s\n%s", run, out.code, err, out.stdout, out.stderr)
	}
	return &res, out.code
}

// noLevelFailures: the stretches around the events are left out of the
// level checks, so none of them fails for an event.
func noLevelFailures(t *testing.T, res *verify.Result) {
	t.Helper()
	for _, c := range res.Checks {
		if c.Outcome == verify.Failed || c.Outcome == verify.NoSeries {
			t.Errorf("level check %s %s–%s: %s (%s)", c.VM, c.From.Format(time.TimeOnly), c.To.Format(time.TimeOnly), c.Outcome, c.Why)
		}
	}
}

// TestVerifyContinuityFaults: verify reports the day-2 fault modes with
// the VM and disrupt's reason: a migration that fails leaves the series
// on its source node, carrying on (passed, the failure named); a VM that
// does not come back ready after its restart is named with the timeout,
// and passes: the simulator's unready VMI runs its load all the same, and
// continuity judges the signal, not the readiness (disrupt exits 3 for it).
func TestVerifyContinuityFaults(t *testing.T) {
	e := newEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	migrated, restarted := "cf000001-1111-4111-8111-111111111111", "cf000002-2222-4222-8222-222222222222"
	opts := simulator.Options{StepDelay: 100 * time.Millisecond, MetricsListener: l, Seed: 10,
		Faults: map[string]simulator.Fault{cpuVM(migrated, 0): simulator.FaultMigrationFails, cpuVM(restarted, 0): simulator.FaultNotReadyAfterRestart}}
	e.simulate(t, opts)
	p := prom.Require(t, prom.Options{Jobs: simulator.ScrapeJobs(l.Addr(), opts)})
	plug := newPlugin(t)
	for _, run := range []string{migrated, restarted} {
		mustRun(t, plug.run(t.Context(), "apply", "-n", e.ns, "--run-id", run, "--workloads", "cpu", "--cpu-cores", "2", "--timeout", "2m"), "apply "+run)
	}
	time.Sleep(10 * time.Second) // load before the events, in the window verify judges
	for run, kind := range map[string]string{migrated: "--migrate", restarted: "--restart"} {
		if o := plug.run(t.Context(), "disrupt", "-n", e.ns, "--run-id", run, kind, "100%", "--timeout", "10s"); o.code != 3 {
			t.Fatalf("disrupt %s with a fault: exit %d, want 3\n%s%s", kind, o.code, o.stdout, o.stderr)
		}
	}
	time.Sleep(10 * time.Second) // load after them

	flags := []string{"-n", e.ns, "--prometheus", p.URL(), "--rate-window", "5s", "--settle", "3s", "--step", "1s", "--max-gap", "10s", "-o", "json"}
	res, code := verifyRun(t, plug, migrated, flags)
	if len(res.Continuity) != 1 {
		t.Fatalf("verify %s: exit %d, continuity %+v", migrated, code, res.Continuity)
	}
	c := res.Continuity[0]
	t.Logf("failed migration: exit %d, gap %v, nodes %v: %s (%s)", code, c.Measured, c.Nodes, c.Outcome, c.Why)
	if code != 0 || c.Outcome != verify.Passed || c.Event.VM != cpuVM(migrated, 0) || !strings.HasPrefix(c.Why, "the migration failed: migration "+cpuVM(migrated, 0)) ||
		!strings.Contains(c.Why, simulator.MigrationFailureReason) || !slices.Equal(c.Nodes, []string{c.Event.SourceNode}) {
		t.Errorf("the failed migration: exit %d, %+v", code, c)
	}
	res, code = verifyRun(t, plug, restarted, flags)
	if len(res.Continuity) != 1 {
		t.Fatalf("verify %s: exit %d, continuity %+v", restarted, code, res.Continuity)
	}
	c = res.Continuity[0]
	t.Logf("restart not ready again: exit %d, back after %v of %v: %s (%s)", code, c.Measured, c.Allowed, c.Outcome, c.Why)
	if code != 0 || c.Outcome != verify.Passed || c.Event.VM != cpuVM(restarted, 0) || !strings.HasPrefix(c.Why, "the restart timed out: not ready again after 10s") {
		t.Errorf("the restart not ready again: exit %d, %+v", code, c)
	}
}
