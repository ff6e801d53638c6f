package verify

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// lookAround is how far before a migration (for the last sample on the
// source node) and after its allowed gap (for the target's) its samples
// are read.
const lookAround = 5 * time.Minute

// disruptionsOf lists the disruptions of vm that start in the window, in
// the order they started.
func disruptionsOf(o Options, vm render.VMRef) []Disruption {
	var out []Disruption
	for _, ev := range o.Disruptions {
		if ev.VM == vm.Name && (ev.Namespace == "" || vm.Namespace == "" || ev.Namespace == vm.Namespace) &&
			!ev.Start.Before(o.From) && ev.Start.Before(o.To) {
			out = append(out, ev)
		}
	}
	slices.SortStableFunc(out, func(a, b Disruption) int { return a.Start.Compare(b.Start) })
	return out
}

// eventsOf lists the disruptions of the VMs whose levels make one VM's
// (the VM and the peers it adds up), in the order they started.
func eventsOf(o Options, vms []render.VMRef) []Disruption {
	var out []Disruption
	for _, vm := range vms {
		out = append(out, disruptionsOf(o, vm)...)
	}
	slices.SortStableFunc(out, func(a, b Disruption) int { return a.Start.Compare(b.Start) })
	return out
}

// excludedSpans are the stretches around a VM's disruptions that its
// level checks skip.
func excludedSpans(o Options, evs []Disruption) []eventSpan {
	return eventSpans(evs, o.RateWindow+o.Settle, o.To)
}

// checkContinuity judges one VM's signal around each of its disruptions:
// a migration by the raw samples of the signal's first metric, by node; a
// restart or stop/start by the signal's values against the bands of the
// VM's level checks.
func checkContinuity(ctx context.Context, o Options, sig workloads.Signal, metric, selector, workload string, evs []Disruption, got []sample, stretchChecks []Check) ([]ContinuityCheck, error) {
	var out []ContinuityCheck
	margin := o.RateWindow + o.Settle
	for i, ev := range evs {
		var next Disruption
		if i+1 < len(evs) {
			next = evs[i+1]
		}
		c := ContinuityCheck{Event: ev, Workload: workload, Signal: sig.Name, Excluded: excludedSpan(ev, margin, o.To)}
		switch ev.Kind {
		case KindMigrate:
			byNode, at, err := sampleTimes(ctx, o, metric, selector, ev)
			if err != nil {
				return nil, err
			}
			judgeGap(&c, byNode, o.MaxGap, at)
		case KindRestart, KindStopStart:
			judgeReturn(&c, got, stretchChecks, margin, o.RateWindow, o.To, next)
		default:
			c.Outcome, c.Why = TooShort, fmt.Sprintf("an event of kind %q, which verify does not know", ev.Kind)
		}
		out = append(out, c)
	}
	return out, nil
}

// sampleTimes reads the raw samples of the VM's metric around a migration
// (a range vector: every sample, not one a step) and returns their times
// by node label, and the time they were read up to.
func sampleTimes(ctx context.Context, o Options, metric, selector string, ev Disruption) (map[string][]time.Time, time.Time, error) {
	end := ev.End
	if end.IsZero() {
		end = o.To
	}
	at := minTime(end.Add(o.MaxGap+lookAround), o.To)
	from := ev.Start.Add(-lookAround)
	rng := time.Duration(math.Ceil(at.Sub(from).Seconds())) * time.Second
	q := fmt.Sprintf("%s{%s,name=%q}[%s]", metric, selector, ev.VM, PromDuration(rng))
	val, _, _, err := o.API.Query(ctx, q, at)
	if err != nil {
		return nil, at, fmt.Errorf("%w: %s: %v", ErrQuery, q, err)
	}
	m, ok := val.(model.Matrix)
	if !ok {
		return nil, at, fmt.Errorf("%w: %s: got a %s, want a range vector", ErrQuery, q, val.Type())
	}
	out := map[string][]time.Time{}
	for _, s := range m {
		node := string(s.Metric["node"])
		for _, p := range s.Values {
			out[node] = append(out[node], p.Timestamp.Time())
		}
	}
	for node, ts := range out {
		slices.SortFunc(ts, time.Time.Compare)
		out[node] = slices.CompactFunc(ts, time.Time.Equal)
	}
	return out, at, nil
}

// unfollowed adds a check, not judged, for each disruption in the window
// that no signal followed: a VM of a workload or role without signals, or
// one not in the run's model.
func unfollowed(o Options, res *Result) {
	for _, ev := range o.Disruptions {
		if ev.Start.Before(o.From) || !ev.Start.Before(o.To) || slices.ContainsFunc(res.Continuity, func(c ContinuityCheck) bool { return c.Event == ev }) {
			continue
		}
		res.Continuity = append(res.Continuity, ContinuityCheck{Event: ev, Excluded: excludedSpan(ev, o.RateWindow+o.Settle, o.To), Outcome: TooShort,
			Why: "no signal of the run follows this VM (its workload or role has none, or it is not in the run's model): nothing to judge"})
	}
}

// absentRule matches an expression that fires when a series is missing.
var absentRule = regexp.MustCompile(`\babsent(_over_time)?\s*\(`)

// gapAlerts lists the Prometheus's alerting rules that fire on a missing
// series (absent(), absent_over_time()): a short gap, a migration's
// switch-over or a restart, should not make them fire.
func gapAlerts(ctx context.Context, o Options) ([]string, error) {
	rules, err := o.API.Rules(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: listing rules: %v", ErrQuery, err)
	}
	var out []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if ar, ok := r.(promv1.AlertingRule); ok && absentRule.MatchString(ar.Query) {
				out = appendNew(out, ar.Name)
			}
		}
	}
	return out, nil
}

// judgeGapAlerts finds when the gap-sensitive alerts fired, and lists on
// each continuity check those that fired for its VM (or for no VM in
// particular, in the run's namespaces) during its excluded span: during a
// migration or a restart a failure, during a stop/start a note.
func judgeGapAlerts(ctx context.Context, o Options, res *Result) error {
	if len(res.Continuity) == 0 {
		return nil
	}
	names, err := gapAlerts(ctx, o)
	if err != nil || len(names) == 0 {
		return err
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = regexp.QuoteMeta(n)
	}
	query := fmt.Sprintf(`ALERTS{alertstate="firing",alertname=~%q}`, strings.Join(quoted, "|"))
	fired, err := queryRangeBy(ctx, o, query, func(m model.Metric) (string, bool) {
		ns := string(m["namespace"])
		return string(m["alertname"]) + "\x00" + string(m["name"]), m["name"] != "" || ns == "" || slices.Contains(o.Bundle.Namespaces, ns)
	})
	if err != nil {
		return err
	}
	for i := range res.Continuity {
		c := &res.Continuity[i]
		for _, a := range names {
			at, ok := firstIn(append(slices.Clone(fired[a+"\x00"+c.Event.VM]), fired[a+"\x00"]...), []eventSpan{{Event: c.Event, Span: c.Excluded}})
			if !ok {
				continue
			}
			c.Alerts = append(c.Alerts, a)
			note := fmt.Sprintf("alert %s fired at %s: an absent() rule, during a gap it should outlast", a, clock(at))
			if c.Event.Kind == KindStopStart {
				note = fmt.Sprintf("alert %s fired at %s, while the VM was stopped", a, clock(at))
			} else {
				c.Outcome = Failed
			}
			c.Why = strings.TrimPrefix(c.Why+"; "+note, "; ")
		}
	}
	return nil
}

// firstIn is the first sample time in the events' stretches.
func firstIn(got []sample, sps []eventSpan) (time.Time, bool) {
	var first time.Time
	for _, s := range got {
		if _, in := inEvent(sps, s.t); in && (first.IsZero() || s.t.Before(first)) {
			first = s.t
		}
	}
	return first, !first.IsZero()
}
