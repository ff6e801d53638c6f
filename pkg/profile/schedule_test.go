package profile

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// t0 is the runs' start in these tests: midnight UTC.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func mustParse(t testing.TB, text string, lv Levels) Profile {
	t.Helper()
	p, err := Parse(text, "--profile cpu="+text, lv)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// segs builds a segment list from offset (seconds), level pairs.
func segs(pairs ...int) []Segment {
	out := make([]Segment, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, Segment{Offset: time.Duration(pairs[i]) * time.Second, Level: pairs[i+1]})
	}
	return out
}

// TestScheduleGolden: the table of every shape, worked out by hand from the
// rules in the package doc.
func TestScheduleGolden(t *testing.T) {
	for _, tc := range []struct {
		text  string
		lv    Levels
		want  []Segment
		cycle int
	}{
		{"constant", cpu, segs(0, 100), 0},
		{"constant:level=0", cpu, segs(0, 0), 0},
		{"square:high=90,low=10,period=10m", cpu, segs(0, 90, 300, 10), 600},
		{"square:high=90,low=10,period=10m,duty=33", cpu, segs(0, 90, 198, 10), 600},
		{"square:high=90,period=10s,duty=1", cpu, segs(0, 90, 1, 0), 10},
		{"square:high=90,period=10s,duty=99", cpu, segs(0, 90, 9, 0), 10},
		{"square:high=50,low=50", cpu, segs(0, 50), 600},
		{"spike:base=10,peak=100,every=15m,length=1m", cpu, segs(0, 100, 60, 10), 900},
		{"ramp:from=10,to=13,over=1m,then=repeat", cpu, segs(0, 10, 15, 11, 30, 12, 45, 13), 60},
		{"ramp:from=90,to=10,over=10s", cpu, segs(0, 90, 1, 81, 2, 72, 3, 63, 4, 54, 5, 46, 6, 37, 7, 28, 8, 19, 9, 10), 0},
		{"ramp:from=0,to=100,over=1m", iops, segs(0, 0, 1, 10, 7, 12, 8, 14, 9, 15), 0},
		{"ramp:from=40,to=40,over=1h", cpu, segs(0, 40), 0},
		{"steps:levels=20@5m/50@5m/90@10m,repeat=true", cpu, segs(0, 20, 300, 50, 600, 90), 1200},
		{"steps:levels=20@5m/50@5m/90@10m", cpu, segs(0, 20, 300, 50, 600, 90), 0},
		{"steps:levels=20@1m/20@1m/50@1m/0@1m,repeat=true", cpu, segs(0, 20, 120, 50, 180, 0), 240},
		{"sine:min=0,max=100,period=1m", cpu, segs(0, 0, 5, 7, 10, 25, 15, 50, 20, 75, 25, 93, 30, 100, 35, 93, 40, 75, 45, 50, 50, 25, 55, 7), 60},
		{"sine:min=20,max=80,period=10s", cpu, segs(0, 20, 5, 80), 10},
		{"sine:min=10,max=10,period=1h", cpu, segs(0, 10), 3600},
	} {
		p := mustParse(t, tc.text, tc.lv)
		got := p.Schedule()
		want := Schedule{Segments: tc.want, Cycle: time.Duration(tc.cycle) * time.Second}
		if tc.text == "ramp:from=0,to=100,over=1m" {
			got.Segments = got.Segments[:5] // the climb's start, where the floor of 10 shows
			want.Cycle = 0
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.text, diff)
		}
	}
}

// TestScheduleSizes: the longest tables the rules allow, and that each is a
// valid table (offsets from 0, rising, below the cycle, levels allowed).
func TestScheduleSizes(t *testing.T) {
	for text, n := range map[string]int{
		"ramp:from=0,to=100,over=10m":                       60,
		"ramp:from=0,to=100,over=7d":                        60,
		"ramp:from=0,to=100,over=20s":                       20,
		"sine:min=0,max=100,period=7d":                      57, // as 10m, in days
		"sine:min=0,max=100,period=61s":                     13, // sampled every 5s: 0..60
		"sine:min=0,max=100,period=10m":                     57, // 60 samples, the first few round to 0
		"steps:levels=" + repeatSteps(100) + ",repeat=true": 100,
	} {
		s := mustParse(t, text, cpu).Schedule()
		if len(s.Segments) != n {
			t.Errorf("%s: %d segments, want %d", text, len(s.Segments), n)
		}
		checkTable(t, text, s, cpu)
	}
}

func repeatSteps(n int) string {
	s := ""
	for i := range n {
		if i > 0 {
			s += "/"
		}
		s += []string{"10@10s", "90@1m"}[i%2]
	}
	return s
}

func checkTable(t *testing.T, name string, s Schedule, lv Levels) {
	t.Helper()
	for i, seg := range s.Segments {
		switch {
		case i == 0 && seg.Offset != 0,
			i > 0 && seg.Offset <= s.Segments[i-1].Offset,
			i > 0 && seg.Level == s.Segments[i-1].Level,
			s.Cycle > 0 && seg.Offset >= s.Cycle,
			seg.Offset%time.Second != 0,
			!lv.allows(seg.Level):
			t.Errorf("%s: bad segment %d %+v in %+v", name, i, seg, s)
		}
	}
	if len(s.Segments) == 0 || s.Cycle%time.Second != 0 {
		t.Errorf("%s: bad table %+v", name, s)
	}
}

type instant struct {
	at    time.Duration // from t0
	level int
	next  time.Duration // from t0; -1 for never
	state State
}

// TestAtGolden: time -> level tables, with the exact boundaries, the
// phase, the start in the future and the end.
func TestAtGolden(t *testing.T) {
	s, m, h, d := time.Second, time.Minute, time.Hour, 24*time.Hour
	for _, tc := range []struct {
		text            string
		phase, duration time.Duration
		want            []instant
	}{
		{"square:high=90,low=10,period=10m", 0, h, []instant{
			{-d, 0, 0, Idle}, {-s, 0, 0, Idle}, {0, 90, 5 * m, Running}, {5*m - s, 90, 5 * m, Running},
			{5 * m, 10, 10 * m, Running}, {10*m - s, 10, 10 * m, Running}, {10 * m, 90, 15 * m, Running},
			{h - s, 10, h, Running}, {h, 0, -1, Finished}, {100 * d, 0, -1, Finished}}},
		{"square:high=90,low=10,period=10m", 2 * m, 0, []instant{
			{-s, 0, 0, Idle}, {0, 10, 2 * m, Running}, {2*m - s, 10, 2 * m, Running}, {2 * m, 90, 7 * m, Running},
			{7 * m, 10, 12 * m, Running}, {1000*d + 2*m, 90, 1000*d + 7*m, Running}, {1000*d + 7*m - s, 90, 1000*d + 7*m, Running}}},
		{"ramp:from=10,to=40,over=1m", 30 * s, 0, []instant{
			{-s, 0, 30 * s, Idle}, {0, 0, 30 * s, Idle}, {30*s - s, 0, 30 * s, Idle}, {30 * s, 10, 31 * s, Running},
			{87 * s, 39, 88 * s, Running}, {88 * s, 40, -1, Running}, {3650 * d, 40, -1, Running}}},
		{"constant:level=70", 0, 10 * s, []instant{{-h, 0, 0, Idle}, {0, 70, 10 * s, Running}, {9 * s, 70, 10 * s, Running}, {10 * s, 0, -1, Finished}}},
		{"constant:level=70,spread=jitter=1h", 20 * m, 10 * m, []instant{{0, 0, 10 * m, Idle}, {10*m - s, 0, 10 * m, Idle}, {10 * m, 0, -1, Finished}}},
		{"steps:levels=20@5m/50@5m/90@10m", 0, 0, []instant{{0, 20, 5 * m, Running}, {5 * m, 50, 10 * m, Running}, {10 * m, 90, -1, Running}, {20 * m, 90, -1, Running}}},
		{"steps:levels=20@1m/50@1m/20@1m,repeat=true", 0, 0, []instant{{0, 20, m, Running}, {2 * m, 20, 4 * m, Running}, {3*m + s, 20, 4 * m, Running}, {4 * m, 50, 5 * m, Running}}},
		{"spike:base=10,peak=100,every=15m,length=1m", 14 * m, 0, []instant{{0, 10, 14 * m, Running}, {14 * m, 100, 15 * m, Running}, {15 * m, 10, 29 * m, Running}}},
		{"square:high=50,low=50", 3 * m, 0, []instant{{0, 50, -1, Running}, {400 * d, 50, -1, Running}}},
	} {
		sch := mustParse(t, tc.text, cpu).Schedule()
		for _, in := range tc.want {
			level, next, state := sch.At(t0, tc.phase, tc.duration, t0.Add(in.at))
			wantNext := time.Time{}
			if in.next >= 0 {
				wantNext = t0.Add(in.next)
			}
			if level != in.level || !next.Equal(wantNext) || state != in.state {
				t.Errorf("%s phase %v duration %v at t0+%v: got %d until %v %s, want %d until %v %s",
					tc.text, tc.phase, tc.duration, in.at, level, next, state, in.level, wantNext, in.state)
			}
		}
	}
}

// TestNoDrift: a repeating schedule gives, any number of cycles later (up
// to about 30 years), exactly what it gave in the first cycle, second for
// second; and At ignores sub-second parts and time zones.
func TestNoDrift(t *testing.T) {
	for _, text := range []string{"square:high=90,low=10,period=7m,duty=33", "sine:min=5,max=95,period=61s",
		"spike:every=1h1s,length=7s", "ramp:from=1,to=100,over=999s,then=repeat", "steps:levels=1@10s/2@13s/3@17s,repeat=true"} {
		s := mustParse(t, text, cpu).Schedule()
		cyc := s.Cycle
		for off := time.Duration(0); off < cyc; off += time.Second {
			want, _, _ := s.At(t0, 0, 0, t0.Add(off))
			for _, k := range []time.Duration{1, 24, 1e3, 1e5, 1e6, 1e9 / cyc} {
				at := t0.Add(k*cyc + off)
				if got, _, _ := s.At(t0, 0, 0, at); got != want {
					t.Fatalf("%s: at t0+%v the level is %d; %d cycles later it is %d", text, off, want, k, got)
				}
			}
		}
		frac, _, _ := s.At(t0, 0, 0, t0.Add(cyc+999*time.Millisecond))
		zoned, _, _ := s.At(t0.In(time.FixedZone("X", 5*3600)), 0, 0, t0.Add(cyc).In(time.FixedZone("Y", -7*3600)))
		if first, _, _ := s.At(t0, 0, 0, t0); frac != first || zoned != first {
			t.Errorf("%s: sub-second or zoned instants move the level: %d, %d, want %d", text, frac, zoned, first)
		}
	}
}

// TestEmptySchedule: the zero Schedule is idle-then-level-0, never a panic.
func TestEmptySchedule(t *testing.T) {
	if l, next, st := (Schedule{}).At(t0, 0, 0, t0); l != 0 || !next.IsZero() || st != Running {
		t.Errorf("zero Schedule at start: %d %v %s", l, next, st)
	}
}
