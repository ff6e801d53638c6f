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
	stamp, stamped := time.Time{}, false
	if c != nil {
		if s, ok := c["lastTransitionTime"].(string); ok {
			if t, err := time.Parse(time.RFC3339, s); err == nil && !t.After(now) {
				stamp, stamped = t, true
			}
		}
	}
	switch {
	case !ready && d.since.IsZero():
		at := now
		if stamped {
			at = stamp
		}
		d.since = maxTime(at, d.start)
	case ready && !d.since.IsZero():
		// A stamp from before the second the VM went down belongs to an
		// earlier transition (a condition carried over) or to a
		// controller whose clock is behind ours: only the observation
		// says when it came back.
		at := now
		if stamped && !stamp.Before(d.since.Truncate(time.Second)) {
			at = minTime(stamp.Add(time.Second), now)
		}
		d.sum += max(at.Sub(d.since), 0)
		d.since = time.Time{}
	}
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

// total is the downtime until end, counting a VM still unready then.
func (d *downtime) total(end time.Time) time.Duration {
	if !d.since.IsZero() && end.After(d.since) {
		return d.sum + end.Sub(d.since)
	}
	return d.sum
}
