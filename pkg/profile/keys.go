package profile

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The ranges of the shapes' keys (the package doc's table).
const (
	MinPeriod = 10 * time.Second   // period, over, every and each step
	MaxPeriod = 7 * 24 * time.Hour // period, over, every and each step
	MinLength = time.Second        // spike's length (and below every)
	MinJitter = time.Second        // spread=jitter=DURATION
	MaxJitter = 7 * 24 * time.Hour // spread=jitter=DURATION
	MinDuty   = 1                  // square's duty, percent
	MaxDuty   = 99                 // square's duty, percent
	MaxSteps  = 100                // steps' levels
	MaxStairs = 60                 // ramp's stairs
	MinSample = 5 * time.Second    // sine's shortest sample
	Samples   = 60                 // sine's samples per period, fewer when period/60 < MinSample
)

// The defaults of the keys that have one and no level (levels default to 0
// or the workload's level).
const (
	defPeriod = 10 * time.Minute     // square's and sine's period, ramp's over
	defEvery  = 15 * time.Minute     // spike's every
	defLength = time.Minute          // spike's length
	defDuty   = 50                   // square's duty
	stepsHelp = "20@5m/50@5m/90@10m" // an example of levels, for messages
)

// key is one key of a shape: how to read its value into a Profile and how
// to spell it back.
type key struct {
	name string
	set  func(p *Profile, v string, c field) error
	get  func(p Profile) string
}

// field is where a value came from (for messages) and the range it is
// checked against.
type field struct {
	where string
	lv    Levels
}

// keysOf lists a shape's keys in the order the docs and String list them;
// spread is last for every shape.
func keysOf(s Shape) []key {
	var ks []key
	switch s {
	case Constant:
		ks = []key{levelKey("level", func(p *Profile) *int { return &p.Level })}
	case Square:
		ks = []key{levelKey("high", func(p *Profile) *int { return &p.High }),
			levelKey("low", func(p *Profile) *int { return &p.Low }),
			durKey("period", MinPeriod, MaxPeriod, func(p *Profile) *time.Duration { return &p.Period }),
			dutyKey()}
	case Ramp:
		ks = []key{levelKey("from", func(p *Profile) *int { return &p.From }),
			levelKey("to", func(p *Profile) *int { return &p.To }),
			durKey("over", MinPeriod, MaxPeriod, func(p *Profile) *time.Duration { return &p.Over }),
			thenKey()}
	case Spike:
		ks = []key{levelKey("base", func(p *Profile) *int { return &p.Base }),
			levelKey("peak", func(p *Profile) *int { return &p.Peak }),
			durKey("every", MinPeriod, MaxPeriod, func(p *Profile) *time.Duration { return &p.Every }),
			durKey("length", MinLength, MaxPeriod, func(p *Profile) *time.Duration { return &p.Length })}
	case Steps:
		ks = []key{stepsKey(), repeatKey()}
	case Sine:
		ks = []key{levelKey("min", func(p *Profile) *int { return &p.Min }),
			levelKey("max", func(p *Profile) *int { return &p.Max }),
			durKey("period", MinPeriod, MaxPeriod, func(p *Profile) *time.Duration { return &p.Period })}
	default:
		return nil
	}
	return append(ks, spreadKey())
}

// defaults is a shape with every optional key at its default.
func defaults(s Shape, lv Levels) Profile {
	p := Profile{Shape: s, Levels: lv}
	switch s {
	case Constant:
		p.Level = lv.Default
	case Square:
		p.High, p.Period, p.Duty = lv.Default, defPeriod, defDuty
	case Ramp:
		p.To, p.Over = lv.Default, defPeriod
	case Spike:
		p.Peak, p.Every, p.Length = lv.Default, defEvery, defLength
	case Sine:
		p.Max, p.Period = lv.Default, defPeriod
	}
	return p
}

func levelKey(name string, f func(*Profile) *int) key {
	return key{name: name,
		set: func(p *Profile, v string, c field) error {
			n, err := parseLevel(v, c)
			*f(p) = n
			return err
		},
		get: func(p Profile) string { return strconv.Itoa(*f(&p)) },
	}
}

func durKey(name string, lo, hi time.Duration, f func(*Profile) *time.Duration) key {
	return key{name: name,
		set: func(p *Profile, v string, c field) error {
			d, err := durationIn(v, c.where, lo, hi)
			*f(p) = d
			return err
		},
		get: func(p Profile) string { return FormatDuration(*f(&p)) },
	}
}

func dutyKey() key {
	return key{name: "duty",
		set: func(p *Profile, v string, c field) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < MinDuty || n > MaxDuty {
				return fmt.Errorf("%s must be the percentage of each period at high, between %d and %d, got %q", c.where, MinDuty, MaxDuty, v)
			}
			p.Duty = n
			return nil
		},
		get: func(p Profile) string { return strconv.Itoa(p.Duty) },
	}
}

func thenKey() key {
	return key{name: "then",
		set: func(p *Profile, v string, c field) error {
			switch v {
			case "hold", "repeat":
				p.Repeat = v == "repeat"
				return nil
			}
			return fmt.Errorf("%s must be hold (stay at to) or repeat (start again from from), got %q", c.where, v)
		},
		get: func(p Profile) string {
			if p.Repeat {
				return "repeat"
			}
			return "hold"
		},
	}
}

func repeatKey() key {
	return key{name: "repeat",
		set: func(p *Profile, v string, c field) error {
			switch v {
			case "true", "false":
				p.Repeat = v == "true"
				return nil
			}
			return fmt.Errorf("%s must be true (start again after the last step) or false (hold the last level), got %q", c.where, v)
		},
		get: func(p Profile) string { return strconv.FormatBool(p.Repeat) },
	}
}

func spreadKey() key {
	return key{name: "spread",
		set: func(p *Profile, v string, c field) error {
			switch {
			case v == "none":
				p.Spread = Spread{}
				return nil
			case v == "random":
				p.Spread = Spread{Kind: SpreadRandom}
				return nil
			case strings.HasPrefix(v, "jitter="):
				d, err := durationIn(strings.TrimPrefix(v, "jitter="), c.where+" jitter", MinJitter, MaxJitter)
				p.Spread = Spread{Kind: SpreadJitter, Jitter: d}
				return err
			}
			return fmt.Errorf("%s must be none, random or jitter=DURATION (for example jitter=2m), got %q", c.where, v)
		},
		get: func(p Profile) string { return p.Spread.String() },
	}
}

func stepsKey() key {
	return key{name: "levels",
		set: func(p *Profile, v string, c field) error {
			steps, err := parseSteps(v, c)
			p.Steps = steps
			return err
		},
		get: func(p Profile) string { return formatSteps(p.Steps) },
	}
}

func parseSteps(v string, c field) ([]Step, error) {
	if strings.TrimSpace(v) == "" {
		return nil, fmt.Errorf("%s must list LEVEL@DURATION steps separated by / (for example %s), got nothing", c.where, stepsHelp)
	}
	parts := strings.Split(v, "/")
	if len(parts) > MaxSteps {
		return nil, fmt.Errorf("%s has %d steps, at most %d are allowed", c.where, len(parts), MaxSteps)
	}
	steps := make([]Step, len(parts))
	for i, part := range parts {
		part = strings.TrimSpace(part)
		lvl, dur, ok := strings.Cut(part, "@")
		if !ok || lvl == "" || dur == "" {
			return nil, fmt.Errorf("%s step %d %q must look like LEVEL@DURATION (for example 50@5m)", c.where, i+1, part)
		}
		sc := field{where: fmt.Sprintf("%s step %d level", c.where, i+1), lv: c.lv}
		n, err := parseLevel(lvl, sc)
		if err != nil {
			return nil, err
		}
		d, err := durationIn(dur, fmt.Sprintf("%s step %d duration", c.where, i+1), MinPeriod, MaxPeriod)
		if err != nil {
			return nil, err
		}
		steps[i] = Step{Level: n, For: d}
	}
	return steps, nil
}

// parseLevel reads a level: 0 or within the workload's range.
func parseLevel(v string, c field) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || !c.lv.allows(n) {
		return 0, fmt.Errorf("%s must be %s, got %q", c.where, c.lv.describe(), v)
	}
	return n, nil
}

// describe says which levels are allowed, for messages.
func (lv Levels) describe() string {
	if lv.Min <= 1 {
		return fmt.Sprintf("a level between 0 and %d", lv.Max)
	}
	return fmt.Sprintf("a level of 0 (idle) or between %d and %d", lv.Min, lv.Max)
}

// durationIn reads a whole-second duration within [lo, hi].
func durationIn(v, where string, lo, hi time.Duration) (time.Duration, error) {
	d, err := parseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s must be a duration between %s and %s such as 10m, 1h30m or 2d, got %q", where, FormatDuration(lo), FormatDuration(hi), v)
	}
	if d%time.Second != 0 {
		return 0, fmt.Errorf("%s must be whole seconds, got %q", where, v)
	}
	if d < lo || d > hi {
		return 0, fmt.Errorf("%s must be between %s and %s, got %q", where, FormatDuration(lo), FormatDuration(hi), v)
	}
	return d, nil
}

// parseDuration is time.ParseDuration with whole days in front: 2d, 1d12h.
func parseDuration(v string) (time.Duration, error) {
	days, rest, ok := strings.Cut(v, "d")
	if !ok {
		return time.ParseDuration(v)
	}
	n, err := strconv.ParseUint(days, 10, 16)
	if err != nil || days == "" || days[0] == '+' {
		return 0, fmt.Errorf("bad days %q", days)
	}
	d := time.Duration(n) * 24 * time.Hour
	if rest == "" {
		return d, nil
	}
	r, err := time.ParseDuration(rest)
	if err != nil || r < 0 || r > math.MaxInt64-d {
		return 0, fmt.Errorf("bad duration %q", rest)
	}
	return d + r, nil
}
