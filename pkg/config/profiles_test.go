package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/virtwork/kubectl-virtwork/pkg/profile"
)

// TestProfiles: which profile and timing each workload gets, from which
// source, and that a timing alone gives a constant profile at the level
// the params set.
func TestProfiles(t *testing.T) {
	type got struct {
		Profile string // "" for none
		Start   time.Time
		Dur     time.Duration
	}
	file := "workloads:\n  cpu:\n    profile: {shape: square, high: 90, low: 10, period: 10m}\n    start_at: +1h\n    duration: 2h\n"
	tests := []struct {
		name string
		in   in
		want map[string]got
	}{
		{"none: runs as before", in{args: []string{"--workloads", "cpu,memory"}},
			map[string]got{"cpu": {}, "memory": {}}},
		{"flag; --start-at resolved against the sources' now",
			in{args: []string{"--workloads", "cpu,tps", "--profile", "cpu=square:high=80,low=10,period=2m", "--start-at", "+5m", "--duration", "8m"}},
			map[string]got{"cpu": {"square:high=80,low=10,period=2m,duty=50", testNow.Add(5 * time.Minute), 8 * time.Minute}, "tps": {}}},
		{"file mapping and per-workload timing", in{args: []string{"--workloads", "cpu", "--config", "c.yaml"}, files: map[string]string{"c.yaml": file}},
			map[string]got{"cpu": {"square:high=90,low=10,period=10m,duty=50", testNow.Add(time.Hour), 2 * time.Hour}}},
		{"flag beats variable beats file", in{args: []string{"--workloads", "cpu", "--config", "c.yaml", "--profile", "cpu=ramp:to=50"},
			env: map[string]string{"VIRTWORK_PROFILE": "cpu=sine;", "VIRTWORK_START_AT": "2026-01-02T16:30:00+01:00"}, files: map[string]string{"c.yaml": file}},
			map[string]got{"cpu": {"ramp:from=0,to=50,over=10m,then=hold", time.Date(2026, 1, 2, 15, 30, 0, 0, time.UTC), 2 * time.Hour}}},
		{"a timing alone: constant at the params' level",
			in{args: []string{"--workloads", "cpu", "--duration", "1d", "--params", "cpu.load-percent=40"}},
			map[string]got{"cpu": {"constant:level=40", time.Time{}, 24 * time.Hour}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.in)
			out := map[string]got{}
			for _, w := range c.Workloads {
				g := got{Start: w.Timing.Start, Dur: w.Timing.Duration}
				if w.Profile != nil {
					g.Profile = w.Profile.String()
				}
				out[w.Name] = g
			}
			if diff := cmp.Diff(tt.want, out); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestProfileLevels: the level range a profile is checked against is the
// level param's, with its value from --params as the workload's level.
func TestProfileLevels(t *testing.T) {
	c := mustLoad(t, in{args: []string{"--workloads", "cpu", "--profile", "cpu=square", "--params", "cpu.load-percent=70"}})
	want := profile.Levels{Min: 1, Max: 100, Default: 70}
	if got := c.Workloads[0].Profile.Levels; got != want {
		t.Errorf("levels %+v, want %+v", got, want)
	}
	if got := c.Workloads[0].Profile.High; got != 70 {
		t.Errorf("square's high %d, want the level 70", got)
	}
}
