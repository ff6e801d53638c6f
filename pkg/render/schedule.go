package render

import (
	"fmt"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/profile"
)

// scheduleFile is the schedule file of every VM of the workload, "" for
// none. It is one file even with a spread: its phase line is a rule each
// VM applies to its own name (the guest's hostname), so a spread leaves
// the VMs of a role sharing one user-data Secret.
func scheduleFile(runID string, wc config.Workload) (string, error) {
	if wc.Profile == nil {
		return "", nil
	}
	s := wc.Profile.Schedule()
	f, err := s.File(wc.Timing.Start, profile.SpreadRule(runID, wc.Profile.Spread, s.Cycle), wc.Timing.Duration)
	if err != nil {
		return "", fmt.Errorf("workload %s: %w", wc.Name, err)
	}
	return string(f), nil
}
