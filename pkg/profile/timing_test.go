package profile

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestPhase: the same run id and name give the same phase, different names
// spread over the whole range, and the bounds hold.
func TestPhase(t *testing.T) {
	const run = "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93"
	random, jitter := Spread{Kind: SpreadRandom}, Spread{Kind: SpreadJitter, Jitter: 90 * time.Second}
	// Pinned: a change to the hash would move every VM of a re-rendered run.
	if got, want := Phase(run, "virtwork-cpu-0", random, 10*time.Minute), 130*time.Second; got != want {
		t.Errorf("Phase(run, virtwork-cpu-0, random, 10m) = %v, want %v", got, want)
	}
	seen := map[time.Duration]bool{}
	for i := range 2000 {
		name := fmt.Sprintf("virtwork-cpu-%d", i)
		p := Phase(run, name, random, 10*time.Minute)
		if p != Phase(run, name, random, 10*time.Minute) {
			t.Fatalf("%s: two phases for the same inputs", name)
		}
		if p < 0 || p >= 10*time.Minute || p%time.Second != 0 {
			t.Fatalf("%s: phase %v outside [0, 10m) or not whole seconds", name, p)
		}
		if j := Phase(run, name, jitter, time.Hour); j < 0 || j >= 90*time.Second {
			t.Fatalf("%s: jitter phase %v outside [0, 90s)", name, j)
		}
		seen[p] = true
	}
	if len(seen) < 500 {
		t.Errorf("2000 VMs got only %d of 600 phases", len(seen))
	}
	if Phase(run, "a", random, time.Hour) == Phase("other-run", "a", random, time.Hour) &&
		Phase(run, "b", random, time.Hour) == Phase("other-run", "b", random, time.Hour) {
		t.Errorf("the run id does not change the phases")
	}
	for _, tc := range []struct {
		s     Spread
		cycle time.Duration
	}{{Spread{}, time.Hour}, {random, 0}, {Spread{Kind: SpreadJitter}, time.Hour}} {
		if p := Phase(run, "a", tc.s, tc.cycle); p != 0 {
			t.Errorf("Phase with %+v, cycle %v = %v, want 0", tc.s, tc.cycle, p)
		}
	}
}

func TestParseStartAt(t *testing.T) {
	now := time.Date(2026, 3, 29, 0, 59, 30, 400e6, time.UTC) // a DST change in Europe, irrelevant in UTC
	for _, tc := range []struct{ in, want string }{
		{"+10m", "2026-03-29T01:09:30Z"},
		{"+0s", "2026-03-29T00:59:30Z"},
		{"+1d", "2026-03-30T00:59:30Z"},
		{"2026-03-29T03:00:00+02:00", "2026-03-29T01:00:00Z"},
		{"2026-03-29T00:58:31Z", "2026-03-29T00:58:31Z"}, // within the grace
		{" 2026-04-01T00:00:00Z ", "2026-04-01T00:00:00Z"},
	} {
		got, err := ParseStartAt(tc.in, "--start-at", now)
		if err != nil {
			t.Errorf("ParseStartAt(%q): %v", tc.in, err)
			continue
		}
		if got.Location() != time.UTC || got.Format(time.RFC3339Nano) != tc.want {
			t.Errorf("ParseStartAt(%q) = %s, want %s in UTC", tc.in, got.Format(time.RFC3339Nano), tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", `--start-at must be an RFC 3339 time such as 2026-01-02T15:04:05Z, or +DURATION from now such as +10m, got ""`},
		{"tomorrow", `--start-at must be an RFC 3339 time such as 2026-01-02T15:04:05Z, or +DURATION from now such as +10m, got "tomorrow"`},
		{"2026-03-29 01:00:00", `--start-at must be an RFC 3339 time such as 2026-01-02T15:04:05Z, or +DURATION from now such as +10m, got "2026-03-29 01:00:00"`},
		{"2026-03-29T01:00:00.5Z", `--start-at must be whole seconds, got "2026-03-29T01:00:00.5Z"`},
		{"2026-03-29T00:58:00Z", `--start-at is 1m30s in the past (2026-03-29T00:58:00Z, now 2026-03-29T00:59:30Z); give a later time or +DURATION such as +10m`},
		{"2025-03-29T00:58:00Z", `--start-at is 365d1m30s in the past (2025-03-29T00:58:00Z, now 2026-03-29T00:59:30Z); give a later time or +DURATION such as +10m`},
		{"+-5m", `--start-at must be between 0s and 30d, got "-5m"`},
		{"+31d", `--start-at must be between 0s and 30d, got "31d"`},
		{"+1.5s", `--start-at must be whole seconds, got "1.5s"`},
		{"+soon", `--start-at must be a duration between 0s and 30d such as 10m, 1h30m or 2d, got "soon"`},
		{"2026-05-01T00:00:00Z", `--start-at is more than 30d ahead (2026-05-01T00:00:00Z, now 2026-03-29T00:59:30Z)`},
	} {
		_, err := ParseStartAt(tc.in, "--start-at", now)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseStartAt(%q):\n got: %v\nwant: %s", tc.in, err, tc.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"10s": 10 * time.Second, "90m": 90 * time.Minute, "1d12h": 36 * time.Hour, "30d": 30 * 24 * time.Hour} {
		if got, err := ParseDuration(in, "--duration"); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"9s":     `--duration must be between 10s and 30d, got "9s"`,
		"0":      `--duration must be between 10s and 30d, got "0"`,
		"31d":    `--duration must be between 10s and 30d, got "31d"`,
		"1h0.5s": `--duration must be whole seconds, got "1h0.5s"`,
		"1 h":    `--duration must be a duration between 10s and 30d such as 10m, 1h30m or 2d, got "1 h"`,
		"":       `--duration must be a duration between 10s and 30d such as 10m, 1h30m or 2d, got ""`,
	} {
		if _, err := ParseDuration(in, "--duration"); err == nil || err.Error() != want {
			t.Errorf("ParseDuration(%q):\n got: %v\nwant: %s", in, err, want)
		}
	}
}

func TestCheckDuration(t *testing.T) {
	square := mustParse(t, "square:period=10m", cpu).Schedule()
	err := CheckDuration(5*time.Minute, "--duration", square, "--profile cpu=square:period=10m")
	want := "--duration (5m) is shorter than one cycle (10m) of --profile cpu=square:period=10m; make the duration at least 10m or shorten the cycle"
	if err == nil || err.Error() != want {
		t.Errorf("CheckDuration:\n got: %v\nwant: %s", err, want)
	}
	for _, tc := range []struct {
		d    time.Duration
		text string
	}{{10 * time.Minute, "square:period=10m"}, {0, "square:period=10m"}, {time.Minute, "ramp:over=1h"}, {time.Minute, "constant"}} {
		if err := CheckDuration(tc.d, "--duration", mustParse(t, tc.text, cpu).Schedule(), tc.text); err != nil {
			t.Errorf("CheckDuration(%v, %s): %v", tc.d, tc.text, err)
		}
	}
	long := mustParse(t, "steps:levels=1@1h/2@10s,repeat=true", cpu).Schedule()
	if err := CheckDuration(time.Hour, "d", long, "p"); err == nil || !strings.Contains(err.Error(), "shorter than one cycle (1h10s)") {
		t.Errorf("a duration 10s short of a cycle: %v", err)
	}
}
