package verify

import (
	"bytes"
	"flag"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// scriptVM is a VM name no renderer would make, to prove that names are
// escaped.
const scriptVM = `virtwork-cpu-3f2b6c1e-<script>alert("x")</script>`

// squareVM plays a VM on a 4-minute square wave from start (high first,
// shifted by phase): its stretches, and its series sampled every 5 s as
// a 20 s rate() would show it, with a little deterministic noise; scale
// says what fraction of the level it reaches at t.
func squareVM(phase time.Duration, high, low int, per float64, scale func(time.Time) float64, seed float64) ([]Stretch, []sample) {
	end := start.Add(8 * time.Minute)
	levelAt := func(t time.Time) int {
		d := t.Sub(start.Add(phase)) % (4 * time.Minute)
		if d < 0 {
			d += 4 * time.Minute
		}
		if d < 2*time.Minute {
			return high
		}
		return low
	}
	var sts []Stretch
	for t := start; t.Before(end); {
		next := start.Add(phase%(2*time.Minute) - 2*time.Minute)
		for !next.After(t) {
			next = next.Add(2 * time.Minute)
		}
		next = minTime(next, end)
		sts = append(sts, Stretch{From: t, To: next, Level: levelAt(t)})
		t = next
	}
	var got []sample
	for i, t := 0, start; !t.After(end); i, t = i+1, t.Add(5*time.Second) {
		var v float64
		for k := 0; k < 4; k++ {
			tk := t.Add(-time.Duration(k) * 5 * time.Second)
			v += float64(levelAt(tk)) * per * scale(tk) / 4
		}
		got = append(got, sample{t, v * (1 + 0.04*math.Sin(float64(i)*0.7+seed))})
	}
	return sts, got
}

// ruleFiring plays an alert rule `value > threshold` with for: 30s and
// keep_firing_for: 10s, evaluated on every sample.
func ruleFiring(got []sample, threshold float64) []sample {
	var out []sample
	var since, until time.Time
	for _, s := range got {
		if s.v <= threshold {
			since = time.Time{}
		} else if since.IsZero() {
			since = s.t
		}
		if !since.IsZero() && s.t.Sub(since) >= 30*time.Second {
			until = s.t.Add(10 * time.Second)
		}
		if !until.IsZero() && !s.t.After(until) {
			out = append(out, sample{s.t, 1})
		}
	}
	return out
}

// reportResult is a verification of four workloads made by hand: cpu's
// three VMs on a square wave, one of them (scriptVM, out of phase) at
// half its level in its third stretch, with an alert; memory's two VMs,
// one without series; database's floor that rises with the level; disk
// without its metrics; and chaos-process, not observable.
func reportResult() *Result {
	r := &Result{RunID: "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93", Namespace: "virtwork", From: start, To: start.Add(8 * time.Minute)}
	o := Options{RateWindow: 20 * time.Second, Settle: 10 * time.Second, Step: 5 * time.Second}
	cpuQuery := `sum by (namespace, name) (rate(kubevirt_vmi_cpu_usage_seconds_total{namespace="virtwork",name=~"virtwork-cpu-3f2b6c1e-.+"}[20s]))`
	r.Signals = append(r.Signals, SignalNames{Workload: "cpu", Signal: "vcpus-busy", Unit: "vCPUs", Names: "kubevirt_vmi_cpu_usage_seconds_total", Query: cpuQuery})
	alert := Alert{Alert: "VirtworkCPUHigh", Workload: "cpu", FiresAbove: 50, For: 30 * time.Second}
	for i, vm := range []string{"virtwork-cpu-3f2b6c1e-1", "virtwork-cpu-3f2b6c1e-2", scriptVM} {
		phase, scale := time.Duration(0), func(time.Time) float64 { return 1 }
		if vm == scriptVM {
			phase = 20 * time.Second
			scale = func(t time.Time) float64 {
				if t.After(start.Add(4*time.Minute+30*time.Second)) && t.Before(start.Add(6*time.Minute+20*time.Second)) {
					return 0.5
				}
				return 1
			}
		}
		sts, got := squareVM(phase, 80, 10, 2.0/100, scale, float64(i))
		var restarts []Disruption
		if i == 1 {
			// Restarted at 5m10s for 30 s, its load gone until 6m20s.
			got = slices.DeleteFunc(got, func(s sample) bool { return !s.t.Before(at(310)) && s.t.Before(at(380)) })
			restarts = []Disruption{restartEvent(vm)}
		}
		skip := excludedSpans(Options{RateWindow: o.RateWindow, Settle: o.Settle, To: r.To}, restarts)
		var vmChecks []Check
		for _, st := range sts {
			c := Check{Workload: "cpu", Signal: "vcpus-busy", VM: vm, From: st.From, To: st.To, Level: st.Level, Unit: "vCPUs"}
			c.Expected = float64(st.Level) / 100 * 2
			hi := c.Expected + math.Max(0.2*c.Expected, 0.15)
			c.Low, c.High = c.Expected-math.Max(0.2*c.Expected, 0.15), &hi
			judge(&c, without(got, skip), st.From.Add(o.RateWindow+o.Settle), st.To)
			vmChecks = append(vmChecks, c)
		}
		r.Checks = append(r.Checks, vmChecks...)
		r.Continuity = append(r.Continuity, cpuEvents(i, vm, got, vmChecks, o)...)
		r.Series = append(r.Series, Series{Workload: "cpu", Signal: "vcpus-busy", VM: vm, Unit: "vCPUs", Points: points(got)})
		firing := ruleFiring(got, 1.0)
		slack := o.RateWindow + o.Settle + 2*o.Step
		r.Alerts = append(r.Alerts, checkAlert(alert, render.VMRef{Name: vm}, sts, firing, slack, o.Step, alertSpans(alert, restarts, slack, r.To))...)
		r.Firing = append(r.Firing, Firing{Alert: alert.Alert, Workload: "cpu", VM: vm, Spans: spans(firing, o.Step)})
	}
	memoryResult(r, o)
	databaseResult(r, o)
	r.Signals = append(r.Signals, SignalNames{Workload: "disk", Signal: "data-disk-iops", Unit: "IOPS", Missing: true,
		Tried: []string{"kubevirt_vmi_storage_iops_read_total", "kubevirt_vmi_storage_iops_write_total"}})
	r.Notes = append(r.Notes, Note{Workload: "chaos-process", Why: "a signalled process shows in the guest's journal, not in any metric KubeVirt exports"})
	r.Summary = summarize(r)
	return r
}

// cpuEvents: the first cpu VM migrates from node-a to node-b at 2m30s,
// its series 10 s without a sample; the second restarts at 5m10s for
// 30 s and its load is back 70 s after, 10 s later than allowed.
func cpuEvents(i int, vm string, got []sample, checks []Check, o Options) []ContinuityCheck {
	margin, to := o.RateWindow+o.Settle, start.Add(8*time.Minute)
	switch i {
	case 0:
		ev := Disruption{VM: vm, Kind: KindMigrate, Start: at(150), End: at(165), SourceNode: "node-a", TargetNode: "node-b", Outcome: EventSucceeded}
		byNode := map[string][]time.Time{}
		for _, s := range got {
			switch {
			case !s.t.After(at(155)):
				byNode["node-a"] = append(byNode["node-a"], s.t)
			case !s.t.Before(at(165)):
				byNode["node-b"] = append(byNode["node-b"], s.t)
			}
		}
		c := ContinuityCheck{Event: ev, Workload: "cpu", Signal: "vcpus-busy", Excluded: excludedSpan(ev, margin, to)}
		judgeGap(&c, byNode, 30*time.Second, to)
		return []ContinuityCheck{c}
	case 1:
		ev := restartEvent(vm)
		c := ContinuityCheck{Event: ev, Workload: "cpu", Signal: "vcpus-busy", Excluded: excludedSpan(ev, margin, to)}
		judgeReturn(&c, got, checks, margin, o.RateWindow, to, Disruption{})
		return []ContinuityCheck{c}
	}
	return nil
}

// restartEvent is the second cpu VM's restart, at 5m10s for 30 s.
func restartEvent(vm string) Disruption {
	return Disruption{VM: vm, Kind: KindRestart, Start: at(310), End: at(340), Outcome: EventSucceeded}
}

// memoryResult: two VMs at a constant 50% of 2 GiB, the second without
// series.
func memoryResult(r *Result, o Options) {
	r.Signals = append(r.Signals, SignalNames{Workload: "memory", Signal: "memory-used", Unit: "bytes",
		Names: "kubevirt_vmi_memory_available_bytes, kubevirt_vmi_memory_usable_bytes", Query: "memory query"})
	const gib = 1 << 30
	hi := 1.3125 * gib
	c := Check{Workload: "memory", Signal: "memory-used", VM: "virtwork-memory-3f2b6c1e-1", From: r.From, To: r.To, Level: 50,
		Expected: gib, Low: 0.6875 * gib, High: &hi, Unit: "bytes"}
	got := series(r.From, r.To, func(t time.Time) float64 { return gib * (1.02 + 0.01*math.Sin(float64(t.Unix()%97))) })
	judge(&c, got, r.From.Add(o.RateWindow+o.Settle), r.To)
	r.Checks = append(r.Checks, c, Check{Workload: "memory", Signal: "memory-used", VM: "virtwork-memory-3f2b6c1e-2", From: r.From, To: r.To,
		Outcome: NoSeries, Unit: "bytes", Why: "no series for the VM from memory query; is its namespace scraped?"})
	r.Series = append(r.Series, Series{Workload: "memory", Signal: "memory-used", VM: c.VM, Unit: "bytes", Points: points(got)},
		Series{Workload: "memory", Signal: "memory-used", VM: "virtwork-memory-3f2b6c1e-2", Unit: "bytes"})
}

// databaseResult: one VM on a 40/10 square wave with a floor of 1 IOPS
// that rises with the level.
func databaseResult(r *Result, o Options) {
	r.Signals = append(r.Signals, SignalNames{Workload: "database", Signal: "data-disk-iops", Unit: "IOPS",
		Names: "kubevirt_vmi_storage_iops_read_total, kubevirt_vmi_storage_iops_write_total", Query: "database query"})
	vm := "virtwork-database-3f2b6c1e-1"
	sts, got := squareVM(0, 40, 10, 3, func(time.Time) float64 { return 1 }, 2)
	var stretches []Check
	for _, st := range sts {
		c := Check{Workload: "database", Signal: "data-disk-iops", VM: vm, From: st.From, To: st.To, Level: st.Level, Expected: 1, Low: 1, Unit: "IOPS"}
		judge(&c, got, st.From.Add(o.RateWindow+o.Settle), st.To)
		stretches = append(stretches, c)
	}
	base := Check{Workload: "database", Signal: "data-disk-iops", VM: vm, Unit: "IOPS"}
	r.Checks = append(append(r.Checks, stretches...), rises(base, stretches))
	r.Series = append(r.Series, Series{Workload: "database", Signal: "data-disk-iops", VM: vm, Unit: "IOPS", Points: points(got)})
}

var svgChart = regexp.MustCompile(`<svg class="chart" data-workload="([^"]*)"`)

// TestWriteHTML compares the report of reportResult with its golden file,
// and checks what must hold whatever the layout: one chart per signal,
// names escaped, nothing loaded from elsewhere.
func TestWriteHTML(t *testing.T) {
	r := reportResult()
	if r.Summary.Failed != 1 || r.Summary.NoSeries != 1 || r.Summary.MissingNames != 1 || r.Summary.AlertsFailed != 1 || r.Summary.ContinuityPassed != 1 || r.Summary.ContinuityFailed != 1 {
		t.Fatalf("the fixture should fail one stretch, miss one VM's series and one signal's metrics, fail one alert check, pass a migration and fail a restart: %+v", r.Summary)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	tools.Golden(t, "testdata/report.html", b.Bytes(), *update, "./pkg/verify")
	var charts []string
	for _, m := range svgChart.FindAllStringSubmatch(out, -1) {
		charts = append(charts, m[1])
	}
	if strings.Join(charts, " ") != "cpu memory database disk" {
		t.Errorf("charts for %q, want one per workload with signals: cpu memory database disk", charts)
	}
	if strings.Contains(out, "<script") || !strings.Contains(out, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Errorf("the VM name %q is not escaped", scriptVM)
	}
	for _, bad := range []string{"://", "url(", "@import", "<img", "<link", "<iframe"} {
		if strings.Contains(out, bad) {
			t.Errorf("the report holds %q: it must load nothing", bad)
		}
	}
	for _, want := range []string{"kubevirt_vmi_cpu_usage_seconds_total", "chaos-process", "below the band", "never fired",
		"time to fire: 40s", "none in this Prometheus; tried", `class="want-firing fail"`,
		"<h3>Day-2 events</h3>", `<rect class="event ev-passed"`, `<rect class="event ev-failed"`, `<text class="ev fail"`, ">⇄<title>virtwork-cpu-3f2b6c1e-1: migrate node-a → node-b, 10:07:30Z–10:07:45Z: gap 10s (allowed 30s); passed</title>",
		"back after 1m10s", "later than its length 30s plus the settle margin 30s"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

// TestWriteHTMLEdges: an empty result, a signal without checks or series,
// and a window of no length still make a page, with no NaN in it; an alert check without a workload
// (a result made by hand) still gets its timeline.
func TestWriteHTMLEdges(t *testing.T) {
	sig := []SignalNames{{Workload: "cpu", Signal: "vcpus-busy", Unit: "vCPUs", Names: "m"}}
	cases := map[string]*Result{
		"empty":       {RunID: "r", Namespace: "n", From: start, To: start.Add(time.Minute)},
		"no series":   {RunID: "r", Namespace: "n", From: start, To: start.Add(time.Minute), Signals: sig},
		"no window":   {RunID: "r", Namespace: "n", From: start, To: start, Signals: sig},
		"no workload": {RunID: "r", Namespace: "n", From: start, To: start.Add(time.Minute), Alerts: []AlertCheck{{Alert: "A", VM: "vm", From: start, To: start.Add(time.Minute), Want: "firing", Outcome: Failed}}},
	}
	for name, r := range cases {
		var b bytes.Buffer
		if err := WriteHTML(&b, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out := b.String()
		if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") || !strings.HasSuffix(out, "</html>\n") {
			t.Errorf("%s: %d bytes, with NaN or Inf, or cut short", name, len(out))
		}
		if name == "no workload" && !strings.Contains(out, `data-alert="A"`) {
			t.Errorf("the alert without a workload has no timeline")
		}
	}
}
