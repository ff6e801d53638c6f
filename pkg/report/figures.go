package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Percentiles are the p50, p95, p99 and max of a set of durations, in
// seconds, and how many there were (JSON keeps the names apply has always
// printed).
type Percentiles struct {
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
	Count int     `json:"count"`
}

// PercentilesOf returns the percentiles of ds by the nearest-rank method
// (the smallest value with at least p% of the values at or below it), or
// nil when ds is empty. Every duration is a measurement: callers leave out
// what was not measured. A negative one (the clocks of the API server and
// of the node that stamped a phase disagree) counts as zero. Every figure
// the commands print goes through it, so apply, wait and history agree.
func PercentilesOf(ds []time.Duration) *Percentiles {
	if len(ds) == 0 {
		return nil
	}
	pos := make([]time.Duration, len(ds))
	for i, d := range ds {
		pos[i] = max(d, 0)
	}
	slices.Sort(pos)
	rank := func(pct int) time.Duration {
		r := (pct*len(pos) + 99) / 100 // ceil(pct/100 * n), 1-based
		return pos[max(r, 1)-1]
	}
	return &Percentiles{P50: rank(50).Seconds(), P95: rank(95).Seconds(), P99: rank(99).Seconds(),
		Max: pos[len(pos)-1].Seconds(), Count: len(pos)}
}

// Quantile returns the figure named q (p50, p95, p99 or max) and whether
// q is one of those names.
func (p *Percentiles) Quantile(q string) (float64, bool) {
	switch q {
	case "p50":
		return p.P50, true
	case "p95":
		return p.P95, true
	case "p99":
		return p.P99, true
	case "max":
		return p.Max, true
	}
	return 0, false
}

// String prints the figures as the tables show them, to 10ms.
func (p *Percentiles) String() string {
	return fmt.Sprintf("p50 %s, p95 %s, p99 %s, max %s", secs(p.P50), secs(p.P95), secs(p.P99), secs(p.Max))
}

func secs(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(10 * time.Millisecond).String()
}

// kindRank is the order apply sends kinds in; other kinds follow, by name.
func kindRank(kind string) int {
	switch kind {
	case "Namespace":
		return 0
	case "Service":
		return 1
	case "Secret":
		return 2
	case "VirtualMachine":
		return 3
	}
	return 4
}

// SortKinds sorts kinds in the order apply sends them (Namespace,
// Service, Secret, VirtualMachine), then any other kind by name: the one
// order every table of kinds uses.
func SortKinds(kinds []string) {
	slices.SortFunc(kinds, compareKinds)
}

func compareKinds(a, b string) int {
	if c := cmp.Compare(kindRank(a), kindRank(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// sortedKinds returns the keys of a map keyed by kind, in SortKinds order.
func sortedKinds[V any](m map[string]V) []string {
	kinds := make([]string, 0, len(m))
	for k := range m {
		kinds = append(kinds, k)
	}
	SortKinds(kinds)
	return kinds
}

// JSON writes v as indented JSON, the way every -o json of the plugin
// looks.
func JSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}
