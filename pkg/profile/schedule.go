package profile

import (
	"math"
	"time"
)

// Segment is one level of a schedule, from its offset in the cycle until
// the next segment's.
type Segment struct {
	// Offset is from the cycle's start, in whole seconds.
	Offset time.Duration
	Level  int
}

// Schedule is the one definition of how a profile's level moves: the
// renderer, plan and the guest (through the schedule file that File writes)
// all read this table, so what users see and what guests do cannot drift.
type Schedule struct {
	// Segments start at offset 0 and rise; adjacent ones differ in level.
	Segments []Segment
	// Cycle is when the segments start again, in whole seconds; 0 means
	// never: the last segment holds for ever.
	Cycle time.Duration
}

// Schedule turns a profile (as Parse or FromYAML gave it) into its table.
func (p Profile) Schedule() Schedule {
	var segs []Segment
	var cycle time.Duration
	switch p.Shape {
	case Square:
		per := seconds(p.Period)
		high := min(max((per*int64(p.Duty)+50)/100, 1), per-1)
		segs, cycle = []Segment{{0, p.High}, {sec(high), p.Low}}, p.Period
	case Spike:
		segs, cycle = []Segment{{0, p.Peak}, {p.Length, p.Base}}, p.Every
	case Ramp:
		segs = p.ramp()
		if p.Repeat {
			cycle = p.Over
		}
	case Steps:
		var at time.Duration
		for _, s := range p.Steps {
			segs = append(segs, Segment{at, s.Level})
			at += s.For
		}
		if p.Repeat {
			cycle = at
		}
	case Sine:
		segs, cycle = p.sine(), p.Period
	default:
		segs = []Segment{{0, p.Level}}
	}
	return Schedule{Segments: merge(segs), Cycle: cycle}
}

// ramp is from..to in n equal stairs (to the second) over Over: the first
// stair is From, the last To. n is at most MaxStairs, at most one stair per
// second, and at most one per level between From and To.
func (p Profile) ramp() []Segment {
	over := seconds(p.Over)
	diff := int64(p.To - p.From)
	n := min(int64(MaxStairs), over, abs(diff)+1)
	segs := make([]Segment, n)
	for i := range n {
		level := int64(p.From)
		if n > 1 {
			level += roundDiv(diff*i, n-1)
		}
		segs[i] = Segment{sec(over * i / n), p.Levels.raise(int(level))}
	}
	return segs
}

// sine starts at Min, peaks at Max half a Period later, sampled every
// max(Period/60, 5s) rounded to whole seconds, each sample held until the
// next.
func (p Profile) sine() []Segment {
	per := seconds(p.Period)
	step := max((per+Samples/2)/Samples, seconds(MinSample))
	span := float64(p.Max - p.Min)
	var segs []Segment
	for off := int64(0); off < per; off += step {
		// Rounded to a whole level, so a last-bit difference in Cos
		// between architectures changes nothing short of an exact half.
		c := math.Cos(2 * math.Pi * float64(off) / float64(per))
		level := p.Min + int(math.Round(span*(1-c)/2))
		segs = append(segs, Segment{sec(off), p.Levels.raise(level)})
	}
	return segs
}

// merge drops segments that keep the level of the one before.
func merge(segs []Segment) []Segment {
	out := segs[:0:0]
	for _, s := range segs {
		if len(out) > 0 && out[len(out)-1].Level == s.Level {
			continue
		}
		out = append(out, s)
	}
	return out
}

// State is where a VM is in its run.
type State string

// The states At gives, as the guest's reader prints them.
const (
	// Idle: before the start (or, for a shape that does not repeat, before
	// the start plus the VM's phase); the level is 0.
	Idle State = "idle"
	// Running: the level follows the schedule.
	Running State = "running"
	// Finished: after start+duration; the level is 0 for good.
	Finished State = "finished"
)

// At is the level a VM runs at instant t, the next instant at which the
// level or state changes (the zero Time for never), and the state. start is
// when the run's profile starts; phase is the VM's (Phase) and delays its
// position in the schedule: a repeating schedule is already running at
// start (at the position phase before its cycle's start), one that does not
// repeat stays idle until start+phase. duration 0 means no end. Everything
// is in whole seconds of UTC, so days later the level is exactly where the
// table says, with no drift, and DST and leap seconds do not exist.
func (s Schedule) At(start time.Time, phase, duration time.Duration, t time.Time) (level int, next time.Time, state State) {
	lvl, nx, st := s.at(start.Unix(), seconds(phase), seconds(duration), t.Unix())
	if nx < 0 {
		return lvl, time.Time{}, st
	}
	return lvl, time.Unix(nx, 0).UTC(), st
}

// at is At in unix seconds; next is -1 for never. The guest's reader
// (templates/lib/virtwork-level.sh) is this function line for line, over
// the table File wrote; a test runs both at thousands of instants.
func (s Schedule) at(start, phase, dur, now int64) (level int, next int64, state State) {
	end := int64(-1)
	if dur > 0 {
		end = start + dur
		if now >= end {
			return 0, -1, Finished
		}
	}
	until := func(n int64) int64 {
		if end >= 0 && (n < 0 || n > end) {
			return end
		}
		return n
	}
	cycle, n := seconds(s.Cycle), len(s.Segments)
	vstart := start
	if cycle == 0 {
		vstart = start + phase
	}
	if now < vstart {
		return 0, until(vstart), Idle
	}
	if n == 0 {
		return 0, until(-1), Running
	}
	q := now - start - phase
	if cycle > 0 {
		q = ((q % cycle) + cycle) % cycle
	}
	i := 0
	for j := 1; j < n && seconds(s.Segments[j].Offset) <= q; j++ {
		i = j
	}
	level, next = s.Segments[i].Level, -1
	for k := 1; k < n; k++ {
		j, wrap := i+k, int64(0)
		if j >= n {
			if cycle == 0 {
				break
			}
			j, wrap = j-n, cycle
		}
		if s.Segments[j].Level != level {
			next = now + seconds(s.Segments[j].Offset) + wrap - q
			break
		}
	}
	return level, until(next), Running
}

func seconds(d time.Duration) int64 { return int64(d / time.Second) }

func sec(n int64) time.Duration { return time.Duration(n) * time.Second }

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// roundDiv is a/b rounded half away from zero, for b > 0.
func roundDiv(a, b int64) int64 {
	if a < 0 {
		return -((-a + b/2) / b)
	}
	return (a + b/2) / b
}
