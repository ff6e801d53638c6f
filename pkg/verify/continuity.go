package verify

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Disruption is one day-2 event on a VM of the run, as kubectl virtwork
// disrupt records it in the audit history: verify judges the VM's signals
// around it. End is zero when the event never ended; the nodes are empty
// where they do not apply or were not known.
type Disruption struct {
	VM         string    `json:"vm"`
	Namespace  string    `json:"namespace,omitempty"`
	Kind       string    `json:"kind"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	SourceNode string    `json:"sourceNode,omitempty"`
	TargetNode string    `json:"targetNode,omitempty"`
	Outcome    string    `json:"outcome"`
	Reason     string    `json:"reason,omitempty"`
}

// Disruption kinds and the outcome of one that completed, as disrupt
// spells them.
const (
	KindMigrate    = "migrate"
	KindRestart    = "restart"
	KindStopStart  = "stop-start"
	EventSucceeded = "succeeded"
)

// DefaultMaxGap is the longest a migrated VM's series may go without a
// sample: two scrape intervals of 30 s, the last scrape on the source
// node's virt-handler and the first on the target's.
const DefaultMaxGap = time.Minute

// ContinuityCheck is one VM's signal around one disruption: a migrated
// VM's series must go on under its new node label with no gap longer
// than allowed; a restarted or stopped and started VM's load must be back
// in its band within the event's own length (the VM's way back to Ready:
// its boot, and the time it was down) plus the settle margin; and no
// alert that should outlast a short gap (an absent() rule) may fire.
type ContinuityCheck struct {
	Event    Disruption `json:"event"`
	Workload string     `json:"workload"`
	Signal   string     `json:"signal,omitempty"`
	// Measured is, for a migration, the longest time the series went
	// without a sample across the event; for a restart or stop/start, how
	// long after the event's start the load was back in its band.
	Measured *time.Duration `json:"measured,omitempty"`
	Allowed  time.Duration  `json:"allowed"`
	// Nodes are the node labels the series carried from the event's start.
	Nodes []string `json:"nodes,omitempty"`
	// Alerts are the gap-sensitive alerts that fired during the event.
	Alerts []string `json:"alerts,omitempty"`
	// Excluded is the stretch around the event that the level checks skip.
	Excluded Span    `json:"excluded"`
	Outcome  Outcome `json:"outcome"`
	Why      string  `json:"why,omitempty"`
}

// excludedSpan is the stretch around an event the level checks skip:
// from its start to its end plus the settle margin; to the window's end
// when it never ended.
func excludedSpan(ev Disruption, margin time.Duration, to time.Time) Span {
	if ev.End.IsZero() {
		return Span{From: ev.Start, To: to}
	}
	return Span{From: ev.Start, To: minTime(ev.End.Add(margin), to)}
}

// eventSpan is the stretch of a VM's time one day-2 event accounts for.
type eventSpan struct {
	Event Disruption
	Span
}

// eventSpans are the stretches around events: each from the event's
// start to its end plus after, to the window's end (to) when it never
// ended. The level checks allow the settle margin after an event; the
// alert checks that plus the alert's for: and evaluation interval.
func eventSpans(evs []Disruption, after time.Duration, to time.Time) []eventSpan {
	out := make([]eventSpan, 0, len(evs))
	for _, ev := range evs {
		out = append(out, eventSpan{Event: ev, Span: excludedSpan(ev, after, to)})
	}
	return out
}

// inEvent decides whether an instant lies in an event's stretch (both
// ends included), and returns the first such event: the level checks
// leave such samples out, the alert checks put an alert's state there down
// to the event, and the absent() alerts are looked for there.
func inEvent(sps []eventSpan, t time.Time) (Disruption, bool) {
	for _, sp := range sps {
		if !t.Before(sp.From) && !t.After(sp.To) {
			return sp.Event, true
		}
	}
	return Disruption{}, false
}

// without drops the samples inside any of the event stretches.
func without(got []sample, skip []eventSpan) []sample {
	if len(skip) == 0 {
		return got
	}
	return slices.DeleteFunc(slices.Clone(got), func(s sample) bool {
		_, in := inEvent(skip, s.t)
		return in
	})
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// judgeGap judges a migration from the times of the VM's samples by node
// label: the longest stretch without a sample on any node across the
// event, and, for a migration that succeeded, that the series carries the
// target node's label from then on and no longer the source's.
func judgeGap(c *ContinuityCheck, byNode map[string][]time.Time, maxGap time.Duration, to time.Time) {
	ev := c.Event
	c.Allowed = maxGap
	end := ev.End
	if end.IsZero() {
		end = to
	}
	var all []time.Time
	for node, ts := range byNode {
		all = append(all, ts...)
		if slices.ContainsFunc(ts, func(t time.Time) bool { return !t.Before(ev.Start) }) {
			c.Nodes = append(c.Nodes, node)
		}
	}
	slices.SortFunc(all, time.Time.Compare)
	slices.Sort(c.Nodes)
	gap, last, back := longestGap(all, ev.Start, end)
	if ev.End.IsZero() && !back {
		// Judged up to the window's end: the series goes on if its last
		// sample is recent.
		back = to.Sub(maxTime(last, ev.Start)) <= maxGap
		gap = max(gap, to.Sub(maxTime(last, ev.Start)))
	}
	c.Measured = &gap
	var why []string
	if ev.Outcome != EventSucceeded {
		why = append(why, fmt.Sprintf("the migration %s: %s", eventOutcome(ev), orNone(ev.Reason)))
	}
	c.Outcome = Passed
	switch {
	case !back && to.Sub(maxTime(last, ev.Start)) <= maxGap:
		c.Outcome = TooShort
		why = append(why, fmt.Sprintf("the window ends at %s, before a gap of --max-gap %s has passed", clock(to), maxGap))
	case !back:
		c.Outcome = Failed
		why = append(why, fmt.Sprintf("the series stopped at %s and was not back by %s", clockOr(last, "the event's start"), clock(to)))
	case gap > maxGap:
		c.Outcome = Failed
		why = append(why, fmt.Sprintf("the series went %s without a sample, more than --max-gap %s", gap.Round(time.Second), maxGap))
	}
	if ev.Outcome == EventSucceeded && back {
		if w, ok := judgeNodes(ev, byNode, maxGap); !ok {
			c.Outcome = Failed
			why = append(why, w)
		} else if w != "" {
			why = append(why, w)
		}
	}
	c.Why = strings.Join(why, "; ")
}

// longestGap is the longest time between two samples (or the event's
// start and the first sample) across [from, end], and whether a sample
// came after end. Without one, the gap runs from the last sample to the
// window's end, and last is that sample.
func longestGap(all []time.Time, from, end time.Time) (gap time.Duration, last time.Time, back bool) {
	prev := time.Time{}
	for _, t := range all {
		if t.Before(from) {
			prev = t
			continue
		}
		start := prev
		if start.IsZero() {
			start = from
		}
		gap = max(gap, t.Sub(start))
		prev = t
		if t.After(end) {
			return gap, prev, true
		}
	}
	return gap, prev, false
}

// judgeNodes checks the node labels after a migration that succeeded:
// the series must carry the target's (when disrupt knew it), and no
// longer the source's once the allowed gap has passed after the event's
// end. A series with no node label at all can only be judged by its gap.
func judgeNodes(ev Disruption, byNode map[string][]time.Time, maxGap time.Duration) (string, bool) {
	if len(byNode) == 1 && byNode[""] != nil {
		return "its metric carries no node label, so only the gap is measured", true
	}
	if ev.TargetNode != "" && !slices.ContainsFunc(byNode[ev.TargetNode], func(t time.Time) bool { return !t.Before(ev.Start) }) {
		return fmt.Sprintf("no sample under node=%q, the migration's target", ev.TargetNode), false
	}
	if ev.SourceNode != "" && ev.SourceNode != ev.TargetNode {
		late := ev.End.Add(maxGap)
		if i := slices.IndexFunc(byNode[ev.SourceNode], func(t time.Time) bool { return t.After(late) }); i >= 0 {
			return fmt.Sprintf("still a sample under node=%q, the migration's source, at %s", ev.SourceNode, clock(byNode[ev.SourceNode][i])), false
		}
	}
	return "", true
}

// judgeReturn judges a restart or stop/start from the VM's signal and its
// level checks (their bands): the first sample in the band after the
// event's end (and after the rate window since its start, so no rate() of
// the samples from before it counts) must come within the event's length
// plus margin of its start. A next event on the VM (next, zero when there
// is none) that starts before the load is back ends the search, as the
// window's end does.
func judgeReturn(c *ContinuityCheck, got []sample, stretchChecks []Check, margin, rateWindow time.Duration, to time.Time, next Disruption) {
	ev := c.Event
	var pre string
	if ev.Outcome != EventSucceeded {
		pre = fmt.Sprintf("the %s %s: %s; ", ev.Kind, eventOutcome(ev), orNone(ev.Reason))
	}
	if ev.End.IsZero() {
		c.Outcome, c.Why = Failed, pre+"it never ended, so the load had no time to return by"
		return
	}
	c.Allowed = ev.End.Sub(ev.Start) + margin
	from := ev.End
	if w := ev.Start.Add(rateWindow); w.After(from) {
		from = w
	}
	lo, hi, ok := bandAt(stretchChecks, from)
	switch {
	case len(got) == 0:
		c.Outcome, c.Why = NoSeries, pre+"no series for the VM"
		return
	case !ok:
		c.Outcome, c.Why = TooShort, pre+"no level to expect after the event"
		return
	case lo <= 0:
		c.Outcome, c.Why = TooShort, pre+fmt.Sprintf("its band after the event reaches down to 0 (%s…%s), so the load's return cannot be told from its absence", num(lo), num(hi))
		return
	}
	until, cut := to, fmt.Sprintf("the window ends at %s", clock(to))
	if !next.Start.IsZero() && next.Start.Before(to) {
		until, cut = next.Start, fmt.Sprintf("the next event, a %s, starts at %s", next.Kind, clock(next.Start))
	}
	for _, s := range got {
		if s.t.Before(from) || s.t.After(until) {
			continue
		}
		if lo, hi, ok := bandAt(stretchChecks, s.t); ok && s.v >= lo && s.v <= hi {
			d := s.t.Sub(ev.Start)
			c.Measured, c.Outcome, c.Why = &d, Passed, strings.TrimSuffix(pre, "; ")
			if d > c.Allowed {
				c.Outcome = Failed
				c.Why = pre + fmt.Sprintf("the load was back in its band %s after the event's start, later than its length %s plus the settle margin %s",
					d.Round(time.Second), ev.End.Sub(ev.Start).Round(time.Second), margin)
			}
			return
		}
	}
	if until.Before(ev.Start.Add(c.Allowed)) {
		c.Outcome, c.Why = TooShort, pre+cut+", before the load is due back"
		return
	}
	c.Outcome, c.Why = Failed, pre+fmt.Sprintf("the load did not return to its band (%s…%s) by %s", num(lo), num(hi), clock(until))
}

// bandAt is the band of the stretch check holding t.
func bandAt(checks []Check, t time.Time) (lo, hi float64, ok bool) {
	for _, c := range checks {
		if c.Rises || c.Outcome == NoSeries || t.Before(c.From) || !t.Before(c.To) {
			continue
		}
		hi = math.Inf(1)
		if c.High != nil {
			hi = *c.High
		}
		return c.Low, hi, true
	}
	return 0, 0, false
}

func eventOutcome(ev Disruption) string {
	if ev.Outcome == "" {
		return "has no outcome"
	}
	return ev.Outcome
}

func orNone(reason string) string {
	if reason == "" {
		return "no reason given"
	}
	return reason
}

func clockOr(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return clock(t)
}
