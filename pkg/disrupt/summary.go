package disrupt

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/report"
)

// Summary is what a disrupt did, as the table and -o json show it.
type Summary struct {
	RunID  string `json:"runID"`
	Seed   uint64 `json:"seed"`
	Rounds int    `json:"rounds"` // rounds started
	// Interrupted: Ctrl-C stopped the schedule early.
	Interrupted bool          `json:"interrupted,omitempty"`
	Kinds       []KindSummary `json:"kinds"`
	// Downtime lists the VMs whose workload became unready, longest first.
	Downtime []VMDowntime       `json:"downtime"`
	Events   []audit.Disruption `json:"events"`
}

// KindSummary is one kind's events: how many, how many succeeded, and how
// long the events took (report's percentiles, in seconds).
type KindSummary struct {
	Kind        Kind                `json:"kind"`
	Events      int                 `json:"events"`
	Succeeded   int                 `json:"succeeded"`
	SuccessRate float64             `json:"successRate"` // 0..1
	Duration    *report.Percentiles `json:"duration,omitempty"`
}

// VMDowntime is how long one VM's workload was not ready over all its
// events.
type VMDowntime struct {
	Namespace string  `json:"namespace"`
	VM        string  `json:"vm"`
	Seconds   float64 `json:"seconds"`
	Events    int     `json:"events"`
}

// summarize folds the events into the summary.
func summarize(runID string, seed uint64, rounds int, events []audit.Disruption) *Summary {
	events = slices.Clone(events)
	slices.SortStableFunc(events, func(a, b audit.Disruption) int { return a.Start.Compare(b.Start) })
	s := &Summary{RunID: runID, Seed: seed, Rounds: rounds, Events: events, Kinds: []KindSummary{}, Downtime: []VMDowntime{}}
	down := map[string]*VMDowntime{}
	for _, k := range Kinds() {
		ks := KindSummary{Kind: k}
		var took []time.Duration
		for _, e := range events {
			if e.Kind != string(k) {
				continue
			}
			ks.Events++
			took = append(took, e.End.Sub(e.Start))
			if e.Outcome == OutcomeSucceeded {
				ks.Succeeded++
			}
		}
		if ks.Events == 0 {
			continue
		}
		ks.SuccessRate = float64(ks.Succeeded) / float64(ks.Events)
		ks.Duration = report.PercentilesOf(took)
		s.Kinds = append(s.Kinds, ks)
	}
	for _, e := range events {
		if e.Downtime <= 0 {
			continue
		}
		key := e.Namespace + "/" + e.VM
		if down[key] == nil {
			down[key] = &VMDowntime{Namespace: e.Namespace, VM: e.VM}
		}
		down[key].Seconds += e.Downtime.Seconds()
		down[key].Events++
	}
	for _, d := range down {
		s.Downtime = append(s.Downtime, *d)
	}
	slices.SortFunc(s.Downtime, func(a, b VMDowntime) int {
		return cmp.Or(cmp.Compare(b.Seconds, a.Seconds), cmp.Compare(a.Namespace+"/"+a.VM, b.Namespace+"/"+b.VM))
	})
	return s
}

func (s *Summary) failures() int {
	n := 0
	for _, e := range s.Events {
		if e.Outcome != OutcomeSucceeded {
			n++
		}
	}
	return n
}

// counts are the events per kind and outcome, as the history keeps them.
func (s *Summary) counts() map[string]int {
	c := map[string]int{}
	for _, e := range s.Events {
		c[e.Kind+"/"+e.Outcome]++
	}
	return c
}

// Print writes the summary as tables, or JSON when format is "json".
func (s *Summary) Print(w io.Writer, format string) error {
	if format == "json" {
		return report.JSON(w, s)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Run %s, seed %d, %d rounds", s.RunID, s.Seed, s.Rounds)
	if s.Interrupted {
		fmt.Fprint(tw, " (interrupted: no new events after Ctrl-C)")
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "KIND\tEVENTS\tSUCCEEDED\tRATE\tP50\tP95\tMAX")
	for _, k := range s.Kinds {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f%%\t%s\t%s\t%s\n", k.Kind, k.Events, k.Succeeded, 100*k.SuccessRate,
			secs(k.Duration.P50), secs(k.Duration.P95), secs(k.Duration.Max))
	}
	if len(s.Kinds) == 0 {
		fmt.Fprintln(tw, "(no events)\t\t\t\t\t\t")
	}
	if len(s.Downtime) > 0 {
		fmt.Fprintln(tw, "\nVM\tWORKLOAD NOT READY\tEVENTS")
		for _, d := range s.Downtime {
			fmt.Fprintf(tw, "%s/%s\t%s\t%d\n", d.Namespace, d.VM, secs(d.Seconds), d.Events)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range s.Events {
		if e.Outcome != OutcomeSucceeded {
			fmt.Fprintf(w, "%s %s/%s on %s %s: %s\n", e.Kind, e.Namespace, e.VM, orText(e.SourceNode, "(no node)"), e.Outcome, e.Reason)
		}
	}
	return nil
}

func secs(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(10 * time.Millisecond).String()
}
