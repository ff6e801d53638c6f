package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"
	"time"
)

// Timeline is one VM's way to ready, in the API server's times: the VM's
// creationTimestamp, its VMI's phaseTransitionTimestamps for Scheduled and
// Running and the lastTransitionTime of its Ready condition. A zero time
// is a phase not reached (or not known).
type Timeline struct {
	Created, Scheduled, Running, Ready time.Time
	// DisksReady is when the last of the VM's DataVolumes turned Ready.
	DisksReady time.Time
	// Observed, when not empty, says why some of the times are when the
	// plugin saw the phase instead (the object lacked the field).
	Observed string
}

// The phases a latency runs between. A threshold names a phase reached
// from PhaseCreated: "running" is the time from the VM's creation to its
// VMI's phase Running.
const (
	PhaseCreated = "created"
	// PhaseDisksReady: every DataVolume of the VM is Ready (imported or
	// cloned), for runs with DataVolumes.
	PhaseDisksReady = "disks ready"
	PhaseScheduled  = "scheduled"
	PhaseRunning    = "running"
	PhaseReady      = "ready"
)

// stages are the rows of the latency table, in its order: the cumulative
// times from the VM's creation (what thresholds are on), then the
// transitions between them.
var stages = [][2]string{
	{PhaseCreated, PhaseDisksReady}, {PhaseCreated, PhaseScheduled}, {PhaseCreated, PhaseRunning}, {PhaseCreated, PhaseReady},
	{PhaseScheduled, PhaseRunning}, {PhaseRunning, PhaseReady},
}

// Latency is the percentiles of the time from one phase to another, over
// the VMs that reached both.
type Latency struct {
	From string `json:"from"`
	To   string `json:"to"`
	*Percentiles
}

// Latencies is the latency table of a run.
type Latencies struct {
	// Phases has a row per stage that any VM went through.
	Phases []Latency `json:"phases"`
	// TimedByObservation counts, by reason, the VMs some of whose times
	// are the plugin's observations rather than the server's timestamps.
	TimedByObservation map[string]int `json:"timedByObservation,omitempty"`
}

func (t Timeline) at(phase string) time.Time {
	switch phase {
	case PhaseCreated:
		return t.Created
	case PhaseDisksReady:
		return t.DisksReady
	case PhaseScheduled:
		return t.Scheduled
	case PhaseRunning:
		return t.Running
	}
	return t.Ready
}

// LatenciesOf computes the latency table of timelines: apply, wait and
// history all print what it returns. Nil when no VM reached any phase.
func LatenciesOf(timelines []Timeline) *Latencies {
	l := &Latencies{}
	for _, st := range stages {
		var ds []time.Duration
		for _, t := range timelines {
			from, to := t.at(st[0]), t.at(st[1])
			if !from.IsZero() && !to.IsZero() {
				ds = append(ds, to.Sub(from))
			}
		}
		if p := PercentilesOf(ds); p != nil {
			l.Phases = append(l.Phases, Latency{From: st[0], To: st[1], Percentiles: p})
		}
	}
	for _, t := range timelines {
		if t.Observed != "" {
			if l.TimedByObservation == nil {
				l.TimedByObservation = map[string]int{}
			}
			l.TimedByObservation[t.Observed]++
		}
	}
	if len(l.Phases) == 0 {
		return nil
	}
	return l
}

// Of returns the percentiles from phase from to phase to, nil when no VM
// went through both.
func (l *Latencies) Of(from, to string) *Percentiles {
	if l == nil {
		return nil
	}
	for _, r := range l.Phases {
		if r.From == from && r.To == to {
			return r.Percentiles
		}
	}
	return nil
}

// print writes the table and a line per reason some VMs were timed by
// observation.
func (l *Latencies) print(w io.Writer) {
	if l == nil {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LATENCY (server timestamps)\tVMS\tP50\tP95\tP99\tMAX")
	for _, r := range l.Phases {
		fmt.Fprintf(tw, "%s → %s\t%d\t%s\t%s\t%s\t%s\n", r.From, r.To, r.Count, secs(r.P50), secs(r.P95), secs(r.P99), secs(r.Max))
	}
	tw.Flush()
	for _, why := range slices.Sorted(maps.Keys(l.TimedByObservation)) {
		fmt.Fprintf(w, "%d VMs timed by observation: %s\n", l.TimedByObservation[why], why)
	}
}
