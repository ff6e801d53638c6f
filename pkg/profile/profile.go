package profile

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Shape names how a level moves over time.
type Shape string

// The shapes. Their keys, defaults and ranges are in the package doc.
const (
	Constant Shape = "constant"
	Square   Shape = "square"
	Ramp     Shape = "ramp"
	Spike    Shape = "spike"
	Steps    Shape = "steps"
	Sine     Shape = "sine"
)

// Shapes lists every shape in the order the docs list them.
func Shapes() []Shape { return []Shape{Constant, Square, Ramp, Spike, Steps, Sine} }

// Levels is the level range a workload declares, in its own unit (percent,
// IOPS, Mbit/s...). A level is 0, meaning idle, or within [Min, Max].
// Default is the workload's level: constant's level, and the high side
// (square's high, ramp's to, spike's peak, sine's max) when not given.
// A Default of 0 is no level of its own: a workload whose level param is
// 0 runs unlimited without a schedule (disk, database, network), so a
// profile must give that key (Parse and FromYAML say so).
type Levels struct {
	Min, Max, Default int
}

// check refuses a range no workload can declare; it is the caller's error,
// not the user's.
func (lv Levels) check() error {
	if lv.Min < 0 || lv.Max < 1 || lv.Min > lv.Max || (lv.Default != 0 && (lv.Default < lv.Min || lv.Default > lv.Max)) {
		return fmt.Errorf("profile: invalid level range min %d, max %d, default %d", lv.Min, lv.Max, lv.Default)
	}
	return nil
}

// allows reports whether level is 0 or within the range.
func (lv Levels) allows(level int) bool {
	return level == 0 || (level >= lv.Min && level <= lv.Max)
}

// raise lifts a computed level between 0 and Min (a ramp's or a sine's
// in-between stair) to Min, so every level a schedule holds is allowed.
func (lv Levels) raise(level int) int {
	if level > 0 && level < lv.Min {
		return lv.Min
	}
	return level
}

// Profile is a validated load profile: a shape with every key filled in
// (given or defaulted) and a per-VM spread. Only the fields of its Shape
// matter; Parse and FromYAML set them, and Schedule turns them into the
// one table of segments that both the renderer and the guest read.
type Profile struct {
	Shape Shape
	// Levels is the workload's range the profile was checked against.
	Levels Levels

	// Level is constant's level.
	Level int
	// High lasts Duty percent of each Period, then Low (square).
	High, Low, Duty int
	// Period is the cycle of square and sine.
	Period time.Duration
	// From, To and Over: ramp climbs from From to To in equal stairs over Over.
	From, To int
	Over     time.Duration
	// Repeat makes ramp start again after Over (then=repeat) instead of
	// holding To, and steps start again after the last step.
	Repeat bool
	// Base, Peak, Every and Length: Peak for Length at the start of every
	// Every, Base in between (spike).
	Base, Peak    int
	Every, Length time.Duration
	// Steps is the steps shape's list, in order.
	Steps []Step
	// Min and Max are the lowest and highest level of sine, which starts at
	// Min and peaks at Max half a Period later.
	Min, Max int

	// Spread gives each VM its own phase (see Phase).
	Spread Spread
}

// Step is one LEVEL@DURATION of the steps shape.
type Step struct {
	Level int
	For   time.Duration
}

// SpreadKind says how VMs' phases differ.
type SpreadKind string

// The spreads. The zero SpreadKind is SpreadNone.
const (
	// SpreadNone keeps every VM in step (phase 0).
	SpreadNone SpreadKind = ""
	// SpreadRandom gives each VM a phase in [0, cycle) from the run id and
	// its name; only for repeating shapes.
	SpreadRandom SpreadKind = "random"
	// SpreadJitter gives each VM a phase in [0, Jitter).
	SpreadJitter SpreadKind = "jitter"
)

// Spread is a profile's per-VM phase rule.
type Spread struct {
	Kind SpreadKind
	// Jitter bounds the phase of SpreadJitter.
	Jitter time.Duration
}

// String is the spread as the spread key spells it.
func (s Spread) String() string {
	switch s.Kind {
	case SpreadRandom:
		return "random"
	case SpreadJitter:
		return "jitter=" + FormatDuration(s.Jitter)
	}
	return "none"
}

// Default is the profile of a workload that names none: constant at the
// workload's level, as virtwork ran before profiles.
func Default(lv Levels) Profile {
	return Profile{Shape: Constant, Levels: lv, Level: lv.Default}
}

// Repeats reports whether the profile starts over after a cycle.
func (p Profile) Repeats() bool {
	switch p.Shape {
	case Square, Spike, Sine:
		return true
	case Ramp, Steps:
		return p.Repeat
	}
	return false
}

// String is the profile in the canonical flag form, every key spelled out
// in the order the docs list them: Parse(p.String()) gives p back.
func (p Profile) String() string {
	if keysOf(p.Shape) == nil {
		return string(p.Shape)
	}
	var kv []string
	for _, k := range keysOf(p.Shape) {
		if k.name == "spread" && p.Spread.Kind == SpreadNone {
			continue
		}
		kv = append(kv, k.name+"="+k.get(p))
	}
	return string(p.Shape) + ":" + strings.Join(kv, ",")
}

func formatSteps(steps []Step) string {
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = strconv.Itoa(s.Level) + "@" + FormatDuration(s.For)
	}
	return strings.Join(parts, "/")
}

// FormatDuration spells a whole-second duration the way the parsers read
// it and people write it: 90s is 1m30s, 36h is 1d12h, 0 is 0s.
func FormatDuration(d time.Duration) string {
	s := int64(d / time.Second)
	if s == 0 {
		return "0s"
	}
	var b strings.Builder
	if s < 0 {
		b.WriteByte('-')
		s = -s
	}
	for _, u := range []struct {
		n    int64
		unit string
	}{{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}} {
		if s >= u.n {
			b.WriteString(strconv.FormatInt(s/u.n, 10) + u.unit)
			s %= u.n
		}
	}
	return b.String()
}
