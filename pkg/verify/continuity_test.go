package verify

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// every lists the times from from (after from+a) to from+b, a step apart.
func every(from time.Time, a, b, step time.Duration) []time.Time {
	var out []time.Time
	for d := a; d <= b; d += step {
		out = append(out, from.Add(d))
	}
	return out
}

func at(secs int) time.Time { return start.Add(time.Duration(secs) * time.Second) }

// TestJudgeGap: a migration from node-a to node-b at start+60s, ending at
// start+80s, against a --max-gap of 30s, with samples every 5 s.
func TestJudgeGap(t *testing.T) {
	ev := Disruption{VM: "vm", Kind: KindMigrate, Start: at(60), End: at(80), SourceNode: "node-a", TargetNode: "node-b", Outcome: EventSucceeded}
	to := at(300)
	cases := []struct {
		name    string
		ev      Disruption
		byNode  map[string][]time.Time
		want    Outcome
		gap     time.Duration
		why     string
		nodesAt string
	}{
		{"a gap within the allowed", ev, map[string][]time.Time{"node-a": every(start, 0, 70*time.Second, 5*time.Second), "node-b": every(start, 82*time.Second, 300*time.Second, 5*time.Second)},
			Passed, 12 * time.Second, "", "node-a node-b"},
		{"a gap over the allowed", ev, map[string][]time.Time{"node-a": every(start, 0, 70*time.Second, 5*time.Second), "node-b": every(start, 115*time.Second, 300*time.Second, 5*time.Second)},
			Failed, 45 * time.Second, "the series went 45s without a sample, more than --max-gap 30s", "node-a node-b"},
		{"the node label stays the source's", ev, map[string][]time.Time{"node-a": every(start, 0, 300*time.Second, 5*time.Second)},
			Failed, 5 * time.Second, `no sample under node="node-b", the migration's target`, "node-a"},
		{"the source's label goes on beside the target's", ev, map[string][]time.Time{"node-a": every(start, 0, 300*time.Second, 5*time.Second), "node-b": every(start, 80*time.Second, 300*time.Second, 5*time.Second)},
			Failed, 5 * time.Second, `still a sample under node="node-a", the migration's source, at 10:06:55Z`, "node-a node-b"},
		{"no node label", ev, map[string][]time.Time{"": append(every(start, 0, 70*time.Second, 5*time.Second), every(start, 90*time.Second, 300*time.Second, 5*time.Second)...)},
			Passed, 20 * time.Second, "its metric carries no node label, so only the gap is measured", ""},
		{"the series stops", ev, map[string][]time.Time{"node-a": every(start, 0, 65*time.Second, 5*time.Second)},
			Failed, 5 * time.Second, "the series stopped at 10:06:05Z and was not back by 10:10:00Z", "node-a"},
		{"a failed migration keeps its series on the source", Disruption{VM: "vm", Kind: KindMigrate, Start: at(60), End: at(90), SourceNode: "node-a", Outcome: "failed", Reason: "target pod unschedulable"},
			map[string][]time.Time{"node-a": every(start, 0, 300*time.Second, 5*time.Second)}, Passed, 5 * time.Second, "the migration failed: target pod unschedulable", "node-a"},
		{"a migration that never ended, its series going on", Disruption{VM: "vm", Kind: KindMigrate, Start: at(60), SourceNode: "node-a", Outcome: "timed out", Reason: "still Running"},
			map[string][]time.Time{"node-a": every(start, 0, 298*time.Second, 2*time.Second)}, Passed, 2 * time.Second, "the migration timed out: still Running", "node-a"},
		{"a migration that never ended, its series gone", Disruption{VM: "vm", Kind: KindMigrate, Start: at(60), SourceNode: "node-a", Outcome: "timed out"},
			map[string][]time.Time{"node-a": every(start, 0, 100*time.Second, 2*time.Second)}, Failed, 200 * time.Second, "the series stopped at 10:06:40Z and was not back by 10:10:00Z", "node-a"},
	}
	for _, c := range cases {
		got := ContinuityCheck{Event: c.ev}
		judgeGap(&got, c.byNode, 30*time.Second, to)
		if got.Outcome != c.want || got.Measured == nil || *got.Measured != c.gap || got.Allowed != 30*time.Second || !strings.Contains(got.Why, c.why) || (c.why == "" && got.Why != "") {
			t.Errorf("%s: %s, gap %v (want %s, %s): %q, want %q", c.name, got.Outcome, got.Measured, c.want, c.gap, got.Why, c.why)
		}
		if strings.Join(got.Nodes, " ") != c.nodesAt {
			t.Errorf("%s: nodes %v, want %s", c.name, got.Nodes, c.nodesAt)
		}
	}
	// The window ends before the target's first sample could be due.
	got := ContinuityCheck{Event: ev}
	judgeGap(&got, map[string][]time.Time{"node-a": every(start, 0, 70*time.Second, 5*time.Second)}, 30*time.Second, at(85))
	if got.Outcome != TooShort {
		t.Errorf("a window ending 5 s after the migration: %s (%s)", got.Outcome, got.Why)
	}
}

// cpuRestart plays a cpu VM on its square wave (80 then 10, 2-minute
// stretches from start, 2 vCPUs) that restarts from from to end (seconds
// after start), its load absent from the restart until back, and returns
// its level checks, with the restart left out, and its continuity check.
func cpuRestart(t *testing.T, from, end, back int, kind string) ([]Check, ContinuityCheck) {
	t.Helper()
	cfg, b := run(t, "--workloads", "cpu", "--cpu-cores", "2", "--profile", "cpu=square:high=80,low=10,period=4m")
	lv, vms, spec := levelsOf(t, cfg, b, "cpu")
	o := Options{From: start, To: start.Add(4 * time.Minute), RateWindow: 10 * time.Second, Settle: 5 * time.Second, Disruptions: []Disruption{
		{VM: vms[0].Name, Kind: kind, Start: at(from), End: at(end), Outcome: EventSucceeded}}}
	var got []sample
	for _, s := range series(o.From, o.To, func(t time.Time) float64 { l, _ := lv.at(vms[0], t); return float64(l) / 100 * 2 }) {
		if s.t.Before(at(from)) || !s.t.Before(at(back)) {
			got = append(got, s)
		}
	}
	evs := disruptionsOf(o, vms[0])
	checks := checkVM(o, lv, spec.Signals[0], BaseEnv(cfg.Workloads[0], spec), vms[0], nil, got, excludedSpans(o, evs), "cpu", "q")
	cont, err := checkContinuity(context.Background(), o, spec.Signals[0], "m", "s", "cpu", evs, got, checks)
	if err != nil || len(cont) != 1 {
		t.Fatalf("%v, %+v", err, cont)
	}
	return checks, cont[0]
}

// TestJudgeReturn: a restart of 30 s with a settle margin of 15 s allows
// the load 45 s from the restart's start to be back in its band.
func TestJudgeReturn(t *testing.T) {
	checks, c := cpuRestart(t, 20, 50, 58, KindRestart)
	if c.Outcome != Passed || *c.Measured != 38*time.Second || c.Allowed != 45*time.Second || c.Why != "" {
		t.Errorf("back 38 s after the start: %s, %v of %v (%s)", c.Outcome, c.Measured, c.Allowed, c.Why)
	}
	if checks[0].Outcome != Passed || checks[0].Samples != 120-15+1-(65-20+1) {
		t.Errorf("the level check with the restart left out: %s (%s), %d samples", checks[0].Outcome, checks[0].Why, checks[0].Samples)
	}
	_, c = cpuRestart(t, 20, 50, 90, KindStopStart)
	if c.Outcome != Failed || *c.Measured != 70*time.Second || !strings.Contains(c.Why, "the load was back in its band 1m10s after the event's start, later than its length 30s plus the settle margin 15s") {
		t.Errorf("back 70 s after the start: %s, %v (%s)", c.Outcome, c.Measured, c.Why)
	}
	// The load never comes back: the next stretch, past the restart and
	// its margin, has no samples, and is not put down to the restart.
	checks, c = cpuRestart(t, 20, 50, 1000, KindRestart)
	if c.Outcome != Failed || c.Measured != nil || !strings.Contains(c.Why, "the load did not return to its band (1.28…1.92) by 10:09:00Z") {
		t.Errorf("never back: %s (%s)", c.Outcome, c.Why)
	}
	if checks[1].Outcome != TooShort || checks[1].Why != "0 samples after the settle margin, fewer than 3" {
		t.Errorf("the level check after a VM never back: %s (%s)", checks[1].Outcome, checks[1].Why)
	}
	// A stop/start before the load is due back ends the search: the
	// restart is not judged, rather than failed.
	c = ContinuityCheck{Event: Disruption{Kind: KindRestart, Start: at(20), End: at(50), Outcome: EventSucceeded}}
	before := series(start, at(19), func(time.Time) float64 { return 1.6 })
	judgeReturn(&c, before, checks, 15*time.Second, 10*time.Second, at(240), Disruption{Kind: KindStopStart, Start: at(55)})
	if c.Outcome != TooShort || c.Why != "the next event, a stop-start, starts at 10:05:55Z, before the load is due back" {
		t.Errorf("a restart cut short by a stop/start: %s (%s)", c.Outcome, c.Why)
	}
	// A restart that leaves a stretch too few samples says so.
	checks, c = cpuRestart(t, 16, 110, 115, KindRestart)
	if c.Outcome != Passed || checks[0].Outcome != TooShort || !strings.HasSuffix(checks[0].Why, ", a disruption's stretch left out") {
		t.Errorf("a restart over most of a stretch: %s; %s (%s)", c.Outcome, checks[0].Outcome, checks[0].Why)
	}
}

func cpuSignal(t *testing.T) workloads.Signal {
	t.Helper()
	w, err := workloads.Builtin().Lookup("cpu")
	if err != nil {
		t.Fatal(err)
	}
	return w.Spec().Signals[0]
}

// fakeAPI answers verify's calls from tables; any other call panics.
type fakeAPI struct {
	promv1.API
	rules   promv1.RulesResult
	ranges  map[string]model.Matrix
	instant map[string]model.Matrix
	asked   []string
}

func (f *fakeAPI) Rules(context.Context, []string) (promv1.RulesResult, error) {
	return f.rules, nil
}

func (f *fakeAPI) QueryRange(_ context.Context, q string, _ promv1.Range, _ ...promv1.Option) (model.Value, promv1.Warnings, promv1.Infos, error) {
	f.asked = append(f.asked, q)
	return f.ranges[q], nil, nil, nil
}

func (f *fakeAPI) Query(_ context.Context, q string, _ time.Time, _ ...promv1.Option) (model.Value, promv1.Warnings, promv1.Infos, error) {
	f.asked = append(f.asked, q)
	return f.instant[q], nil, nil, nil
}

// firingSeries is an ALERTS series firing once a second over [from, to].
func firingSeries(labels model.LabelSet, from, to time.Time) *model.SampleStream {
	s := &model.SampleStream{Metric: model.Metric(labels)}
	for t := from; !t.After(to); t = t.Add(time.Second) {
		s.Values = append(s.Values, model.SamplePair{Timestamp: model.TimeFromUnixNano(t.UnixNano()), Value: 1})
	}
	return s
}

// TestGapAlerts: an absent() rule that fired during a migration fails
// it; one that fired for another VM, or outside the event, does not; a
// level rule is not asked about; during a stop/start it is a note.
func TestGapAlerts(t *testing.T) {
	_, b := run(t, "--workloads", "cpu")
	api := &fakeAPI{rules: promv1.RulesResult{Groups: []promv1.RuleGroup{{Rules: promv1.Rules{
		promv1.AlertingRule{Name: "VMSeriesAbsent", Query: `absent(kubevirt_vmi_cpu_usage_seconds_total{name="vm-1"})`},
		promv1.AlertingRule{Name: "CPUHigh", Query: `rate(kubevirt_vmi_cpu_usage_seconds_total[1m]) > 1`},
		promv1.RecordingRule{Name: "r", Query: "absent(x)"},
	}}}}}
	query := `ALERTS{alertstate="firing",alertname=~"VMSeriesAbsent"}`
	api.ranges = map[string]model.Matrix{query: {
		firingSeries(model.LabelSet{"alertname": "VMSeriesAbsent", "name": "vm-1"}, at(70), at(75)),
		firingSeries(model.LabelSet{"alertname": "VMSeriesAbsent", "name": "vm-2"}, at(200), at(210)),
		firingSeries(model.LabelSet{"alertname": "VMSeriesAbsent", "namespace": "elsewhere"}, at(200), at(210)),
	}}
	o := Options{API: api, Bundle: b, From: start, To: at(600), Step: time.Second}
	excl := func(from, to int) Span { return Span{From: at(from), To: at(to)} }
	res := &Result{Continuity: []ContinuityCheck{
		{Event: Disruption{VM: "vm-1", Kind: KindMigrate}, Excluded: excl(60, 100), Outcome: Passed},
		{Event: Disruption{VM: "vm-1", Kind: KindRestart}, Excluded: excl(300, 400), Outcome: Passed},
		{Event: Disruption{VM: "vm-2", Kind: KindStopStart}, Excluded: excl(150, 250), Outcome: Passed},
		{Event: Disruption{VM: "vm-3", Kind: KindMigrate}, Excluded: excl(190, 220), Outcome: Passed},
	}}
	if err := judgeGapAlerts(context.Background(), o, res); err != nil {
		t.Fatal(err)
	}
	if len(api.asked) != 1 || api.asked[0] != query {
		t.Errorf("queries %q, want the absent() rule's ALERTS only", api.asked)
	}
	c := res.Continuity
	if c[0].Outcome != Failed || strings.Join(c[0].Alerts, ",") != "VMSeriesAbsent" || c[0].Why != "alert VMSeriesAbsent fired at 10:06:10Z: an absent() rule, during a gap it should outlast" {
		t.Errorf("the migration: %+v", c[0])
	}
	if c[1].Outcome != Passed || c[1].Alerts != nil {
		t.Errorf("the restart, after the alert: %+v", c[1])
	}
	if c[2].Outcome != Passed || c[2].Why != "alert VMSeriesAbsent fired at 10:08:20Z, while the VM was stopped" {
		t.Errorf("the stop/start: %+v", c[2])
	}
	if c[3].Outcome != Passed || c[3].Alerts != nil {
		t.Errorf("vm-3, while another VM's alert and another namespace's fired: %+v", c[3])
	}
}

// TestMigrationQuery: a migration reads the raw samples of the signal's
// metric for its VM, around it, and judges them by node.
func TestMigrationQuery(t *testing.T) {
	ev := Disruption{VM: "vm-1", Kind: KindMigrate, Start: at(60), End: at(80), SourceNode: "a", TargetNode: "b", Outcome: EventSucceeded}
	q := `m{ns="x",name="vm-1"}[360s]`
	stream := func(node string, from, to int) *model.SampleStream {
		s := firingSeries(model.LabelSet{"name": "vm-1", "node": model.LabelValue(node)}, at(from), at(to))
		return s
	}
	api := &fakeAPI{instant: map[string]model.Matrix{q: {stream("a", 0, 66), stream("b", 71, 120)}}}
	o := Options{API: api, From: start, To: at(120), RateWindow: 10 * time.Second, Settle: 5 * time.Second, MaxGap: 10 * time.Second}
	got, err := checkContinuity(context.Background(), o, cpuSignal(t), "m", `ns="x"`, "cpu", []Disruption{ev}, nil, nil)
	if err != nil || len(api.asked) != 1 || api.asked[0] != q {
		t.Fatalf("%v; asked %q, want %q", err, api.asked, q)
	}
	if c := got[0]; c.Outcome != Passed || *c.Measured != 5*time.Second || strings.Join(c.Nodes, ",") != "a,b" || c.Excluded != (Span{From: at(60), To: at(95)}) {
		t.Errorf("%+v", c)
	}
}

// TestWriteContinuity: the table gains a row per disruption, and the
// summary counts them.
func TestWriteContinuity(t *testing.T) {
	gap, back := 4*time.Second, 70*time.Second
	r := &Result{RunID: "r", Namespace: "n", From: start, To: at(600), Continuity: []ContinuityCheck{
		{Event: Disruption{VM: "vm-1", Kind: KindMigrate, Start: at(60), End: at(80), SourceNode: "node-a", TargetNode: "node-b"}, Measured: &gap, Allowed: time.Minute, Outcome: Passed},
		{Event: Disruption{VM: "vm-2", Kind: KindRestart, Start: at(100), End: at(130)}, Measured: &back, Allowed: 45 * time.Second, Outcome: Failed, Why: "late"},
		{Event: Disruption{VM: "vm-3", Kind: KindStopStart, Start: at(200)}, Outcome: Failed, Why: "it never ended"},
	}}
	r.Summary = summarize(r)
	var b strings.Builder
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"   EVENT       VM    START      END        NODES            MEASURED          ALLOWED  \n",
		"✓  migrate     vm-1  10:06:00Z  10:06:20Z  node-a → node-b  gap 4s            1m0s     \n",
		"✗  restart     vm-2  10:06:40Z  10:07:10Z                   back after 1m10s  45s      late\n",
		"✗  stop-start  vm-3  10:08:20Z  never                                                  it never ended\n",
		"; 3 disruptions judged: 1 passed, 2 failed, 0 not judged\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
}

// TestEventMarks: each event is a span from its start to its end and a
// fainter one over its settle margin; an event never ended reaches the
// end of what was left out; signs too close to tell apart keep the
// failed one.
func TestEventMarks(t *testing.T) {
	x := xscale{start, at(800)}
	ev := func(vm, kind string, from, to int) Disruption {
		d := Disruption{VM: vm, Kind: kind, Start: at(from), Outcome: EventSucceeded}
		if to > 0 {
			d.End = at(to)
		}
		return d
	}
	cs := []ContinuityCheck{
		{Event: ev("a", KindMigrate, 100, 120), Excluded: Span{at(100), at(150)}, Outcome: Passed},
		{Event: ev("b", KindRestart, 101, 130), Excluded: Span{at(101), at(160)}, Outcome: Failed},
		{Event: ev("c", KindStopStart, 500, 0), Excluded: Span{at(500), at(800)}, Outcome: Failed},
	}
	boxes, signs := eventMarks(x, cs)
	var got []string
	for _, b := range boxes {
		got = append(got, fmt.Sprintf("%s %g+%g", b.Class, b.X, b.W))
	}
	want := "event ev-passed 174+22 event-margin 196+33 event ev-failed 175.1+31.9 event-margin 207+33 event ev-failed 614+330"
	if strings.Join(got, " ") != want {
		t.Errorf("boxes %q\nwant %q", strings.Join(got, " "), want)
	}
	if len(signs) != 2 || signs[0].Text != "↻" || signs[0].Class != "ev fail" || signs[1].Text != "■" {
		t.Errorf("signs %+v: want the failed restart's over the migration's, and the stop/start's", signs)
	}
}
