package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
)

// ThresholdResult is one --threshold judged against a run's latencies.
type ThresholdResult struct {
	// Phase is the phase the time runs to from the VM's creation.
	Phase    string  `json:"phase"`
	Quantile string  `json:"quantile"`
	Limit    float64 `json:"limitSeconds"`
	// Measured is the quantile, in seconds; nil when no VM reached Phase.
	Measured *float64 `json:"measuredSeconds"`
	Exceeded bool     `json:"exceeded"`
}

// String says how the threshold fared, as the summary and the error
// word it.
func (r ThresholdResult) String() string {
	what := fmt.Sprintf("%s %s (created → %s)", r.Phase, r.Quantile, r.Phase)
	switch {
	case r.Measured == nil:
		return fmt.Sprintf("%s: no VM reached %s, the limit is %s", what, r.Phase, secs(r.Limit))
	case r.Exceeded:
		return fmt.Sprintf("%s %s exceeds the limit %s", what, secs(*r.Measured), secs(r.Limit))
	}
	return fmt.Sprintf("%s %s is within the limit %s", what, secs(*r.Measured), secs(r.Limit))
}

// CheckThresholds judges the wait's latencies against ts, records the
// results in the summary and returns those exceeded. A threshold on a
// phase no VM reached is exceeded: there is nothing that shows it is met.
func (s *Summary) CheckThresholds(ts []config.Threshold) []ThresholdResult {
	if s.VMs == nil || len(ts) == 0 {
		return nil
	}
	var exceeded []ThresholdResult
	for _, t := range ts {
		r := ThresholdResult{Phase: t.Phase, Quantile: t.Quantile, Limit: t.Limit.Seconds(), Exceeded: true}
		if p := s.VMs.Latencies.Of(PhaseCreated, t.Phase); p != nil {
			v, _ := p.Quantile(t.Quantile)
			r.Measured, r.Exceeded = &v, v > r.Limit
		}
		s.VMs.Thresholds = append(s.VMs.Thresholds, r)
		if r.Exceeded {
			exceeded = append(exceeded, r)
		}
	}
	return exceeded
}

// Breaches words exceeded thresholds for an error message.
func Breaches(rs []ThresholdResult) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		parts = append(parts, r.String())
	}
	return strings.Join(parts, "; ")
}

func printThresholds(w io.Writer, rs []ThresholdResult) {
	for _, r := range rs {
		mark := "ok"
		if r.Exceeded {
			mark = "EXCEEDED"
		}
		fmt.Fprintf(w, "Threshold %s: %s\n", mark, r)
	}
}
