package e2e

import (
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/disrupt"
)

// TestDisruptScale: a run of 200 VMs with 10% migrating every 30 s for
// 3 minutes (six rounds of 20) completes with every event succeeded and
// recorded exactly once, no VM migrating twice at once. It runs beside the
// other e2e tests, so its three minutes mostly overlap theirs.
func TestDisruptScale(t *testing.T) {
	if testing.Short() {
		t.Skip("200 VMs")
	}
	t.Parallel()
	e := newEnv(t)
	opts := simulatorOptions()
	opts.MigrationPause = 200 * time.Millisecond
	opts.Workers = 8
	e.simulate(t, opts)
	p := newPlugin(t)
	runID := "d15a0005-5555-4555-8555-555555555555"
	applyRun(t, p, e.ns, runID, "cpu", 200)
	start := time.Now()
	o := p.run(t.Context(), "disrupt", "-n", e.ns, "--run-id", runID, "--migrate", "10%", "--every", "30s", "--for", "3m",
		"--max-concurrent", "20", "--timeout", "1m", "-o", "json")
	took := time.Since(start)
	if o.code != 0 {
		t.Fatalf("disrupt: exit %d\n%s", o.code, o.stderr)
	}
	s := disruptSummary(t, o)
	if s.Rounds != 6 || len(s.Kinds) != 1 || s.Kinds[0].Events != 120 || s.Kinds[0].Succeeded != 120 {
		t.Fatalf("summary: %d rounds, %+v; want 6 rounds of 20 migrations, all succeeded", s.Rounds, s.Kinds)
	}
	t.Logf("120 migrations in %s: p50 %.2fs, p95 %.2fs, max %.2fs", took.Round(time.Millisecond), s.Kinds[0].Duration.P50, s.Kinds[0].Duration.P95, s.Kinds[0].Duration.Max)
	type key struct {
		vm    string
		start time.Time
	}
	once := map[key]int{}
	for _, d := range recorded(t, p, runID) {
		once[key{d.VM, d.Start}]++
		if d.Outcome != disrupt.OutcomeSucceeded || d.SourceNode == d.TargetNode {
			t.Errorf("recorded %+v", d)
		}
	}
	if len(once) != 120 {
		t.Errorf("the audit history holds %d distinct events, want 120", len(once))
	}
	for k, n := range once {
		if n != 1 {
			t.Errorf("%s at %s recorded %d times", k.vm, k.start, n)
		}
	}
	byVM := map[string][]disruptSpan{}
	for _, ev := range s.Events {
		byVM[ev.VM] = append(byVM[ev.VM], disruptSpan{ev.Start, ev.End})
	}
	for vm, spans := range byVM {
		for i := 1; i < len(spans); i++ {
			if spans[i].start.Before(spans[i-1].end) {
				t.Errorf("%s: two events at once: %v", vm, spans)
			}
		}
	}
}

type disruptSpan struct{ start, end time.Time }
