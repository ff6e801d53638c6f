package simulator

import (
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// elapsed returns how long obj has been in phase, starting the clock when
// the simulator sees the phase for the first time (for example after a
// restart).
func (s *simulator) elapsed(uid types.UID, phase string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e, ok := s.entered[uid]
	if !ok || e.phase != phase {
		s.entered[uid] = phaseEntry{phase: phase, at: now}
		return 0
	}
	return now.Sub(e.at)
}

func (s *simulator) markEntered(uid types.UID, phase string) { s.markEnteredAt(uid, phase, s.now()) }

// markEnteredAt records that obj entered phase at the instant at, which
// its timestamp says.
func (s *simulator) markEnteredAt(uid types.UID, phase string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entered[uid] = phaseEntry{phase: phase, at: at}
}

// leaveAt is the instant obj leaves phase after delay: delay after it
// entered it, so that the timestamps of one VM's phases are exactly its
// delays apart however late a worker gets to write them (with whole-second
// delays, also at the API's one-second resolution). Now, when the
// simulator did not see it enter the phase.
func (s *simulator) leaveAt(uid types.UID, phase string, delay time.Duration) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if e, ok := s.entered[uid]; ok && e.phase == phase && !e.at.Add(delay).After(now) {
		return e.at.Add(delay)
	}
	return now
}

func (s *simulator) forget(uid types.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.entered, uid)
	delete(s.booted, uid)
	delete(s.restarted, uid)
	if s.metrics != nil {
		s.metrics.drop(uid)
	}
}

// inPhase reports whether the simulator saw uid enter phase last.
func (s *simulator) inPhase(uid types.UID, phase string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entered[uid]
	return ok && e.phase == phase
}
