package verify

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/yamlfile"
)

// Alert is one alert rule a user expects a workload's load to drive: it
// should fire for a VM once the VM's level (with its peers', for a
// server) has stayed above FiresAbove for the rule's for:, and not
// otherwise.
type Alert struct {
	Alert      string  `json:"alert"`
	Workload   string  `json:"workload"`
	FiresAbove float64 `json:"fires_above"`
	// By lists the labels the alert keeps for one VM (monitoring's tests).
	By []string `json:"by,omitempty"`
	// Where is the entry's place in the alerts file, for messages.
	Where string `json:"-"`
	// For is the rule's for:, read from the Prometheus's rules.
	For time.Duration `json:"-"`
	// Interval is how often the rule's group is evaluated, read with it.
	Interval time.Duration `json:"-"`
}

// Labels and annotations that let an alert rule say what it is for, so
// --alert NAME needs no alerts file (monitoring's example rules carry them).
const (
	WorkloadLabel        = "virtwork_workload"
	FiresAboveAnnotation = "virtwork_fires_above"
)

// ParseAlertsFile reads an alerts file, shared by verify (which times the
// alerts on a running run) and monitoring (which writes promtool tests of
// them): a list of {alert: NAME, workload: cpu, fires_above: 70, by:
// [namespace, name]}; by, the labels the alert's expression keeps for one
// VM, only matters to monitoring.
func ParseAlertsFile(path string, data []byte) ([]Alert, error) {
	top, err := yamlfile.Parse(path, data)
	if err != nil {
		return nil, err
	}
	if !top.IsList() || top.Len() == 0 {
		return nil, fmt.Errorf("%s: must be a list of {alert: NAME, workload: WORKLOAD, fires_above: LEVEL}", path)
	}
	var out []Alert
	err = top.List(func(_ int, n yamlfile.Node) error {
		a := Alert{Where: n.Where(), By: []string{"namespace", "name"}}
		err := n.Mapping(alertKeys, func(k string, v yamlfile.Node) error {
			var err error
			switch k {
			case "alert":
				a.Alert, err = v.String()
			case "workload":
				a.Workload, err = v.String()
			case "fires_above":
				a.FiresAbove, err = strconv.ParseFloat(v.Value(), 64)
				if err != nil || a.FiresAbove < 0 {
					err = v.Errorf("must be a level of at least 0, in the workload's level unit (70 for cpu's 70%%), got %q", v.Value())
				}
			case "by":
				a.By, err = v.Strings()
			}
			return err
		})
		if err == nil {
			err = n.Require("alert", "workload", "fires_above")
		}
		if err == nil && slices.ContainsFunc(out, func(o Alert) bool { return o.Alert == a.Alert && o.Workload == a.Workload }) {
			err = n.Errorf("alert %s is expected of workload %s twice", a.Alert, a.Workload)
		}
		out = append(out, a)
		return err
	})
	return out, err
}

var alertKeys = []string{"alert", "workload", "fires_above", "by"}

// Errorf is an error about the alert, at its place in the alerts file.
func (a Alert) Errorf(format string, args ...any) error {
	return fmt.Errorf("%s: %s", a.Where, fmt.Sprintf(format, args...))
}

// alertRules completes each alert from the Prometheus's rules: its for:,
// and for an alert known only by name, its workload and threshold from the
// rule's virtwork_workload label and virtwork_fires_above annotation.
func alertRules(ctx context.Context, api promv1.API, alerts []Alert) ([]Alert, error) {
	rules, err := api.Rules(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: listing rules: %v", ErrQuery, err)
	}
	byName := map[string]promv1.AlertingRule{}
	interval := map[string]float64{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if ar, ok := r.(promv1.AlertingRule); ok {
				byName[ar.Name], interval[ar.Name] = ar, g.Interval
			}
		}
	}
	out := make([]Alert, 0, len(alerts))
	for _, a := range alerts {
		r, ok := byName[a.Alert]
		if !ok {
			return nil, fmt.Errorf("alert %s: the Prometheus has no alerting rule of that name; load your rules into it first", a.Alert)
		}
		a.For = time.Duration(r.Duration * float64(time.Second))
		a.Interval = time.Duration(interval[a.Alert] * float64(time.Second))
		if a.Workload == "" {
			a.Workload = string(r.Labels[WorkloadLabel])
			f, err := strconv.ParseFloat(string(r.Annotations[FiresAboveAnnotation]), 64)
			if a.Workload == "" || err != nil {
				return nil, fmt.Errorf("alert %s: its rule has no %s label and %s annotation, so verify cannot tell what it should catch; list it in --alerts-file", a.Alert, WorkloadLabel, FiresAboveAnnotation)
			}
			a.FiresAbove = f
		}
		out = append(out, a)
	}
	return out, nil
}

// AlertCheck is one alert for one VM over one stretch.
type AlertCheck struct {
	Alert    string    `json:"alert"`
	Workload string    `json:"workload"`
	VM       string    `json:"vm"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Level    int       `json:"level"`
	// Want is firing or quiet; maybe for a stretch too short to tell.
	Want string `json:"want"`
	// FiredAfter and ResolvedAfter count from the stretch's start.
	FiredAfter    *time.Duration `json:"firedAfter,omitempty"`
	ResolvedAfter *time.Duration `json:"resolvedAfter,omitempty"`
	// Explained are the day-2 events (of the VM, or of the peers whose
	// levels its own adds up) that explain the alert's state differing from
	// the wanted one: during the event, or within the alert's allowance
	// after it (alertSpans). Why says when.
	Explained []Disruption `json:"explained,omitempty"`
	Outcome   Outcome      `json:"outcome"`
	Why       string       `json:"why,omitempty"`
}

// checkAlert judges an alert's firing samples for one VM over its
// stretches: in a stretch above the threshold it must fire within for:
// plus slack and stay firing; in one at or below it, it must be quiet
// once slack has passed (resolving), and quiet throughout when the stretch
// before was quiet too (a false positive otherwise). Where the alert's
// state is not the wanted one inside a day-2 event's stretch (evs, from
// alertSpans), the event explains it: noted, not failed.
func checkAlert(a Alert, vm render.VMRef, sts []Stretch, firing []sample, slack, step time.Duration, evs []eventSpan) []AlertCheck {
	var out []AlertCheck
	for _, st := range sts {
		c := AlertCheck{Alert: a.Alert, Workload: a.Workload, VM: vm.Name, From: st.From, To: st.To, Level: st.Level + st.PeersLevel, Want: "quiet"}
		if float64(c.Level) > a.FiresAbove {
			c.Want = "firing"
			if st.To.Sub(st.From) < a.For+slack {
				c.Want, c.Outcome, c.Why = "maybe", TooShort, fmt.Sprintf("the stretch is shorter than for: %s plus %s", a.For, slack)
				out = append(out, c)
				continue
			}
			judgeFiring(&c, a, st, firing, slack, step, evs)
		} else {
			judgeQuiet(&c, a, st, firing, slack, evs)
		}
		out = append(out, c)
	}
	return out
}

// judgeFiring judges a stretch above the threshold: from for: plus slack
// after its start to its end, the alert must be firing at every step but
// where an event explains it.
func judgeFiring(c *AlertCheck, a Alert, st Stretch, firing []sample, slack, step time.Duration, evs []eventSpan) {
	first, _, fired := firingIn(firing, st.From, st.To)
	if fired {
		d := first.Sub(st.From)
		c.FiredAfter = &d
	}
	bad, notes := explain(c, quietAt(firing, st.From.Add(a.For+slack), st.To, step), evs, "not firing")
	switch {
	case len(bad) == 0 && !fired && len(c.Explained) > 0:
		c.Want, c.Outcome, c.Why = "maybe", TooShort, "never fired, and events explain it throughout"
	case !fired:
		c.Outcome, c.Why = Failed, "never fired"
	case len(bad) == 0:
		c.Outcome = Passed
	case bad[0].Before(first):
		c.Outcome, c.Why = Failed, fmt.Sprintf("fired %s after the level rose, later than for: %s plus %s", c.FiredAfter.Round(time.Second), a.For, slack)
	default:
		c.Outcome, c.Why = Failed, fmt.Sprintf("not firing at %s, though the level stayed at %d, above %g", clock(bad[0]), c.Level, a.FiresAbove)
	}
	c.Why = withNotes(c.Why, notes)
}

// judgeQuiet judges a stretch at or below the threshold: from slack after
// its start, the alert must not fire but where an event explains it.
func judgeQuiet(c *AlertCheck, a Alert, st Stretch, firing []sample, slack time.Duration, evs []eventSpan) {
	var late []time.Time
	for _, s := range firing {
		if s.t.After(st.From.Add(slack)) && s.t.Before(st.To) {
			late = append(late, s.t)
		}
	}
	bad, notes := explain(c, late, evs, "firing")
	c.Outcome = Passed
	if n := len(bad); n > 0 {
		c.Outcome, c.Why = Failed, fmt.Sprintf("firing at %s, at level %d, not above %g: a false positive or a late resolve", clock(bad[n-1]), c.Level, a.FiresAbove)
	} else if _, last, fired := firingIn(firing, st.From, minTime(st.From.Add(slack+time.Nanosecond), st.To)); fired {
		d := last.Sub(st.From)
		c.ResolvedAfter = &d
	}
	c.Why = withNotes(c.Why, notes)
}

// withNotes adds the events' notes to why.
func withNotes(why string, notes []string) string {
	return strings.TrimPrefix(strings.Join(append([]string{why}, notes...), "; "), "; ")
}

// quietAt lists the instants, a step apart, in [from, to) at which the
// alert was not firing: each firing sample stands for a step.
func quietAt(firing []sample, from, to time.Time, step time.Duration) []time.Time {
	if step <= 0 {
		step = time.Second // not a step of 0, which would never end
	}
	var out []time.Time
	t := from
	for _, s := range firing {
		for ; t.Before(s.t) && t.Before(to); t = t.Add(step) {
			out = append(out, t)
		}
		if end := s.t.Add(step); end.After(t) {
			t = end
		}
	}
	for ; t.Before(to); t = t.Add(step) {
		out = append(out, t)
	}
	return out
}

// explain sorts the instants at which the alert's state was not the wanted
// one into those no event explains (bad) and, per event that explains
// some, a note of when, adding the event to c.Explained.
func explain(c *AlertCheck, off []time.Time, evs []eventSpan, state string) (bad []time.Time, notes []string) {
	type when struct{ first, last time.Time }
	byEvent := map[Disruption]*when{}
	for _, t := range off {
		ev, in := inEvent(evs, t)
		switch {
		case !in:
			bad = append(bad, t)
		case byEvent[ev] == nil:
			byEvent[ev] = &when{t, t}
			c.Explained = append(c.Explained, ev)
		default:
			byEvent[ev].last = t
		}
	}
	for _, ev := range c.Explained {
		w := byEvent[ev]
		notes = append(notes, fmt.Sprintf("%s %s–%s: explained by the %s of %s (%s–%s)", state, clock(w.first), clock(w.last), ev.Kind, ev.VM, clock(ev.Start), clockOr(ev.End, "never ended")))
	}
	return bad, notes
}

// alertSpans are the stretches in which a VM's events explain an alert's
// state: each event and, after it, the alert's for: and its group's
// evaluation interval on top of slack (the rate window, the settle margin
// and two steps), the time the alert needs to follow the load back.
func alertSpans(a Alert, evs []Disruption, slack time.Duration, to time.Time) []eventSpan {
	return eventSpans(evs, a.For+a.Interval+slack, to)
}

// firingIn returns the first and last firing sample in [from, to).
func firingIn(firing []sample, from, to time.Time) (first, last time.Time, fired bool) {
	for _, s := range firing {
		if s.t.Before(from) || !s.t.Before(to) {
			continue
		}
		if !fired {
			first = s.t
		}
		last, fired = s.t, true
	}
	return first, last, fired
}

// verifyAlerts times each alert against its workload's levels, VM by VM.
func verifyAlerts(ctx context.Context, o Options, res *Result) error {
	alerts, err := alertRules(ctx, o.API, o.Alerts)
	if err != nil {
		return err
	}
	slack := o.RateWindow + o.Settle + 2*o.Step
	for _, a := range alerts {
		var wc *config.Workload
		for i := range o.Config.Workloads {
			if o.Config.Workloads[i].Name == a.Workload {
				wc = &o.Config.Workloads[i]
			}
		}
		if wc == nil {
			return fmt.Errorf("alert %s is for workload %s, which run %s does not have", a.Alert, a.Workload, o.Config.RunID)
		}
		w, err := o.Config.Registry.Lookup(a.Workload)
		if err != nil {
			return err
		}
		spec, vms := w.Spec(), o.Bundle.VMsOf(a.Workload)
		lv, ok := newLevels(o.Config.RunID, *wc, spec, vms)
		if !ok || !lv.timed() {
			return fmt.Errorf("alert %s: workload %s has no timed level in this run (a level, a profile or constant level, and --start-at), so there is nothing to time the alert against", a.Alert, a.Workload)
		}
		role := spec.Level.Roles[0]
		if len(spec.Signals) > 0 {
			role = spec.Signals[0].Role
		}
		if o.Progress != nil {
			o.Progress("querying alert " + a.Alert)
		}
		firing, err := queryRange(ctx, o, fmt.Sprintf(`ALERTS{alertname=%q,alertstate="firing",%s}`, a.Alert, Selector(o.Bundle.Namespaces, spec, o.Config.RunID, role)))
		if err != nil {
			return err
		}
		for _, vm := range vms {
			if vm.Role != role {
				continue
			}
			if o.KeepSeries {
				res.Firing = append(res.Firing, Firing{Alert: a.Alert, Workload: a.Workload, VM: vm.Name, Spans: spans(firing[vm.Name], o.Step)})
			}
			peers := peersOf(lv, vm, vms)
			evs := alertSpans(a, eventsOf(o, append([]render.VMRef{vm}, peers...)), slack, o.To)
			res.Alerts = append(res.Alerts, checkAlert(a, vm, stretches(lv, vm, peers, o.From, o.To), firing[vm.Name], slack, o.Step, evs)...)
		}
	}
	return nil
}
