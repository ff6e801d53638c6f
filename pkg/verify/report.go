package verify

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var reportTemplate string

// WriteHTML writes the result as one self-contained HTML page: per
// workload and signal a chart of the expected band per stretch and each
// VM's observed series (kept with Options.KeepSeries), the alerts'
// timelines under it, and a header with the run, the metric names used,
// the summary and the failed checks. The charts are inline SVG and the
// page loads nothing: its Content-Security-Policy forbids scripts and
// every fetch, so it opens offline and as an attachment. Every name and
// query in it is escaped (html/template): they come from users.
func WriteHTML(w io.Writer, r *Result) error {
	t, err := template.New("report").Parse(reportTemplate)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, newReport(r)); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}

// reportView is what the page template reads.
type reportView struct {
	*Result
	Window       string
	OK           bool
	Pills        []pill
	Geo          geometry
	Failed       []failedRow
	FailedAlerts []AlertCheck
	Continuity   []contRow
	Workloads    []workloadView
}

// geometry hands the chart constants to the template.
type geometry struct {
	W, H, Left, Right, Top, Bottom, PlotW, PlotH, CX, Mid, XLabel, AxisX float64
}

// pill is one count of the summary.
type pill struct{ Text, Class string }

type failedRow struct {
	Mark, Workload, Signal, VM, When, Level, Expected, Observed, Why string
}

type workloadView struct {
	Name      string
	Charts    []chartView
	Timelines []timelineView
}

func newReport(r *Result) reportView {
	s := r.Summary
	v := reportView{Result: r, Window: window(r.From, r.To),
		OK: s.Failed+s.NoSeries+s.MissingNames+s.AlertsFailed+s.ContinuityFailed == 0,
		Geo: geometry{W: chartW, H: chartH, Left: padLeft, Right: padLeft + plotW, Top: padTop, Bottom: padTop + plotH,
			PlotW: plotW, PlotH: plotH, CX: padLeft + plotW/2, Mid: padTop + plotH/2, XLabel: padTop + plotH + 18, AxisX: 14}}
	v.Pills = pills(r)
	v.Failed = failedRows(r)
	v.Continuity = contRows(r.Continuity)
	for _, a := range r.Alerts {
		if a.Outcome == Failed {
			v.FailedAlerts = append(v.FailedAlerts, a)
		}
	}
	x := xscale{r.From, r.To}
	if !r.To.After(r.From) {
		x.to = r.From.Add(time.Second) // no window to speak of, but no division by zero either
	}
	var names []string
	for _, sn := range r.Signals {
		names = appendNew(names, sn.Workload)
	}
	for _, a := range r.Alerts {
		names = appendNew(names, a.Workload)
	}
	for _, name := range names {
		wv := workloadView{Name: name}
		if name == "" {
			wv.Name = "alerts of no workload"
		}
		for _, sn := range r.Signals {
			if sn.Workload == name {
				cv := newChart(sn, x, checksOf(r.Checks, sn), seriesOf(r.Series, sn))
				cv.Events, cv.EventSigns = eventMarks(x, continuityOf(r.Continuity, sn))
				wv.Charts = append(wv.Charts, cv)
			}
		}
		var alerts []AlertCheck
		for _, a := range r.Alerts {
			if a.Workload == name {
				alerts = append(alerts, a)
			}
		}
		wv.Timelines = newTimelines(x, alerts, r.Firing)
		v.Workloads = append(v.Workloads, wv)
	}
	return v
}

// failedRows lists what failed: signals without their metrics, then
// failed checks and VMs without series.
func failedRows(r *Result) []failedRow {
	var out []failedRow
	for _, sn := range r.Signals {
		if sn.Missing {
			out = append(out, failedRow{Mark: "✗", Workload: sn.Workload, Signal: sn.Signal, VM: "every VM",
				Why: "the Prometheus has none of the metrics it reads; tried " + strings.Join(sn.Tried, ", ")})
		}
	}
	for _, c := range r.Checks {
		if c.Outcome != Failed && c.Outcome != NoSeries {
			continue
		}
		row := failedRow{Mark: mark(c.Outcome), Workload: c.Workload, Signal: c.Signal, VM: c.VM,
			When: clock(c.From) + "–" + clock(c.To), Level: level(c), Expected: expected(c), Observed: observed(c), Why: c.Why}
		if c.Outcome == NoSeries {
			row.Level = ""
		}
		out = append(out, row)
	}
	return out
}

// pills spells the summary's counts: a count that is not 0 is green
// (passes) or red (failures); optional counts show only when not 0.
func pills(r *Result) []pill {
	s := r.Summary
	alerts := len(r.Alerts) > 0
	counts := []struct {
		n         int
		one, many string
		class     string
		always    bool
	}{
		{s.Passed, "check passed", "checks passed", "p-pass", true},
		{s.Failed, "check failed", "checks failed", "p-fail", true},
		{s.NoSeries, "VM without series", "VMs without series", "p-fail", true},
		{s.TooShort, "stretch too short to measure", "stretches too short to measure", "p-other", false},
		{s.MissingNames, "signal without its metrics", "signals without their metrics", "p-fail", false},
		{s.AlertsPassed, "alert check passed", "alert checks passed", "p-pass", alerts},
		{s.AlertsFailed, "alert check failed", "alert checks failed", "p-fail", alerts},
		{s.ContinuityPassed, "disruption passed", "disruptions passed", "p-pass", len(r.Continuity) > 0},
		{s.ContinuityFailed, "disruption failed", "disruptions failed", "p-fail", len(r.Continuity) > 0},
		{s.ContinuityUnjudged, "disruption not judged", "disruptions not judged", "p-other", false},
	}
	var out []pill
	for _, c := range counts {
		switch {
		case c.n == 1:
			out = append(out, pill{Text: "1 " + c.one, Class: c.class})
		case c.n > 1:
			out = append(out, pill{Text: fmt.Sprintf("%d %s", c.n, c.many), Class: c.class})
		case c.always:
			out = append(out, pill{Text: "0 " + c.many, Class: "p-other"})
		}
	}
	return out
}

func checksOf(checks []Check, sn SignalNames) []Check {
	var out []Check
	for _, c := range checks {
		if c.Workload == sn.Workload && c.Signal == sn.Signal {
			out = append(out, c)
		}
	}
	return out
}

func seriesOf(series []Series, sn SignalNames) []Series {
	var out []Series
	for _, s := range series {
		if s.Workload == sn.Workload && s.Signal == sn.Signal {
			out = append(out, s)
		}
	}
	return out
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// window spells the run's window: its date once, both ends in UTC, and
// its length.
func window(from, to time.Time) string {
	from, to = from.UTC(), to.UTC()
	end := clock(to)
	if from.YearDay() != to.YearDay() || from.Year() != to.Year() {
		end = to.Format("2006-01-02 ") + end
	}
	return fmt.Sprintf("%s %s – %s (%s)", from.Format("2006-01-02"), clock(from), end, to.Sub(from).Round(time.Second))
}
