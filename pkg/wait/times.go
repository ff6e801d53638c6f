package wait

import (
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// stamp is when a VM reached a phase: the object's own timestamp or, when
// the object lacks it, when the wait first saw the phase (observed).
type stamp struct {
	at       time.Time
	observed bool
}

// set takes the object's timestamp ts when there is one; otherwise, if
// the phase is reached and nothing is known yet, now, marked observed.
// A timestamp that appears later replaces an observed time.
func (s *stamp) set(ts time.Time, reached bool, now time.Time) {
	switch {
	case !ts.IsZero():
		s.at, s.observed = ts, false
	case reached && s.at.IsZero():
		s.at, s.observed = now, true
	}
}

// Why a phase time came from observation, as the summary says it.
const (
	noPhaseTimestamps = "the VMI had no phaseTransitionTimestamps"
	noReadyTime       = "the VMI's Ready condition had no lastTransitionTime"
)

// phaseTimes reads the VMI's status.phaseTransitionTimestamps: the latest
// time it entered each phase.
func phaseTimes(u *unstructured.Unstructured) map[string]time.Time {
	entries, _, _ := unstructured.NestedSlice(u.Object, "status", "phaseTransitionTimestamps")
	out := map[string]time.Time{}
	for _, e := range entries {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		phase, _ := m["phase"].(string)
		at := parseStamp(m["phaseTransitionTimestamp"])
		if phase != "" && !at.IsZero() && at.After(out[phase]) {
			out[phase] = at
		}
	}
	return out
}

// readyTime is the lastTransitionTime of the object's (a VMI's or a
// DataVolume's) Ready condition when it is True.
func readyTime(u *unstructured.Unstructured) time.Time {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == "Ready" && m["status"] == "True" {
			return parseStamp(m["lastTransitionTime"])
		}
	}
	return time.Time{}
}

// parseStamp reads an RFC 3339 time as the API server serves it (whole
// seconds from KubeVirt, fractions accepted); zero when absent or bad.
func parseStamp(v any) time.Time {
	s, _ := v.(string)
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// observeVMI records the VMI's phase times at now.
func (s *vmState) observeVMI(u *unstructured.Unstructured, now time.Time) {
	phases := phaseTimes(u)
	running := s.vmiPhase == "Running"
	s.scheduledAt.set(phases["Scheduled"], running || s.vmiPhase == "Scheduled", now)
	s.runningAt.set(phases["Running"], running, now)
	s.readyAt.set(readyTime(u), running && s.ready, now)
	if len(phases) == 0 {
		s.whyObserved = noPhaseTimestamps
	} else {
		s.whyObserved = noReadyTime
	}
}

// observed says why some of the VM's times were observed, "" when none.
func (s *vmState) observed() string {
	switch {
	case s.scheduledAt.observed || s.runningAt.observed:
		if s.whyObserved == noReadyTime {
			return "the VMI had no phaseTransitionTimestamp for Scheduled or Running"
		}
		return noPhaseTimestamps
	case s.readyAt.observed:
		return noReadyTime
	}
	return ""
}

// disksReady is when the last of the VM's DataVolumes turned Ready; zero
// while one of them is not.
func (s *vmState) disksReady() time.Time {
	var last time.Time
	for _, at := range s.dvReady {
		if at.IsZero() {
			return time.Time{}
		}
		if at.After(last) {
			last = at
		}
	}
	return last
}
