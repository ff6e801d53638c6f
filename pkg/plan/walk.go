package plan

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/profile"
)

// clock places a workload's run in time: from its start (the zero Time:
// each guest's boot, which the model states as offsets) over the window.
type clock struct {
	start    time.Time
	duration time.Duration
	window   time.Duration
}

// boot stands for "when the guest boots" in calls to Schedule.At; only
// offsets from it reach the model.
var boot = time.Unix(0, 0).UTC()

func (c clock) ref() time.Time {
	if c.start.IsZero() {
		return boot
	}
	return c.start
}

func (c clock) startText() string {
	if c.start.IsZero() {
		return "boot"
	}
	return c.start.UTC().Format(time.RFC3339)
}

func (c clock) endText() string {
	switch {
	case c.duration == 0:
		return "never"
	case c.start.IsZero():
		return "boot+" + profile.FormatDuration(c.duration)
	}
	return c.start.Add(c.duration).UTC().Format(time.RFC3339)
}

// span is from..to, offsets from the start.
func (c clock) span(from, to time.Duration) Span {
	sp := Span{FromSeconds: int64(from / time.Second), ToSeconds: int64(to / time.Second)}
	if !c.start.IsZero() {
		sp.From = c.start.Add(from).UTC().Format(time.RFC3339)
		sp.To = c.start.Add(to).UTC().Format(time.RFC3339)
	}
	return sp
}

// walk is a VM's segments over the window, each from Schedule.At: its level
// and state at an instant and when they next change.
func (c clock) walk(s profile.Schedule, phase time.Duration, limit int) ([]Segment, bool) {
	ref := c.ref()
	end := ref.Add(c.window)
	var out []Segment
	for t := ref; t.Before(end); {
		if len(out) == limit {
			return out, false
		}
		level, next, state := s.At(ref, phase, c.duration, t)
		if next.IsZero() || next.After(end) {
			next = end
		}
		out = append(out, Segment{Span: c.span(t.Sub(ref), next.Sub(ref)), Level: level, State: state})
		t = next
	}
	return out, true
}

// walkAll walks each phase once (VMs of one phase share their segments).
// With all, it refuses a model of more than MaxSegments segments; without,
// it walks each phase only MaxLines+1 segments, and horizon is how far
// every phase got (the window's end when all did).
func (c clock) walkAll(s profile.Schedule, phases map[time.Duration]int, name string, all bool) (byPhase map[time.Duration][]Segment, horizon int64, err error) {
	byPhase, horizon = map[time.Duration][]Segment{}, int64(c.window/time.Second)
	total := 0
	for _, ph := range sortedKeys(phases) {
		limit := MaxLines + 1
		if all {
			limit = (MaxSegments-total)/phases[ph] + 1
		}
		segs, ok := c.walk(s, ph, limit)
		total += len(segs) * phases[ph]
		if all && (!ok || total > MaxSegments) {
			return nil, 0, tooLarge(fmt.Sprintf("the %d VMs of %s change level more than %d times in the %s window; give a shorter window",
				sum(phases), name, MaxSegments, profile.FormatDuration(c.window)))
		}
		horizon = min(horizon, segs[len(segs)-1].ToSeconds)
		byPhase[ph] = segs
	}
	return byPhase, horizon, nil
}

func sum(m map[time.Duration]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// aggregate sweeps every phase's segments in time order: a new interval
// starts wherever some VM changes level.
func (c clock) aggregate(byPhase map[time.Duration][]Segment, phases map[time.Duration]int, keys []time.Duration, horizon int64, lv *Level, vcpus int) []Interval {
	type change struct {
		at       int64
		from, to int
		vms      int
	}
	var changes []change
	counts := map[int]int{}
	for _, ph := range keys {
		segs := byPhase[ph]
		counts[segs[0].Level] += phases[ph]
		for i := 1; i < len(segs) && segs[i].FromSeconds < horizon; i++ {
			changes = append(changes, change{segs[i].FromSeconds, segs[i-1].Level, segs[i].Level, phases[ph]})
		}
	}
	slices.SortStableFunc(changes, func(a, b change) int { return cmp.Compare(a.at, b.at) })
	var out []Interval
	from := int64(0)
	emit := func(to int64) {
		if to <= from {
			return
		}
		iv := interval(c.span(time.Duration(from)*time.Second, time.Duration(to)*time.Second), counts, lv, vcpus)
		if n := len(out); n > 0 && slices.Equal(out[n-1].Levels, iv.Levels) {
			// VMs swapped levels: the aggregate holds.
			out[n-1].ToSeconds, out[n-1].To = iv.ToSeconds, iv.To
		} else {
			out = append(out, iv)
		}
		from = to
	}
	for _, ch := range changes {
		if ch.at != from {
			emit(ch.at)
		}
		counts[ch.from] -= ch.vms
		counts[ch.to] += ch.vms
	}
	emit(horizon)
	return out
}

func interval(sp Span, counts map[int]int, lv *Level, vcpus int) Interval {
	iv := Interval{Span: sp}
	for level, n := range counts {
		if n > 0 {
			iv.Levels = append(iv.Levels, LevelCount{Level: level, VMs: n})
			iv.LevelSum += int64(level) * int64(n)
		}
	}
	slices.SortFunc(iv.Levels, func(a, b LevelCount) int { return cmp.Compare(b.Level, a.Level) })
	if lv.PerVCPUPercent && vcpus > 0 { // unknown for an instance type
		iv.VCPUBusy = ptr(float64(iv.LevelSum) * float64(vcpus) / 100)
	}
	return iv
}

// Columns is the chart's width.
const Columns = 60

// samples is how many instants of each column the chart averages.
const samples = 8

// chart is the mean level over the VMs at samples evenly spaced instants
// of each column: bounded whatever the window and the cycle.
func (c clock) chart(s profile.Schedule, phases map[time.Duration]int, keys []time.Duration) []float64 {
	ref, vms := c.ref(), sum(phases)
	out := make([]float64, Columns)
	for col := range out {
		var total float64
		for k := range samples {
			off := c.window * time.Duration(col*samples+k) / (Columns * samples)
			t := ref.Add((off + c.window/(2*Columns*samples)).Truncate(time.Second))
			for _, ph := range keys {
				level, _, _ := s.At(ref, ph, c.duration, t)
				total += float64(level * phases[ph])
			}
		}
		out[col] = total / float64(samples*vms)
	}
	return out
}
