package profile

import (
	"fmt"
	"strings"
	"time"
)

// The ranges of --start-at and --duration.
const (
	// StartGrace is how far in the past --start-at may be: a time given
	// as "now" and rendered a few seconds later is still accepted.
	StartGrace = time.Minute
	// MaxStartAhead is how far in the future --start-at may be.
	MaxStartAhead = 30 * 24 * time.Hour
	// MinDuration and MaxDuration bound --duration.
	MinDuration = 10 * time.Second
	MaxDuration = 30 * 24 * time.Hour
)

// Timing is when a run's profiles play: every VM starts its profile at
// Start and ends it, level 0 for good, at Start+Duration.
type Timing struct {
	// Start is an absolute UTC instant in whole seconds; the zero Time
	// means each VM starts when its guest first reads its schedule (boot).
	Start time.Time
	// Duration is whole seconds; 0 means the profile never ends.
	Duration time.Duration
}

// ParseStartAt reads --start-at: an RFC 3339 time (2026-01-02T15:04:05Z,
// any offset, whole seconds) or +DURATION from now (+10m, +1d). The result
// is absolute UTC, so a render written now starts at the same instant
// whenever it is applied. A time more than StartGrace in the past, or more
// than MaxStartAhead ahead, is an error naming src.
func ParseStartAt(v, src string, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	now = now.UTC().Truncate(time.Second)
	var t time.Time
	if rel, ok := strings.CutPrefix(v, "+"); ok {
		d, err := durationIn(rel, src, 0, MaxStartAhead)
		if err != nil {
			return time.Time{}, err
		}
		t = now.Add(d)
	} else {
		var err error
		t, err = time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s must be an RFC 3339 time such as 2026-01-02T15:04:05Z, or +DURATION from now such as +10m, got %q", src, v)
		}
		if t.Nanosecond() != 0 {
			return time.Time{}, fmt.Errorf("%s must be whole seconds, got %q", src, v)
		}
		t = t.UTC()
	}
	if t.Before(now.Add(-StartGrace)) {
		return time.Time{}, fmt.Errorf("%s is %s in the past (%s, now %s); give a later time or +DURATION such as +10m",
			src, FormatDuration(now.Sub(t).Truncate(time.Second)), t.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	if t.After(now.Add(MaxStartAhead)) {
		return time.Time{}, fmt.Errorf("%s is more than %s ahead (%s, now %s)", src, FormatDuration(MaxStartAhead), t.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	return t, nil
}

// ParseDuration reads --duration: MinDuration to MaxDuration, whole
// seconds, in Go's spelling with days in front (90m, 1d12h).
func ParseDuration(v, src string) (time.Duration, error) {
	return durationIn(strings.TrimSpace(v), src, MinDuration, MaxDuration)
}

// ParseDurationIn reads a duration flag of another range in the same
// spelling and with the same messages as --duration (plan's --window).
func ParseDurationIn(v, src string, lo, hi time.Duration) (time.Duration, error) {
	return durationIn(strings.TrimSpace(v), src, lo, hi)
}

// CheckDuration refuses a run that ends before one cycle of its repeating
// schedule is over, naming both sources: the duration's (dsrc) and the
// profile's (psrc). A duration of 0 (no end) always passes.
func CheckDuration(d time.Duration, dsrc string, s Schedule, psrc string) error {
	if d == 0 || s.Cycle == 0 || d >= s.Cycle {
		return nil
	}
	return fmt.Errorf("%s (%s) is shorter than one cycle (%s) of %s; make the duration at least %s or shorten the cycle",
		dsrc, FormatDuration(d), FormatDuration(s.Cycle), psrc, FormatDuration(s.Cycle))
}
