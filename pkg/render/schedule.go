package render

import (
	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/profile"
)

// schedules gives each VM of a workload its schedule file: none without a
// profile, one for every VM without a spread, one per VM (by its phase)
// with one, which then gets a user-data Secret of its own.
type schedules struct {
	runID    string
	schedule profile.Schedule
	spread   profile.Spread
	timing   profile.Timing
	// shared is the file of every VM when perVM is false.
	shared string
	perVM  bool
}

func newSchedules(runID string, wc config.Workload) *schedules {
	s := &schedules{runID: runID}
	if wc.Profile == nil {
		return s
	}
	s.schedule, s.spread, s.timing = wc.Profile.Schedule(), wc.Profile.Spread, wc.Timing
	s.perVM = s.spread.Kind != profile.SpreadNone
	if !s.perVM {
		s.shared = string(s.schedule.File(s.timing.Start, 0, s.timing.Duration))
	}
	return s
}

// file is the schedule file of the named VM, "" for none.
func (s *schedules) file(vm string) string {
	if !s.perVM {
		return s.shared
	}
	phase := profile.Phase(s.runID, vm, s.spread, s.schedule.Cycle)
	return string(s.schedule.File(s.timing.Start, phase, s.timing.Duration))
}
