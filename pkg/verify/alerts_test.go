package verify

import (
	"strings"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/render"
)

// firingWhen samples an alert's firing series once a second.
func firingWhen(from, to time.Time, on func(time.Time) bool) []sample {
	var out []sample
	for t := from; t.Before(to); t = t.Add(time.Second) {
		if on(t) {
			out = append(out, sample{t, 1})
		}
	}
	return out
}

// TestCheckAlert times an alert meant to fire above level 50 with for: 30s
// against a square wave of 80 and 10 with 2-minute stretches.
func TestCheckAlert(t *testing.T) {
	vm := render.VMRef{Name: "vm"}
	sts := []Stretch{
		{From: start, To: start.Add(2 * time.Minute), Level: 80},
		{From: start.Add(2 * time.Minute), To: start.Add(4 * time.Minute), Level: 10},
	}
	a := Alert{Alert: "CPUHigh", Workload: "cpu", FiresAbove: 50, For: 30 * time.Second}
	slack := 20 * time.Second
	end := start.Add(4 * time.Minute)
	// Fires 40 s into the high stretch and resolves 5 s into the low one.
	good := firingWhen(start, end, func(t time.Time) bool {
		return !t.Before(start.Add(40*time.Second)) && t.Before(start.Add(125*time.Second))
	})
	got := checkAlert(a, vm, sts, good, slack)
	if got[0].Workload != "cpu" || got[0].Outcome != Passed || *got[0].FiredAfter != 40*time.Second || got[1].Outcome != Passed || *got[1].ResolvedAfter != 4*time.Second {
		t.Errorf("a good alert: %+v %+v", got[0], got[1])
	}
	cases := []struct {
		name   string
		firing func(time.Time) bool
		want   [2]Outcome
		why    string
	}{
		{"never fires", func(time.Time) bool { return false }, [2]Outcome{Failed, Passed}, "never fired"},
		{"fires late", func(t time.Time) bool {
			return !t.Before(start.Add(70*time.Second)) && t.Before(start.Add(2*time.Minute))
		}, [2]Outcome{Failed, Passed}, "fired 1m10s after the level rose"},
		{"false positive", func(t time.Time) bool { return !t.Before(start.Add(40 * time.Second)) }, [2]Outcome{Passed, Failed}, "a false positive or a late resolve"},
	}
	for _, c := range cases {
		got := checkAlert(a, vm, sts, firingWhen(start, end, c.firing), slack)
		if got[0].Outcome != c.want[0] || got[1].Outcome != c.want[1] || !strings.Contains(got[0].Why+got[1].Why, c.why) {
			t.Errorf("%s: %s (%s), %s (%s)", c.name, got[0].Outcome, got[0].Why, got[1].Outcome, got[1].Why)
		}
	}
	// A high stretch shorter than for: plus the slack cannot be judged.
	short := []Stretch{{From: start, To: start.Add(45 * time.Second), Level: 80}}
	if got := checkAlert(a, vm, short, nil, slack); got[0].Outcome != TooShort || got[0].Want != "maybe" {
		t.Errorf("a short stretch: %+v", got[0])
	}
}

func TestParseAlertsFile(t *testing.T) {
	got, err := ParseAlertsFile("a.yaml", []byte("- {alert: CPUHigh, workload: cpu, fires_above: 70}\n- {alert: Full, workload: chaos-disk, fires_above: 0, by: [name]}\n"))
	if err != nil || len(got) != 2 || got[0].Alert != "CPUHigh" || got[0].Workload != "cpu" || got[0].FiresAbove != 70 ||
		strings.Join(got[0].By, ",") != "namespace,name" || strings.Join(got[1].By, ",") != "name" || got[1].Where != "a.yaml:2: [1]" {
		t.Fatalf("%+v, %v", got, err)
	}
	for text, want := range map[string]string{
		"- {alert: A, workload: cpu, fires_abve: 1}\n": "a.yaml:1: [0].fires_abve: unknown key",
		"- {alert: A}\n": `a.yaml:1: [0]: missing required key "workload"`,
		"- {alert: A, workload: cpu, fires_above: -1}\n":                                             "[0].fires_above: must be a level of at least 0",
		"- {alert: A, workload: cpu, fires_above: 1}\n- {alert: A, workload: cpu, fires_above: 2}\n": "a.yaml:2: [1]: alert A is expected of workload cpu twice",
		"alert: A\n": "a.yaml: must be a list of {alert: NAME, workload: WORKLOAD, fires_above: LEVEL}",
	} {
		if _, err := ParseAlertsFile("a.yaml", []byte(text)); err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v, want one line with %q", text, err, want)
		}
	}
}

func TestBinary(t *testing.T) {
	for v, want := range map[float64]string{952945869: "909Mi", 1624034509: "1.51Gi", 93952410: "89.6Mi", -335544320: "-320Mi", 512: "512 bytes", 2 << 40: "2Ti"} {
		if got := binary(v); got != want {
			t.Errorf("binary(%v) = %s, want %s", v, got, want)
		}
	}
}
