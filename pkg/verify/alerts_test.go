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
	got := checkAlert(a, vm, sts, good, slack, time.Second, nil)
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
		got := checkAlert(a, vm, sts, firingWhen(start, end, c.firing), slack, time.Second, nil)
		if got[0].Outcome != c.want[0] || got[1].Outcome != c.want[1] || !strings.Contains(got[0].Why+got[1].Why, c.why) {
			t.Errorf("%s: %s (%s), %s (%s)", c.name, got[0].Outcome, got[0].Why, got[1].Outcome, got[1].Why)
		}
	}
	// A high stretch shorter than for: plus the slack cannot be judged.
	short := []Stretch{{From: start, To: start.Add(45 * time.Second), Level: 80}}
	if got := checkAlert(a, vm, short, nil, slack, time.Second, nil); got[0].Outcome != TooShort || got[0].Want != "maybe" {
		t.Errorf("a short stretch: %+v", got[0])
	}
	// One just for: plus the slack long, with no event, is judged.
	just := []Stretch{{From: start, To: start.Add(50 * time.Second), Level: 80}}
	if got := checkAlert(a, vm, just, nil, slack, time.Second, nil); got[0].Outcome != Failed || got[0].Why != "never fired" {
		t.Errorf("a stretch just for: plus slack long, never fired: %+v", got[0])
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

// TestCheckAlertEvents times an alert (above level 50, for: 30s, its group
// evaluated every 10 s, 20 s slack) on a VM at level 80 for two hours,
// then 10, around day-2 events: a state the event explains (during it, or
// within for: plus the interval plus slack after its end) passes and is
// noted with the event; one outside those stretches still fails.
func TestCheckAlertEvents(t *testing.T) {
	vm := render.VMRef{Name: "vm"}
	a := Alert{Alert: "CPUHigh", Workload: "cpu", FiresAbove: 50, For: 30 * time.Second, Interval: 10 * time.Second}
	slack, end := 20*time.Second, at(7800)
	sts := []Stretch{{From: start, To: at(7200), Level: 80}, {From: at(7200), To: end, Level: 10}}
	restart := Disruption{VM: "vm", Kind: KindRestart, Start: at(180), End: at(210), Outcome: EventSucceeded}
	migrate := Disruption{VM: "vm", Kind: KindMigrate, Start: at(10), End: at(25), SourceNode: "a", TargetNode: "b", Outcome: EventSucceeded}
	stop := Disruption{VM: "vm", Kind: KindStopStart, Start: at(7300), End: at(7320), Outcome: EventSucceeded}
	// firing: on in each [from, to) of the pairs, in seconds after start.
	firing := func(on ...int) func(time.Time) bool {
		return func(t time.Time) bool {
			for i := 0; i < len(on); i += 2 {
				if !t.Before(at(on[i])) && t.Before(at(on[i+1])) {
					return true
				}
			}
			return false
		}
	}
	cases := []struct {
		name   string
		ev     Disruption
		firing func(time.Time) bool
		want   [2]Outcome
		why    string
		// named is the stretch whose check names the event, -1 for none.
		named int
	}{
		{"resolves during a restart and fires again within its allowance", restart, firing(40, 185, 260, 7205),
			[2]Outcome{Passed, Passed}, "not firing 10:08:05Z–10:09:19Z: explained by the restart of vm (10:08:00Z–10:08:30Z)", 0},
		{"resolves an hour after the restart", restart, firing(40, 185, 260, 3810),
			[2]Outcome{Failed, Passed}, "not firing at 11:08:30Z, though the level stayed at 80, above 50; not firing 10:08:05Z–10:09:19Z: explained by the restart", 0},
		{"does not fire again after the restart's allowance", restart, firing(40, 185, 300, 7205),
			[2]Outcome{Failed, Passed}, "not firing at 10:09:31Z", 0},
		{"fires late after a migration's gap", migrate, firing(75, 7205),
			[2]Outcome{Passed, Passed}, "not firing 10:05:50Z–10:06:14Z: explained by the migrate of vm (10:05:10Z–10:05:25Z)", 0},
		{"fires later than the migration explains", migrate, firing(120, 7205),
			[2]Outcome{Failed, Passed}, "fired 2m0s after the level rose, later than for: 30s plus 20s", 0},
		{"fires during a stop/start in the low stretch", stop, firing(40, 7205, 7310, 7330),
			[2]Outcome{Passed, Passed}, "firing 12:06:50Z–12:07:09Z: explained by the stop-start of vm (12:06:40Z–12:07:00Z)", 1},
		{"fires in the low stretch after the stop/start's allowance", stop, firing(40, 7205, 7390, 7400),
			[2]Outcome{Passed, Failed}, "firing at 12:08:19Z, at level 10, not above 50: a false positive or a late resolve", -1},
	}
	for _, c := range cases {
		got := checkAlert(a, vm, sts, firingWhen(start, end, c.firing), slack, time.Second, alertSpans(a, []Disruption{c.ev}, slack, end))
		why := got[0].Why + "; " + got[1].Why
		if got[0].Outcome != c.want[0] || got[1].Outcome != c.want[1] || !strings.Contains(why, c.why) {
			t.Errorf("%s: %s, %s (%s), want %v and %q", c.name, got[0].Outcome, got[1].Outcome, why, c.want, c.why)
		}
		for i, g := range got {
			if want := i == c.named; want != (len(g.Explained) == 1 && g.Explained[0] == c.ev) || (!want && len(g.Explained) > 0) {
				t.Errorf("%s: stretch %d explained by %+v, want the %s: %v", c.name, i, g.Explained, c.ev.Kind, want)
			}
		}
	}
	// A restart that covers the whole stretch after for: plus slack: the
	// alert never fired, and the stretch cannot be judged.
	short := []Stretch{{From: start, To: at(120), Level: 80}}
	ev := Disruption{VM: "vm", Kind: KindRestart, Start: at(10), End: at(60), Outcome: EventSucceeded}
	got := checkAlert(a, vm, short, nil, slack, time.Second, alertSpans(a, []Disruption{ev}, slack, at(120)))
	if got[0].Outcome != TooShort || got[0].Want != "maybe" || !strings.Contains(got[0].Why, "explained by the restart of vm") {
		t.Errorf("a stretch the restart covers: %+v", got[0])
	}
}

// TestInEvent: an event's stretch holds its start, its end plus the
// allowance after it, and what lies between; one that never ended runs to
// the window's end.
func TestInEvent(t *testing.T) {
	done := Disruption{VM: "a", Kind: KindRestart, Start: at(100), End: at(130)}
	open := Disruption{VM: "b", Kind: KindStopStart, Start: at(500)}
	sps := eventSpans([]Disruption{done, open}, 15*time.Second, at(600))
	for _, c := range []struct {
		t    int
		want string
	}{{99, ""}, {100, "a"}, {145, "a"}, {146, ""}, {500, "b"}, {600, "b"}, {601, ""}} {
		ev, in := inEvent(sps, at(c.t))
		if ev.VM != c.want || in != (c.want != "") {
			t.Errorf("at %ds: %q, %v; want %q", c.t, ev.VM, in, c.want)
		}
	}
}

// TestEventsOf: an alert on a server is explained by its clients' events
// too (their levels make its own), not by another VM's.
func TestEventsOf(t *testing.T) {
	server, client := render.VMRef{Name: "server", Namespace: "ns"}, render.VMRef{Name: "client", Namespace: "ns"}
	o := Options{From: start, To: at(600), Disruptions: []Disruption{
		{VM: "other", Kind: KindRestart, Start: at(10)}, {VM: "client", Kind: KindRestart, Start: at(200)}, {VM: "server", Kind: KindMigrate, Start: at(100)}}}
	got := eventsOf(o, []render.VMRef{server, client})
	if len(got) != 2 || got[0].VM != "server" || got[1].VM != "client" {
		t.Errorf("events of a server and its client: %+v", got)
	}
}
