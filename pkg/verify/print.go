package verify

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Write prints the names used per signal, a table of the checks, the
// workloads with nothing to check and the summary.
func Write(w io.Writer, r *Result) error {
	var b strings.Builder
	where := r.Namespace
	if len(r.Namespaces) > 1 {
		where = fmt.Sprintf("%d namespaces (%s)", len(r.Namespaces), strings.Join(r.Namespaces, ", "))
	}
	fmt.Fprintf(&b, "run %s in %s, %s to %s\n", r.RunID, where, clock(r.From), clock(r.To))
	for _, s := range r.Signals {
		if s.Missing {
			fmt.Fprintf(&b, "✗ %s %s: the Prometheus has none of the metrics it reads; tried %s\n", s.Workload, s.Signal, strings.Join(s.Tried, ", "))
			continue
		}
		fmt.Fprintf(&b, "  %s %s: %s\n", s.Workload, s.Signal, s.Names)
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tWORKLOAD\tSIGNAL\tVM\tFROM\tTO\tLEVEL\tEXPECTED\tOBSERVED\t")
	for _, c := range r.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark(c.Outcome), c.Workload, c.Signal, c.VM, clock(c.From), clock(c.To),
			level(c), expected(c), observed(c), c.Why)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Alerts) > 0 {
		b.WriteString("\n")
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "\tALERT\tVM\tFROM\tTO\tLEVEL\tWANT\tFIRED AFTER\tRESOLVED AFTER\t")
		for _, a := range r.Alerts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", mark(a.Outcome), a.Alert, a.VM, clock(a.From), clock(a.To), a.Level, a.Want,
				after(a.FiredAfter), after(a.ResolvedAfter), a.Why)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.Continuity) > 0 {
		b.WriteString("\n")
		if err := writeContinuity(&b, r.Continuity); err != nil {
			return err
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s: %s\n", n.Workload, n.Why)
	}
	s := r.Summary
	fmt.Fprintf(&b, "\n%d checks: %d passed, %d failed, %d without series, %d too short to measure", len(r.Checks), s.Passed, s.Failed, s.NoSeries, s.TooShort)
	if len(r.Alerts) > 0 {
		fmt.Fprintf(&b, "; %d alert checks: %d passed, %d failed", len(r.Alerts), s.AlertsPassed, s.AlertsFailed)
	}
	if len(r.Continuity) > 0 {
		fmt.Fprintf(&b, "; %d disruptions judged: %d passed, %d failed, %d not judged", len(r.Continuity), s.ContinuityPassed, s.ContinuityFailed, s.ContinuityUnjudged)
	}
	if s.MissingNames > 0 {
		fmt.Fprintf(&b, "; %d signals without their metrics", s.MissingNames)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func mark(o Outcome) string {
	switch o {
	case Passed:
		return "✓"
	case TooShort:
		return "·"
	}
	return "✗"
}

func clock(t time.Time) string { return t.UTC().Format("15:04:05Z") }

func level(c Check) string {
	switch {
	case c.Rises:
		return "rising"
	case c.Peers > 0 && c.Level == 0:
		return "peers " + strconv.Itoa(c.Peers)
	}
	return strconv.Itoa(c.Level)
}

func expected(c Check) string {
	switch {
	case c.Rises:
		return "rises with the level"
	case c.Outcome == NoSeries:
		return ""
	case c.High == nil:
		return "≥ " + value(c.Low, c.Unit)
	}
	if c.Unit == "bytes" {
		return binary(c.Low) + "…" + binary(*c.High)
	}
	return num(c.Low) + "…" + num(*c.High) + " " + c.Unit
}

// value prints a value in its unit: bytes in binary multiples.
func value(v float64, unit string) string {
	if unit == "bytes" {
		return binary(v)
	}
	return num(v) + " " + unit
}

// binary prints bytes with three significant digits in Ki, Mi, Gi or Ti.
func binary(v float64) string {
	suffix := []string{"", "Ki", "Mi", "Gi", "Ti"}
	i := 0
	for ; i < len(suffix)-1 && math.Abs(v) >= 1024; i++ {
		v /= 1024
	}
	if i == 0 {
		return num(v) + " bytes"
	}
	return strconv.FormatFloat(v, 'g', 3, 64) + suffix[i]
}

func observed(c Check) string {
	if c.Observed == nil || c.Rises {
		return ""
	}
	if c.Unit == "bytes" {
		return binary(*c.Observed)
	}
	return num(*c.Observed)
}

// num prints a value with three significant digits, large values whole.
func num(v float64) string {
	if v >= 1000 || v <= -1000 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func after(d *time.Duration) string {
	if d == nil {
		return ""
	}
	return d.Round(time.Second).String()
}

// writeContinuity prints a table of the continuity checks: per disruption
// its VM, kind, time and nodes, what was measured and what is allowed.
func writeContinuity(b *strings.Builder, cs []ContinuityCheck) error {
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tEVENT\tVM\tSTART\tEND\tNODES\tMEASURED\tALLOWED\t")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark(c.Outcome), c.Event.Kind, c.Event.VM, clock(c.Event.Start), clockOr(c.Event.End, "never"),
			nodes(c.Event), measured(c), allowed(c), c.Why)
	}
	return tw.Flush()
}

// nodes spells where a disruption took its VM.
func nodes(ev Disruption) string {
	switch {
	case ev.SourceNode == "" && ev.TargetNode == "":
		return ""
	case ev.Kind != KindMigrate || ev.TargetNode == ev.SourceNode:
		return ev.SourceNode
	}
	return ev.SourceNode + " → " + ev.TargetNode
}

// measured spells what a continuity check measured: a migration's gap,
// a restart's time for the load to be back.
func measured(c ContinuityCheck) string {
	if c.Measured == nil {
		return ""
	}
	if c.Event.Kind == KindMigrate {
		return "gap " + after(c.Measured)
	}
	return "back after " + after(c.Measured)
}

func allowed(c ContinuityCheck) string {
	if c.Allowed == 0 {
		return ""
	}
	return c.Allowed.Round(time.Second).String()
}
