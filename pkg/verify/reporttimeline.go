package verify

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Timeline geometry: one row per VM, the chart's x range.
const (
	rowH        = 22
	axisH       = 20
	rowLabelMax = 10
	// minLabelGap keeps a row's time-to-fire labels apart.
	minLabelGap = 34
)

// timelineView is one alert's timeline: per VM, the stretches where it
// should fire shaded, the spans where it fired as bars, and when it fired
// and resolved.
type timelineView struct {
	Alert string
	// Prefix is what the VMs' names share; rows are labelled by the rest.
	Prefix                    string
	H, AxisY                  float64
	XTicks                    []tick
	Rows                      []timelineRow
	Passed, Failed, Short     int
	FiredAfter, ResolvedAfter string
}

type timelineRow struct {
	VM, Label string
	Y         float64
	Stretches []box
	Fired     []box
	Signs     []sign
}

// newTimelines draws the timelines of the alerts in checks (one
// workload's), in the order they first appear.
func newTimelines(x xscale, checks []AlertCheck, firing []Firing) []timelineView {
	var out []timelineView
	var names []string
	for _, c := range checks {
		if !slices.Contains(names, c.Alert) {
			names = append(names, c.Alert)
		}
	}
	for _, name := range names {
		tv := timelineView{Alert: name, XTicks: timeTicks(x)}
		var vms []string
		var fired, resolved []time.Duration
		for _, c := range checks {
			if c.Alert != name {
				continue
			}
			if !slices.Contains(vms, c.VM) {
				vms = append(vms, c.VM)
			}
			switch c.Outcome {
			case Passed:
				tv.Passed++
			case Failed:
				tv.Failed++
			default:
				tv.Short++
			}
			if c.FiredAfter != nil {
				fired = append(fired, *c.FiredAfter)
			}
			if c.ResolvedAfter != nil {
				resolved = append(resolved, *c.ResolvedAfter)
			}
		}
		tv.FiredAfter, tv.ResolvedAfter = spread(fired), spread(resolved)
		tv.Prefix = sharedPrefix(vms)
		for i, vm := range vms {
			tv.Rows = append(tv.Rows, timelineRow{VM: vm, Label: rowLabel(strings.TrimPrefix(vm, tv.Prefix)), Y: float64(i * rowH)})
			row := &tv.Rows[i]
			addChecks(row, x, name, checks)
			addFiring(row, x, name, firing)
		}
		tv.AxisY = float64(len(vms) * rowH)
		tv.H = tv.AxisY + axisH
		out = append(out, tv)
	}
	return out
}

// addChecks shades each of the row's stretches by what the alert should
// do in it, outlined when the check failed, and labels when it fired and
// resolved.
func addChecks(row *timelineRow, x xscale, alert string, checks []AlertCheck) {
	lastLabel := math.Inf(-1)
	for _, c := range checks {
		if c.Alert != alert || c.VM != row.VM {
			continue
		}
		x0, x1 := x.x(c.From), x.x(c.To)
		b := box{X: x0, Y: 10, W: round1(x1 - x0), H: 11, Class: "want-" + c.Want,
			Title: fmt.Sprintf("%s–%s, level %d: want %s; %s", clock(c.From), clock(c.To), c.Level, c.Want, c.Outcome)}
		if c.Why != "" {
			b.Title += " (" + c.Why + ")"
		}
		if c.Outcome == Failed {
			b.Class += " fail"
		}
		row.Stretches = append(row.Stretches, b)
		for _, l := range []struct {
			after      *time.Duration
			text, cls  string
			what, verb string
		}{{c.FiredAfter, "↑", "fire", "fired", "after the level rose"}, {c.ResolvedAfter, "↓", "resolve", "resolved", "after the level fell"}} {
			if l.after == nil {
				continue
			}
			lx := x.x(c.From.Add(*l.after))
			if lx-lastLabel < minLabelGap {
				continue
			}
			lastLabel = lx
			row.Signs = append(row.Signs, sign{X: lx, Y: 8, Text: l.text + after(l.after), Class: l.cls,
				Title: fmt.Sprintf("%s %s %s", l.what, after(l.after), l.verb)})
		}
	}
}

// addFiring draws the spans where the alert fired for the row's VM.
func addFiring(row *timelineRow, x xscale, alert string, firing []Firing) {
	for _, f := range firing {
		if f.Alert != alert || f.VM != row.VM {
			continue
		}
		for _, s := range f.Spans {
			x0, x1 := x.x(s.From), x.x(s.To)
			row.Fired = append(row.Fired, box{X: x0, Y: 13, W: round1(math.Max(x1-x0, 1.5)), H: 5, Class: "fired",
				Title: fmt.Sprintf("firing %s–%s", clock(s.From), clock(s.To))})
		}
	}
}

// spread sums up durations as their range and median.
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return ""
	}
	slices.Sort(ds)
	lo, mid, hi := ds[0], ds[len(ds)/2], ds[len(ds)-1]
	if lo == hi {
		return fmt.Sprintf("%s (%d×)", after(&lo), len(ds))
	}
	return fmt.Sprintf("%s–%s, median %s (%d×)", after(&lo), after(&hi), after(&mid), len(ds))
}

// sharedPrefix is what every name shares up to a "-", so a row can be
// labelled by the part that tells its VM apart.
func sharedPrefix(names []string) string {
	if len(names) == 0 {
		return ""
	}
	p := names[0]
	for _, n := range names[1:] {
		for !strings.HasPrefix(n, p) {
			p = p[:len(p)-1]
		}
	}
	if len(names) == 1 || p == names[0] {
		p = p[:max(0, len(p)-1)]
	}
	return p[:strings.LastIndex(p, "-")+1]
}

// rowLabel keeps the end of a long label, which tells VMs apart.
func rowLabel(s string) string {
	r := []rune(s)
	if len(r) <= rowLabelMax {
		return s
	}
	return "…" + string(r[len(r)-rowLabelMax+1:])
}
