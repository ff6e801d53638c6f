package disrupt

import (
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// downtime adds up how long a VM's workload was not ready during an
// event, from its VMI's Ready condition: a transition's own time when
// the condition carries one, else when it was seen (a deleted VMI takes
// its condition with it). Conditions are stamped in whole seconds, so a
// return to ready is placed at the end of its stamp's second unless it
// was seen before that: the downtime is never under-reported, and is
// over by less than a second.
type downtime struct {
	start time.Time // when the event began: nothing before it counts
	since time.Time // when it became unready; zero while ready
	sum   time.Duration
}

// observe notes vmi's readiness (nil: there is no VMI) as read at now.
func (d *downtime) observe(vmi *unstructured.Unstructured, now time.Time) {
	c := condition(vmi, "Ready")
	ready := c != nil && c["status"] == "True"
	at := now
	if c != nil {
		if s, ok := c["lastTransitionTime"].(string); ok {
			if t, err := time.Parse(time.RFC3339, s); err == nil && !t.After(now) {
				at = t
			}
		}
	}
	if at.Before(d.start) {
		at = d.start
	}
	switch {
	case !ready && d.since.IsZero():
		d.since = at
	case ready && !d.since.IsZero():
		if end := at.Add(time.Second); at != now && end.Before(now) {
			at = end
		} else {
			at = now
		}
		if at.Before(d.since) {
			// A transition before the one that took it down: the Ready
			// condition of a VMI seen only once it was ready again.
			at = now
		}
		d.sum += at.Sub(d.since)
		d.since = time.Time{}
	}
}

// total is the downtime until end, counting a VM still unready then.
func (d *downtime) total(end time.Time) time.Duration {
	if !d.since.IsZero() && end.After(d.since) {
		return d.sum + end.Sub(d.since)
	}
	return d.sum
}
