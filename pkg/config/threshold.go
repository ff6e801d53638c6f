package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Threshold is a limit on a latency quantile of a run: --threshold
// running:p95=3m fails the run when the 95th percentile of the time from
// each VM's creation to its VMI's phase Running is over 3 minutes.
type Threshold struct {
	// Phase is the phase the time runs to from the VM's creation:
	// scheduled, running or ready (ThresholdPhases).
	Phase string
	// Quantile is p50, p95, p99 or max (ThresholdQuantiles).
	Quantile string
	Limit    time.Duration
}

// ThresholdPhases and ThresholdQuantiles are what a threshold may name.
var (
	ThresholdPhases    = []string{"scheduled", "running", "ready"}
	ThresholdQuantiles = []string{"p50", "p95", "p99", "max"}
)

// String is the threshold as the flag takes it.
func (t Threshold) String() string { return fmt.Sprintf("%s:%s=%s", t.Phase, t.Quantile, t.Limit) }

// parseThreshold reads one PHASE:QUANTILE=DURATION.
func parseThreshold(v, src string) ([]Threshold, error) {
	v = strings.TrimSpace(v)
	bad := func(why string) error {
		return invalidf("%s: %q %s; write PHASE:QUANTILE=DURATION with PHASE %s and QUANTILE %s, such as running:p95=3m",
			src, v, why, strings.Join(ThresholdPhases, ", "), strings.Join(ThresholdQuantiles, ", "))
	}
	phase, rest, ok := strings.Cut(v, ":")
	if !ok {
		return nil, bad("has no PHASE:")
	}
	quantile, limit, ok := strings.Cut(rest, "=")
	if !ok {
		return nil, bad("has no =DURATION")
	}
	if !slices.Contains(ThresholdPhases, phase) {
		return nil, bad(fmt.Sprintf("names an unknown phase %q", phase))
	}
	if !slices.Contains(ThresholdQuantiles, quantile) {
		return nil, bad(fmt.Sprintf("names an unknown quantile %q", quantile))
	}
	d, err := time.ParseDuration(limit)
	if err != nil || d <= 0 {
		return nil, bad(fmt.Sprintf("has %q for a limit, not a positive Go duration such as 90s or 3m", limit))
	}
	return []Threshold{{Phase: phase, Quantile: quantile, Limit: d}}, nil
}

// thresholdRow: apply and wait check the run's latencies against it once
// the wait is over.
var thresholdRow = &setting[[]Threshold]{
	meta: meta{flag: "threshold", typ: "strings", groups: thresholdFlags, env: "VIRTWORK_THRESHOLD", file: "thresholds",
		doc: "fail the run (exit 3) when a latency quantile is over a limit: `PHASE:QUANTILE=DURATION`, comma-separated or repeated, " +
			"PHASE scheduled, running or ready (the time from each VM's creation to its VMI reaching it), QUANTILE p50, p95, p99 or max; " +
			"e.g. `running:p95=3m,ready:p99=8m`"},
	parse:  each(parseThreshold),
	config: func(c *Config, v []Threshold) { c.Thresholds = v },
}
