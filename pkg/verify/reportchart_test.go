package verify

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestValueAxis(t *testing.T) {
	cases := []struct {
		top    float64
		unit   string
		axis   string
		labels string
	}{
		{1.92, "vCPUs", "vCPUs", "0.0 0.5 1.0 1.5 2.0"},
		{2, "vCPUs", "vCPUs", "0.0 0.5 1.0 1.5 2.0"},
		{130, "IOPS", "IOPS", "0 50 100 150"},
		{0, "IOPS", "IOPS", "0.0 0.2 0.4 0.6 0.8 1.0"},
		{1.3125 * (1 << 30), "bytes", "GiB", "0.0 0.5 1.0 1.5"},
		{700 << 20, "bytes", "MiB", "0 200 400 600 800"},
		{93, "%", "%", "0 20 40 60 80 100"},
	}
	for _, c := range cases {
		y, axis, ticks := valueAxis(c.top, c.unit)
		var labels []string
		for _, tk := range ticks {
			labels = append(labels, tk.Label)
		}
		if axis != c.axis || strings.Join(labels, " ") != c.labels {
			t.Errorf("top %g %s: axis %s, ticks %q; want %s, %q", c.top, c.unit, axis, labels, c.axis, c.labels)
		}
		if y.y(0) != padTop+plotH || y.y(y.max) != padTop || y.max < c.top {
			t.Errorf("top %g: 0 at %g, max %g at %g", c.top, y.y(0), y.max, y.y(y.max))
		}
	}
}

func TestTimeTicks(t *testing.T) {
	cases := []struct {
		from   time.Time
		span   time.Duration
		labels string
	}{
		{start, 8 * time.Minute, "10:05 10:06 10:07 10:08 10:09 10:10 10:11 10:12 10:13"},
		{start.Add(7 * time.Second), 50 * time.Second, "10:05:10 10:05:20 10:05:30 10:05:40 10:05:50"},
		{start, 3 * time.Hour, "10:30 11:00 11:30 12:00 12:30 13:00"},
	}
	for _, c := range cases {
		var labels []string
		x := xscale{c.from, c.from.Add(c.span)}
		for _, tk := range timeTicks(x) {
			labels = append(labels, tk.Label)
			if tk.Pos < padLeft || tk.Pos > padLeft+plotW {
				t.Errorf("%s: tick %s at %g, off the plot", c.span, tk.Label, tk.Pos)
			}
		}
		if strings.Join(labels, " ") != c.labels {
			t.Errorf("%s from %s: %q, want %q", c.span, clock(c.from), labels, c.labels)
		}
	}
}

// TestPath: the pen lifts over a gap in the samples, and a sample alone
// between gaps is drawn as a dot.
func TestPath(t *testing.T) {
	x := xscale{start, start.Add(100 * time.Second)}
	y := yscale{max: 10, div: 1}
	at := func(secs ...int) []Point {
		var out []Point
		for _, s := range secs {
			out = append(out, Point{T: start.Add(time.Duration(s) * time.Second), V: 5})
		}
		return out
	}
	cases := []struct {
		name string
		pts  []Point
		want string
	}{
		{"none", nil, ""},
		{"one", at(0), "M64 137h0.1"},
		{"contiguous", at(0, 10, 20), "M64 137L152 137L240 137"},
		{"a gap", at(0, 10, 20, 30, 70, 80), "M64 137L152 137L240 137L328 137M680 137L768 137"},
		{"a lone sample", at(0, 5, 10, 15, 20, 40, 60, 65, 70), "M64 137L108 137L152 137L196 137L240 137M416 137h0.1M592 137L636 137L680 137"},
		{"a lone last sample", at(0, 10, 20, 30, 40, 80), "M64 137L152 137L240 137L328 137L416 137M768 137h0.1"},
	}
	for _, c := range cases {
		if got := path(x, y, c.pts); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestLinesMany: up to manyVMs VMs, each has a colour and a legend entry;
// beyond, the passing ones are thin and muted and only the failing ones
// are named, drawn over the rest.
func TestLinesMany(t *testing.T) {
	x := xscale{start, start.Add(time.Minute)}
	y := yscale{max: 1, div: 1}
	mk := func(n int) []Series {
		var out []Series
		for i := 0; i < n; i++ {
			out = append(out, Series{VM: fmt.Sprintf("vm-%d", i), Points: []Point{{start, 0.5}, {start.Add(time.Second), 0.5}}})
		}
		return out
	}
	failing := map[string]bool{"vm-3": true, "vm-17": true}
	all, legend, unnamed := lines(x, y, mk(manyVMs), failing)
	if len(all) != manyVMs || len(legend) != manyVMs || unnamed != 0 || all[0].Colour == all[1].Colour {
		t.Errorf("%d VMs: %d lines, %d in the legend, %d unnamed", manyVMs, len(all), len(legend), unnamed)
	}
	all, legend, unnamed = lines(x, y, mk(manyVMs+5), failing)
	if len(all) != manyVMs+5 || len(legend) != 2 || legend[0].VM != "vm-3" || legend[1].VM != "vm-17" || unnamed != manyVMs+3 {
		t.Fatalf("%d VMs: %d lines, legend %v, %d unnamed", manyVMs+5, len(all), legend, unnamed)
	}
	for i, l := range all {
		if top := i >= manyVMs+3; top != l.Failing || (l.Colour == muted) == l.Failing {
			t.Errorf("line %d (%s): failing %v, colour %s; the failing ones go last, in colour", i, l.VM, l.Failing, l.Colour)
		}
	}
	empty := []Series{{VM: "a"}, {VM: "b", Points: []Point{{start, 1}}}}
	if all, legend, _ := lines(x, y, empty, nil); len(all) != 1 || len(legend) != 1 || all[0].VM != "b" {
		t.Errorf("a VM without points is drawn: %v", all)
	}
}

// TestBands: VMs whose stretches coincide share a band; its mark is ✗ if
// any failed, ✓ if the rest passed, · if none was measured; a floor
// reaches the top of the plot; checks without a band have none.
func TestBands(t *testing.T) {
	x := xscale{start, start.Add(4 * time.Minute)}
	y := yscale{max: 2, div: 1}
	hi := 1.5
	check := func(vm string, from, to int, o Outcome, high *float64) Check {
		return Check{VM: vm, From: start.Add(time.Duration(from) * time.Minute), To: start.Add(time.Duration(to) * time.Minute), Low: 1, High: high, Outcome: o}
	}
	checks := []Check{
		check("a", 0, 2, Passed, &hi), check("b", 0, 2, Failed, &hi),
		check("a", 2, 4, Passed, &hi), check("b", 2, 4, Passed, &hi),
		check("c", 0, 4, TooShort, nil),
		{VM: "d", Outcome: NoSeries}, {VM: "a", Rises: true, Outcome: Passed},
	}
	boxes, signs := bands(x, y, checks)
	if len(boxes) != 3 || len(signs) != 3 {
		t.Fatalf("%d bands, %d marks: %+v %+v", len(boxes), len(signs), boxes, signs)
	}
	if signs[0].Text != "✗" || boxes[0].Class != "band fail" || signs[1].Text != "✓" || boxes[1].Class != "band" {
		t.Errorf("marks %q %q, classes %q %q", signs[0].Text, signs[1].Text, boxes[0].Class, boxes[1].Class)
	}
	if boxes[2].Class != "band floor short" || signs[2].Text != "·" || boxes[2].Y != padTop || boxes[2].Y+boxes[2].H != y.y(1) {
		t.Errorf("the floor: %+v", boxes[2])
	}
	if !strings.Contains(boxes[0].Title, "expected 1…1.5") {
		t.Errorf("tooltip %q", boxes[0].Title)
	}
	// VMs out of phase: more bands than denseBands are drawn faint.
	var shifted []Check
	for i := 0; i <= denseBands; i++ {
		c := check("a", 0, 2, Passed, &hi)
		c.From = c.From.Add(time.Duration(i) * time.Second)
		shifted = append(shifted, c)
	}
	if boxes, _ := bands(x, y, shifted); len(boxes) != denseBands+1 || !strings.HasSuffix(boxes[0].Class, " dense") {
		t.Errorf("%d bands out of phase: %d, class %q", denseBands+1, len(boxes), boxes[0].Class)
	}
}

func TestRowLabels(t *testing.T) {
	cases := []struct {
		names  []string
		prefix string
	}{
		{[]string{"virtwork-cpu-3f2b6c1e-1", "virtwork-cpu-3f2b6c1e-2", "virtwork-cpu-3f2b6c1e-10"}, "virtwork-cpu-3f2b6c1e-"},
		{[]string{"virtwork-cpu-3f2b6c1e-1"}, "virtwork-cpu-3f2b6c1e-"},
		{[]string{"virtwork-net-3f2b6c1e-1-1", "virtwork-net-3f2b6c1e-1"}, "virtwork-net-3f2b6c1e-"},
		{[]string{"a", "b"}, ""},
	}
	for _, c := range cases {
		if got := sharedPrefix(c.names); got != c.prefix {
			t.Errorf("%q: prefix %q, want %q", c.names, got, c.prefix)
		}
	}
	if got := rowLabel(`<script>alert("x")</script>`); got != "…</script>" {
		t.Errorf("a long label: %q", got)
	}
}
