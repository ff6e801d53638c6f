package verify

import (
	"fmt"
	"math"
	"slices"
)

// eventGlyph is the sign of each kind of disruption on a chart.
var eventGlyph = map[string]string{KindMigrate: "⇄", KindRestart: "↻", KindStopStart: "■"}

// contRow is one continuity check in the report's table.
type contRow struct {
	Mark, Class, Kind, VM, When, Nodes, Measured, Allowed, Alerts, Why string
}

// eventMarks marks each disruption of a chart's VMs on it: the event
// from its start to its end, the settle margin after it (both left out of
// the level checks) fainter, and its kind's sign at the foot of the plot,
// ✗-red when its continuity check failed.
func eventMarks(x xscale, cs []ContinuityCheck) ([]box, []sign) {
	var boxes []box
	var signs []sign
	for _, c := range cs {
		ev := c.Event
		end := ev.End
		if end.IsZero() {
			end = c.Excluded.To
		}
		title := eventTitle(c)
		cls := "event ev-" + string(c.Outcome)
		x0, x1, x2 := x.x(ev.Start), x.x(end), x.x(c.Excluded.To)
		boxes = append(boxes, box{X: x0, Y: padTop, W: round1(math.Max(x1-x0, 1.5)), H: plotH, Class: cls, Title: title})
		if x2 > x1 {
			boxes = append(boxes, box{X: x1, Y: padTop, W: round1(x2 - x1), H: plotH, Class: "event-margin", Title: title})
		}
		glyph, ok := eventGlyph[ev.Kind]
		if !ok {
			glyph = "?"
		}
		s := sign{X: x0, Y: padTop + plotH - 6, Text: glyph, Class: "ev " + signClass(c.Outcome), Title: title}
		// Signs a few units apart would print over each other: a failed one wins.
		if i := slices.IndexFunc(signs, func(o sign) bool { return math.Abs(o.X-s.X) < minMarkW/2 }); i >= 0 {
			if c.Outcome == Failed {
				signs[i] = s
			}
			continue
		}
		signs = append(signs, s)
	}
	return boxes, signs
}

func signClass(o Outcome) string {
	switch o {
	case Passed:
		return "pass"
	case Failed:
		return "fail"
	}
	return "short"
}

// eventTitle is an event's tooltip: the VM, what happened, what was
// measured against what was allowed, and the verdict.
func eventTitle(c ContinuityCheck) string {
	ev := c.Event
	t := fmt.Sprintf("%s: %s", ev.VM, ev.Kind)
	if n := nodes(ev); n != "" {
		t += " " + n
	}
	t += fmt.Sprintf(", %s–%s", clock(ev.Start), clockOr(ev.End, "never"))
	if m := measured(c); m != "" {
		t += ": " + m + " (allowed " + allowed(c) + ")"
	}
	t += "; " + string(c.Outcome)
	if c.Why != "" {
		t += " (" + c.Why + ")"
	}
	return t
}

// contRows lists the continuity checks for the report's table.
func contRows(cs []ContinuityCheck) []contRow {
	var out []contRow
	for _, c := range cs {
		out = append(out, contRow{Mark: mark(c.Outcome), Class: signClass(c.Outcome), Kind: c.Event.Kind, VM: c.Event.VM,
			When: clock(c.Event.Start) + "–" + clockOr(c.Event.End, "never"), Nodes: nodes(c.Event), Measured: measured(c), Allowed: allowed(c), Why: c.Why})
	}
	return out
}

func continuityOf(cs []ContinuityCheck, sn SignalNames) []ContinuityCheck {
	var out []ContinuityCheck
	for _, c := range cs {
		if c.Workload == sn.Workload && c.Signal == sn.Signal {
			out = append(out, c)
		}
	}
	return out
}
