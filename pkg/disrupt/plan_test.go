package disrupt

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/virtwork/kubectl-virtwork/pkg/audit"
)

func TestParsePercent(t *testing.T) {
	for in, want := range map[string]float64{"10%": 10, "10": 10, "0.5%": 0.5, "100%": 100, " 25 % ": 25} {
		if got, err := ParsePercent(in); err != nil || got != want {
			t.Errorf("ParsePercent(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "0%", "-5%", "101%", "ten", "NaN", "10%%"} {
		if got, err := ParsePercent(in); err == nil {
			t.Errorf("ParsePercent(%q) = %v, want an error", in, got)
		}
	}
}

func TestRoundsFor(t *testing.T) {
	for _, tc := range []struct {
		d, every time.Duration
		want     int
	}{{3 * time.Minute, 30 * time.Second, 6}, {time.Hour, 5 * time.Minute, 12}, {61 * time.Second, 30 * time.Second, 3}, {10 * time.Second, time.Minute, 1}} {
		if got := RoundsFor(tc.d, tc.every); got != tc.want {
			t.Errorf("RoundsFor(%s, %s) = %d, want %d", tc.d, tc.every, got, tc.want)
		}
	}
}

func cands(n int) []candidate {
	var out []candidate
	for i := range n {
		out = append(out, candidate{Namespace: "ns", Name: fmt.Sprintf("vm-%03d", i), Node: "node-0"})
	}
	return out
}

// TestChooseIsDeterministic: the same seed, round and VMs choose the same
// VMs whatever order they were listed in; another seed or round chooses
// others; kinds never share a VM; busy and unmigratable VMs are skipped.
func TestChooseIsDeterministic(t *testing.T) {
	vms := cands(200)
	pct := map[Kind]float64{Migrate: 10, Restart: 5, StopStart: 1}
	none := func(string) bool { return false }
	a := choose(7, 0, len(vms), vms, pct, none)
	reversed := make([]candidate, len(vms))
	for i, c := range vms {
		reversed[len(vms)-1-i] = c
	}
	if diff := cmp.Diff(a, choose(7, 0, len(vms), reversed, pct, none)); diff != "" {
		t.Errorf("the listing order changed the choice:\n%s", diff)
	}
	counts, seen := map[Kind]int{}, map[string]bool{}
	for _, c := range a {
		counts[c.Kind]++
		if seen[c.VM] {
			t.Errorf("%s chosen twice in one round", c.VM)
		}
		seen[c.VM] = true
	}
	if diff := cmp.Diff(map[Kind]int{Migrate: 20, Restart: 10, StopStart: 2}, counts); diff != "" {
		t.Errorf("events per kind (-want +got):\n%s", diff)
	}
	if cmp.Equal(a, choose(8, 0, len(vms), vms, pct, none)) || cmp.Equal(a, choose(7, 1, len(vms), vms, pct, none)) {
		t.Error("another seed or round chose the same VMs")
	}
	vms[0].Unmigratable = "DisksNotLiveMigratable: claim is RWO"
	busy := func(key string) bool { return key == "ns/vm-001" }
	for _, c := range choose(7, 0, len(vms), vms, map[Kind]float64{Migrate: 100}, busy) {
		if c.VM == "vm-000" || c.VM == "vm-001" {
			t.Errorf("chose %s, which is unmigratable or busy", c.VM)
		}
	}
	if got := choose(1, 0, 3, cands(3), map[Kind]float64{Restart: 1}, none); len(got) != 1 {
		t.Errorf("1%% of 3 VMs chose %d, want 1 (a share above 0 is at least one VM)", len(got))
	}
}

func readyVMI(status string, at time.Time) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{"conditions": []any{
		map[string]any{"type": "Ready", "status": status, "lastTransitionTime": at.UTC().Format(time.RFC3339)}}}}}
}

// TestDowntime: the workload's unready time comes from the Ready
// condition's transitions where there are some, from observation where
// the VMI was gone, and never counts before the event began.
func TestDowntime(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	d := downtime{start: t0}
	d.observe(readyVMI("True", t0.Add(-time.Hour)), t0)
	d.observe(readyVMI("False", t0.Add(2*time.Second)), t0.Add(3*time.Second))
	d.observe(nil, t0.Add(4*time.Second))
	d.observe(readyVMI("True", t0.Add(9*time.Second)), t0.Add(12*time.Second))
	if got := d.total(t0.Add(20 * time.Second)); got != 8*time.Second {
		t.Errorf("downtime = %s, want 8s (unready at +2s, ready within the second stamped +9s)", got)
	}
	seen := downtime{start: t0}
	seen.observe(nil, t0.Add(time.Second))
	seen.observe(readyVMI("True", t0.Add(3*time.Second)), t0.Add(3500*time.Millisecond))
	if got := seen.total(t0.Add(20 * time.Second)); got != 2500*time.Millisecond {
		t.Errorf("downtime = %s, want 2.5s (gone when seen at +1s, ready when seen at +3.5s, within its stamp's second)", got)
	}
	before := downtime{start: t0}
	before.observe(readyVMI("False", t0.Add(-time.Minute)), t0.Add(time.Second))
	if got := before.total(t0.Add(5 * time.Second)); got != 5*time.Second {
		t.Errorf("downtime of a VM unready before the event = %s, want 5s (from the event's start to its end)", got)
	}
}

// TestSummarize: per kind the events, success rate and percentiles; per
// VM the downtime over its events, longest first.
func TestSummarize(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	ev := func(kind Kind, vm string, took time.Duration, outcome string, down time.Duration) audit.Disruption {
		return audit.Disruption{Kind: string(kind), Namespace: "ns", VM: vm, Start: t0, End: t0.Add(took), Outcome: outcome, Downtime: down}
	}
	s := summarize("r", 1, 2, []audit.Disruption{
		ev(Migrate, "a", 2*time.Second, OutcomeSucceeded, 0),
		ev(Migrate, "b", 4*time.Second, OutcomeFailed, 0),
		ev(Restart, "a", 10*time.Second, OutcomeSucceeded, 8*time.Second),
		ev(StopStart, "c", 40*time.Second, OutcomeSucceeded, 35*time.Second),
	})
	if len(s.Kinds) != 3 || s.Kinds[0].Events != 2 || s.Kinds[0].SuccessRate != 0.5 || s.Kinds[0].Duration.Max != 4 || s.Kinds[0].Duration.P50 != 2 {
		t.Errorf("migrate summary = %+v", s.Kinds[0])
	}
	want := []VMDowntime{{Namespace: "ns", VM: "c", Seconds: 35, Events: 1}, {Namespace: "ns", VM: "a", Seconds: 8, Events: 1}}
	if diff := cmp.Diff(want, s.Downtime); diff != "" {
		t.Errorf("downtime per VM (-want +got):\n%s", diff)
	}
	if s.failures() != 1 {
		t.Errorf("failures = %d, want 1", s.failures())
	}
}

// TestDowntimeStaleStamp: a VMI back with a Ready condition stamped before
// the VM went down (carried over from an earlier VMI) counts from when it
// was seen, never less than the time it was seen down.
func TestDowntimeStaleStamp(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	d := downtime{start: t0}
	d.observe(nil, t0.Add(500*time.Millisecond))
	d.observe(readyVMI("True", t0.Add(-3*time.Second)), t0.Add(1600*time.Millisecond))
	if got := d.total(t0.Add(2 * time.Second)); got != 1100*time.Millisecond {
		t.Errorf("downtime = %s, want 1.1s (gone when seen at +0.5s, back when seen at +1.6s)", got)
	}
}
