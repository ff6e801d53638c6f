package profile

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// fileHeader is the schedule file's first line; the number is the format's
// version, which the guest's reader checks.
const fileHeader = "virtwork-schedule 1"

// File writes the schedule file a guest reads with virtwork-level (the
// format is in the package doc). start is the run's start (the zero Time:
// "start boot", the guest's first reading); phase is the rule each VM
// reading the file finds its phase by, so one file serves every VM of a
// workload even with a spread; duration 0 is "duration never". Only
// digits, lowercase letters, dashes, spaces and newlines reach it: a value
// below 0 (a start before 1970, a negative level, which Parse never gives)
// is written as 0, and a rule the guest could not read (a run id of other
// characters or longer than 64, a phase or bound above 2^32 seconds) is an
// error.
func (s Schedule) File(start time.Time, phase PhaseRule, duration time.Duration) ([]byte, error) {
	line, err := phaseLine(phase)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	num := func(n int64) string { return strconv.FormatInt(max(n, 0), 10) }
	b.WriteString(fileHeader + "\n")
	if start.IsZero() {
		b.WriteString("start boot\n")
	} else {
		b.WriteString("start " + num(start.Unix()) + "\n")
	}
	if d := seconds(duration); d > 0 {
		b.WriteString("duration " + num(d) + "\n")
	} else {
		b.WriteString("duration never\n")
	}
	b.WriteString(line)
	b.WriteString("cycle " + num(seconds(s.Cycle)) + "\n")
	for _, seg := range s.Segments {
		b.WriteString(num(seconds(seg.Offset)) + " " + num(int64(seg.Level)) + "\n")
	}
	return b.Bytes(), nil
}

// phaseLine is the file's phase line: "phase N", or "phase hash RUNID
// BOUND" for a rule that depends on the VM's name.
func phaseLine(r PhaseRule) (string, error) {
	if !r.hashed() {
		if n := seconds(r.Fixed); n > maxFileSeconds {
			return "", fmt.Errorf("schedule file: phase %ds is above the limit of %ds", n, int64(maxFileSeconds))
		}
		return "phase " + strconv.FormatInt(max(seconds(r.Fixed), 0), 10) + "\n", nil
	}
	if !fileRunID.MatchString(r.RunID) {
		return "", fmt.Errorf("schedule file: run id %q must be 1-64 lowercase letters, digits and '-', starting with a letter or digit", r.RunID)
	}
	if n := seconds(r.Bound); n > maxFileSeconds {
		return "", fmt.Errorf("schedule file: phase bound %ds is above the limit of %ds", n, int64(maxFileSeconds))
	}
	return "phase hash " + r.RunID + " " + strconv.FormatInt(seconds(r.Bound), 10) + "\n", nil
}

// FileContent is what a schedule file holds: a schedule placed in time for
// one VM, the arguments of At but the instant.
type FileContent struct {
	Schedule Schedule
	// Start is the zero Time for "start boot".
	Start time.Time
	Phase PhaseRule
	// Duration is 0 for "duration never".
	Duration time.Duration
}

// fileNumber is what both readers take as a number: no sign, no leading
// zero (bash would read 010 as octal), at most 10 digits (a unix time until
// 2286; bash's sums of them cannot overflow).
var fileNumber = regexp.MustCompile(`^(0|[1-9][0-9]{0,9})$`)

// fileRunID is a run id as both readers take it: a UUID as virtwork makes
// them, or any other word of lowercase letters, digits and dashes.
var fileRunID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// maxFileSeconds bounds the durations in a file (duration, phase, cycle,
// offsets), so each fits a time.Duration; Parse's longest is far below.
const maxFileSeconds = 1 << 32

// ParseFile reads a schedule file with the rules of the guest's reader,
// for tests and for tools that check what a guest was given.
func ParseFile(data []byte) (FileContent, error) {
	text, ok := strings.CutSuffix(string(data), "\n")
	lines := strings.Split(text, "\n")
	if !ok || len(lines) < 6 || lines[0] != fileHeader {
		return FileContent{}, fmt.Errorf("schedule file: must start with %q and end with a newline", fileHeader)
	}
	var f FileContent
	var vals [4]int64
	for i, word := range []string{"start", "duration", "phase", "cycle"} {
		v, found := strings.CutPrefix(lines[i+1], word+" ")
		switch {
		case !found:
			return FileContent{}, fmt.Errorf("schedule file: line %d must be %q, got %q", i+2, word+" N", lines[i+1])
		case i == 0 && v == "boot", i == 1 && v == "never":
			vals[i] = -1
		case i == 2 && strings.HasPrefix(v, "hash "):
			rule, err := parsePhaseHash(v)
			if err != nil {
				return FileContent{}, fmt.Errorf("schedule file: line 4: %w", err)
			}
			f.Phase, vals[i] = rule, -1
		case !fileNumber.MatchString(v):
			return FileContent{}, fmt.Errorf("schedule file: line %d: %s must be a number, got %q", i+2, word, v)
		default:
			vals[i], _ = strconv.ParseInt(v, 10, 64)
			if i > 0 && vals[i] > maxFileSeconds {
				return FileContent{}, fmt.Errorf("schedule file: line %d: %s %d is too large", i+2, word, vals[i])
			}
		}
	}
	if vals[0] >= 0 {
		f.Start = time.Unix(vals[0], 0).UTC()
	}
	if vals[2] >= 0 {
		f.Phase = FixedPhase(sec(vals[2]))
	}
	f.Duration, f.Schedule.Cycle = sec(max(vals[1], 0)), sec(vals[3])
	for n, line := range lines[5:] {
		seg, err := parseSegment(line, f.Schedule)
		if err != nil {
			return FileContent{}, fmt.Errorf("schedule file: line %d: %w", n+6, err)
		}
		f.Schedule.Segments = append(f.Schedule.Segments, seg)
	}
	return f, nil
}

// parsePhaseHash reads "hash RUNID BOUND", BOUND from 1 to 2^32.
func parsePhaseHash(v string) (PhaseRule, error) {
	words := strings.Split(v, " ")
	if len(words) != 3 || !fileRunID.MatchString(words[1]) || !fileNumber.MatchString(words[2]) {
		return PhaseRule{}, fmt.Errorf("phase must be \"hash RUNID BOUND\" (a run id, a number of seconds), got %q", v)
	}
	bound, _ := strconv.ParseInt(words[2], 10, 64)
	if bound < 1 || bound > maxFileSeconds {
		return PhaseRule{}, fmt.Errorf("phase bound %d must be between 1 and %d", bound, int64(maxFileSeconds))
	}
	return PhaseRule{RunID: words[1], Bound: sec(bound)}, nil
}

func parseSegment(line string, s Schedule) (Segment, error) {
	o, l, ok := strings.Cut(line, " ")
	if !ok || !fileNumber.MatchString(o) || !fileNumber.MatchString(l) {
		return Segment{}, fmt.Errorf("must be OFFSET LEVEL, got %q", line)
	}
	off, _ := strconv.ParseInt(o, 10, 64)
	lvl, _ := strconv.ParseInt(l, 10, 64)
	switch n := len(s.Segments); {
	case off > maxFileSeconds || lvl > 1<<31-1:
		return Segment{}, fmt.Errorf("offset %d or level %d is too large", off, lvl)
	case n == 0 && off != 0:
		return Segment{}, fmt.Errorf("the first offset must be 0, got %d", off)
	case n > 0 && sec(off) <= s.Segments[n-1].Offset:
		return Segment{}, fmt.Errorf("offsets must rise, got %d after %d", off, seconds(s.Segments[n-1].Offset))
	case s.Cycle > 0 && sec(off) >= s.Cycle:
		return Segment{}, fmt.Errorf("offset %d must be below the cycle %d", off, seconds(s.Cycle))
	}
	return Segment{Offset: sec(off), Level: int(lvl)}, nil
}
