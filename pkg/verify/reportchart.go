package verify

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The report's charts share one geometry (in viewBox units), so a
// workload's alert timelines line up under its chart.
const (
	chartW    = 960
	chartH    = 280
	padLeft   = 64
	padRight  = 16
	padTop    = 22
	padBottom = 28
	plotW     = chartW - padLeft - padRight
	plotH     = chartH - padTop - padBottom
	// manyVMs: above it a chart draws every VM thin and names only the
	// failing ones.
	manyVMs = 20
	// denseBands: above it (VMs out of phase) bands are drawn faint, so
	// where they pile up reads as where most VMs are expected.
	denseBands = 12
	// minMarkW is the narrowest stretch (in viewBox units) that gets a
	// ✓/✗ mark.
	minMarkW = 14
)

// palette is colour-blind-safe; red is left for failures.
const palette = "#0072b2 #e69f00 #009e73 #cc79a7 #56b4e9 #8c564b #6a3d9a #b8860b #17becf #444444"

// muted draws the passing VMs of a chart with many.
const muted = "#9fb3c8"

// chartView is one signal of one workload: the expected band per
// stretch, each VM's series, and a mark per stretch.
type chartView struct {
	SignalNames
	AxisUnit string
	XTicks   []tick
	YTicks   []tick
	Bands    []box
	Marks    []sign
	Lines    []line
	Legend   []line
	// Events and EventSigns mark the VMs' disruptions (reportevents.go).
	Events     []box
	EventSigns []sign
	// Unnamed counts the passing VMs a chart with many leaves out of its
	// legend.
	Unnamed  int
	NoSeries []string
	// Stretches counts the stretch checks by outcome; Rising says how
	// the rises-with-the-level checks went, if the signal has them.
	Passed, Failed, Short int
	Rising                string
}

type tick struct {
	Pos   float64
	Label string
}

// box is a rectangle; Class styles it, Title is its tooltip.
type box struct {
	X, Y, W, H   float64
	Class, Title string
}

type sign struct {
	X, Y               float64
	Text, Class, Title string
}

type line struct {
	VM, D, Colour string
	Width         float64
	Failing       bool
}

// xscale places times of the window on the plot.
type xscale struct{ from, to time.Time }

func (s xscale) x(t time.Time) float64 {
	f := float64(t.Sub(s.from)) / float64(s.to.Sub(s.from))
	return round1(padLeft + math.Max(0, math.Min(1, f))*plotW)
}

// yscale places values from 0 to max on the plot; div converts them to
// the axis's unit.
type yscale struct{ max, div float64 }

func (s yscale) y(v float64) float64 {
	return round1(padTop + plotH - math.Max(0, math.Min(1, v/s.max))*plotH)
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// newChart draws one signal's checks and series.
func newChart(sn SignalNames, x xscale, checks []Check, series []Series) chartView {
	cv := chartView{SignalNames: sn, XTicks: timeTicks(x)}
	failing := map[string]bool{}
	top := 0.0
	for _, c := range checks {
		switch {
		case c.Outcome == NoSeries:
			cv.NoSeries = append(cv.NoSeries, c.VM)
		case c.High != nil:
			top = math.Max(top, *c.High)
		default:
			top = math.Max(top, c.Low)
		}
		if c.Observed != nil && !c.Rises {
			top = math.Max(top, *c.Observed)
		}
		failing[c.VM] = failing[c.VM] || c.Outcome == Failed || c.Outcome == NoSeries
	}
	for _, s := range series {
		for _, p := range s.Points {
			top = math.Max(top, p.V)
		}
	}
	var y yscale
	y, cv.AxisUnit, cv.YTicks = valueAxis(top, sn.Unit)
	cv.Bands, cv.Marks = bands(x, y, checks)
	cv.Passed, cv.Failed, cv.Short, cv.Rising = countStretches(checks)
	cv.Lines, cv.Legend, cv.Unnamed = lines(x, y, series, failing)
	return cv
}

// bands shades each distinct stretch's expected band (a floor reaches the
// top) and marks it ✓ when every VM's check of it passed, ✗ when one
// failed, · when none could be measured.
func bands(x xscale, y yscale, checks []Check) ([]box, []sign) {
	type key struct {
		from, to  time.Time
		low, high float64
	}
	type agg struct {
		c                     Check
		passed, failed, short int
	}
	var order []key
	byKey := map[key]*agg{}
	for _, c := range checks {
		if c.Rises || c.Outcome == NoSeries {
			continue
		}
		k := key{c.From, c.To, c.Low, math.Inf(1)}
		if c.High != nil {
			k.high = *c.High
		}
		a, ok := byKey[k]
		if !ok {
			a = &agg{c: c}
			byKey[k] = a
			order = append(order, k)
		}
		switch c.Outcome {
		case Passed:
			a.passed++
		case Failed:
			a.failed++
		default:
			a.short++
		}
	}
	var boxes []box
	var marks []sign
	for _, k := range order {
		a := byKey[k]
		x0, x1 := x.x(k.from), x.x(k.to)
		b := box{X: x0, W: round1(x1 - x0), Class: "band", Title: fmt.Sprintf("%s–%s, level %s: expected %s", clock(k.from), clock(k.to), level(a.c), expected(a.c))}
		yTop := float64(padTop)
		if !math.IsInf(k.high, 1) {
			yTop = y.y(k.high)
		} else {
			b.Class += " floor"
		}
		b.Y, b.H = yTop, round1(math.Max(y.y(k.low)-yTop, 1))
		m := sign{X: round1((x0 + x1) / 2), Y: padTop - 7, Text: "✓", Class: "pass"}
		switch {
		case a.failed > 0:
			m.Text, m.Class = "✗", "fail"
			b.Class += " fail"
		case a.passed == 0:
			m.Text, m.Class = "·", "short"
			b.Class += " short"
		}
		m.Title = fmt.Sprintf("%s: %d passed, %d failed, %d too short to measure", b.Title, a.passed, a.failed, a.short)
		boxes = append(boxes, b)
		if b.W >= minMarkW && !slices.ContainsFunc(marks, func(o sign) bool { return math.Abs(o.X-m.X) < minMarkW }) {
			marks = append(marks, m)
		}
	}
	if len(boxes) > denseBands {
		for i := range boxes {
			boxes[i].Class += " dense"
		}
	}
	return boxes, marks
}

// countStretches counts a chart's stretch checks by outcome, and sums up
// its rises-with-the-level checks.
func countStretches(checks []Check) (passed, failed, short int, rising string) {
	var rp, rn int
	for _, c := range checks {
		switch {
		case c.Rises:
			rn++
			if c.Outcome == Passed {
				rp++
			}
		case c.Outcome == Passed:
			passed++
		case c.Outcome == Failed:
			failed++
		case c.Outcome == TooShort:
			short++
		}
	}
	if rn > 0 {
		rising = fmt.Sprintf("rises with the level on %d of %d VMs", rp, rn)
	}
	return passed, failed, short, rising
}

// lines draws each VM's series, breaking it where samples are missing. A
// chart with many VMs draws the passing ones thin and muted, the failing
// ones over them, and names only the failing ones.
func lines(x xscale, y yscale, series []Series, failing map[string]bool) (all, legend []line, unnamed int) {
	colours := strings.Fields(palette)
	many := len(series) > manyVMs
	var top []line
	for i, s := range series {
		if len(s.Points) == 0 {
			continue // listed under the chart as without series
		}
		l := line{VM: s.VM, D: path(x, y, s.Points), Colour: colours[i%len(colours)], Width: 1.75, Failing: failing[s.VM]}
		switch {
		case many && !l.Failing:
			l.Colour, l.Width = muted, 1
			unnamed++
		case many:
			l.Colour, l.Width = colours[len(top)%len(colours)], 1.5
			top = append(top, l)
			legend = append(legend, l)
			continue
		default:
			legend = append(legend, l)
		}
		all = append(all, l)
	}
	return append(all, top...), legend, unnamed
}

// path is an SVG path through the points; a gap over three times the
// median step between samples lifts the pen, and a sample alone between
// gaps is a dot.
func path(x xscale, y yscale, pts []Point) string {
	var gaps []time.Duration
	for i := 1; i < len(pts); i++ {
		gaps = append(gaps, pts[i].T.Sub(pts[i-1].T))
	}
	slices.Sort(gaps)
	lift := func(i int) bool {
		return i == 0 || i == len(pts) || pts[i].T.Sub(pts[i-1].T) > 3*gaps[len(gaps)/2]
	}
	var b strings.Builder
	for i, p := range pts {
		cmd := "L"
		if lift(i) {
			cmd = "M"
		}
		fmt.Fprintf(&b, "%s%s %s", cmd, ftoa(x.x(p.T)), ftoa(y.y(p.V)))
		if lift(i) && lift(i+1) {
			b.WriteString("h0.1")
		}
	}
	return b.String()
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// valueAxis chooses the value axis: from 0 to a round value above top,
// in the unit's best multiple (bytes as KiB, MiB, GiB, TiB).
func valueAxis(top float64, unit string) (yscale, string, []tick) {
	s := yscale{div: 1}
	axis := unit
	if unit == "bytes" {
		for i, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
			if d := math.Pow(1024, float64(i+1)); top >= d {
				s.div, axis = d, u
			}
		}
	}
	if top <= 0 {
		top = s.div
	}
	step := niceStep(top / s.div / 5)
	n := math.Ceil(top/s.div/step - 1e-9)
	s.max = n * step * s.div
	digits := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	var ticks []tick
	for i := 0.0; i <= n; i++ {
		ticks = append(ticks, tick{Pos: s.y(i * step * s.div), Label: strconv.FormatFloat(i*step, 'f', digits, 64)})
	}
	return s, axis, ticks
}

// niceStep rounds raw up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5} {
		if raw <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// timeTicks puts at most 8 ticks on round UTC times of the window (a
// window over 8 days gets one a day).
func timeTicks(x xscale) []tick {
	span := x.to.Sub(x.from)
	step := 24 * time.Hour
	for _, s := range []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second,
		30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour} {
		if span/s <= 8 {
			step = s
			break
		}
	}
	layout := "15:04"
	if step < time.Minute {
		layout = "15:04:05"
	}
	var out []tick
	for t := x.from.Truncate(step); !t.After(x.to); t = t.Add(step) {
		if !t.Before(x.from) {
			out = append(out, tick{Pos: x.x(t), Label: t.UTC().Format(layout)})
		}
	}
	return out
}
