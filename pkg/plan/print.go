package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/profile"
)

// MaxLines is how many aggregate intervals Write prints per workload; JSON
// has them all.
const MaxLines = 12

// WriteJSON writes the model as indented JSON (keys in the README).
func WriteJSON(w io.Writer, p *Plan) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(p)
}

// Write prints the model for a terminal, within 100 columns a line but
// for long profile strings: per workload, its profile, start and end, a
// chart of its mean level over the window, and the aggregate.
func Write(w io.Writer, p *Plan) error {
	var b strings.Builder
	fmt.Fprintf(&b, "run %s, window %s from each workload's start\n",
		p.RunID, profile.FormatDuration(time.Duration(p.WindowSeconds)*time.Second))
	for _, wl := range p.Workloads {
		b.WriteString("\n")
		writeWorkload(&b, wl, time.Duration(p.WindowSeconds)*time.Second)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeWorkload(b *strings.Builder, wl Workload, window time.Duration) {
	vms := fmt.Sprintf("%d %s × %s", wl.VMCount, plural(wl.VMCount, "VM"), perVM(wl))
	if wl.Level == nil && wl.Unlimited != "" {
		fmt.Fprintf(b, "%s: unlimited (%s 0; a --profile gives it levels), %s\n  runs     %s\n", wl.Name, wl.Unlimited, vms, wl.Description)
		return
	}
	if wl.Level == nil {
		fmt.Fprintf(b, "%s: constant (no level to shape), %s\n  runs     %s\n", wl.Name, vms, wl.Description)
		return
	}
	lv := wl.Level
	fmt.Fprintf(b, "%s: %s, level %s: %s, %d-%d\n", wl.Name, vms, lv.Param, lv.Unit, lv.Min, lv.Max)
	fmt.Fprintf(b, "  profile  %s\n", wl.Profile)
	start := wl.Start
	if start == "boot" {
		start = "boot (each VM's own; the aggregate assumes they boot together)"
	}
	fmt.Fprintf(b, "  start    %s\n  end      %s\n", start, wl.End)
	top := chartTop(wl)
	fmt.Fprintf(b, "  chart    the VMs' mean level, 0 (·) to %d (█), %s a column\n", top, profile.FormatDuration(window/Columns))
	fmt.Fprintf(b, "  %s ▕%s▏ %s\n", instant(wl.Window.FromSeconds, wl.Window.From, window), bars(wl.Chart, top),
		instant(wl.Window.ToSeconds, wl.Window.To, window))
	for _, iv := range wl.Aggregate {
		fmt.Fprintf(b, "  %s from %s to %s\n", aggregateText(wl, iv),
			instant(iv.FromSeconds, iv.From, window), instant(iv.ToSeconds, iv.To, window))
	}
	if wl.More {
		b.WriteString("  … and more changes in the window (-o json lists them all)\n")
	}
}

// aggregateText: "20 cpu VMs × 2 vCPU at 90% ⇒ 36 vCPU busy".
func aggregateText(wl Workload, iv Interval) string {
	lv := wl.Level
	if n := len(iv.Levels); n > maxBreakdown {
		return fmt.Sprintf("%d %s %s × %s at %d levels, %s to %s", wl.VMCount, wl.Name, plural(wl.VMCount, "VM"), perVM(wl),
			n, levelText(iv.Levels[n-1].Level, lv.Unit), levelText(iv.Levels[0].Level, lv.Unit)) + total(wl, iv)
	}
	var at []string
	for i, lc := range iv.Levels {
		s := levelText(lc.Level, lv.Unit)
		if i > 0 || len(iv.Levels) > 1 {
			s = strconv.Itoa(lc.VMs) + " at " + s
		}
		at = append(at, s)
	}
	head := fmt.Sprintf("%d %s %s × %s at %s", wl.VMCount, wl.Name, plural(wl.VMCount, "VM"), perVM(wl), at[0])
	if len(at) > 1 {
		head = fmt.Sprintf("%d %s %s × %s: %s", wl.VMCount, wl.Name, plural(wl.VMCount, "VM"), perVM(wl), strings.Join(at, ", "))
	}
	return head + total(wl, iv)
}

// perVM is a VM's size: "2 vCPU", or the instance type that sizes it, whose
// vCPUs only the cluster knows.
func perVM(wl Workload) string {
	if wl.Instancetype != "" {
		return "instance type " + wl.Instancetype
	}
	return strconv.Itoa(wl.VCPUsPerVM) + " vCPU"
}

// maxBreakdown is how many levels an aggregate line lists VM counts for.
const maxBreakdown = 3

func total(wl Workload, iv Interval) string {
	if iv.VCPUBusy != nil {
		return " ⇒ " + number(*iv.VCPUBusy) + " vCPU busy"
	}
	if wl.Level.PerVCPUPercent { // VMs of an instance type: its vCPUs, times
		return " ⇒ " + number(float64(iv.LevelSum)/100) + " VMs' worth of vCPUs busy"
	}
	return " ⇒ " + strconv.FormatInt(iv.LevelSum, 10) + " " + wl.Level.Unit + " in all"
}

func levelText(level int, unit string) string {
	if strings.HasPrefix(unit, "%") {
		return strconv.Itoa(level) + "%"
	}
	return strconv.Itoa(level) + " " + unit
}

func number(f float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(f, 'f', 1, 64), ".0")
}

// instant is a time on a line: 10:05Z (with the date for a window of a
// day or more), or boot+5m for a run that starts at boot.
func instant(sec int64, abs string, window time.Duration) string {
	if abs == "" {
		return "boot+" + profile.FormatDuration(time.Duration(sec)*time.Second)
	}
	t, err := time.Parse(time.RFC3339, abs)
	if err != nil {
		return abs
	}
	layout := "15:04:05Z"
	if t.Second() == 0 {
		layout = "15:04Z"
	}
	if window >= 24*time.Hour {
		layout = "Jan 2 " + layout
	}
	return t.Format(layout)
}

// blocks are the chart's eighths; an idle column is a dot.
var blocks = []rune("▁▂▃▄▅▆▇█")

// chartTop is the highest level of the workload's schedule, the chart's
// full block: a profile that moves between 50 and 200 IOPS fills the chart,
// not a sliver of the level's range (1-1000000).
func chartTop(wl Workload) int {
	top := 1
	for _, seg := range wl.Schedule.Segments {
		top = max(top, seg.Level)
	}
	return top
}

func bars(chart []float64, top int) string {
	var b strings.Builder
	for _, v := range chart {
		if v <= 0 || top <= 0 {
			b.WriteRune('·')
			continue
		}
		i := int(math.Ceil(v/float64(top)*float64(len(blocks)))) - 1
		b.WriteRune(blocks[min(max(i, 0), len(blocks)-1)])
	}
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
