package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/apply"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// Summary is what apply and wait print on stdout: a table for people,
// JSON (-o json) for scripts.
type Summary struct {
	RunID     string `json:"runID"`
	Namespace string `json:"namespace"`
	// Namespaces are those of a run spread over several (--namespaces),
	// Namespace being the first.
	Namespaces []string `json:"namespaces,omitempty"`
	Image      string   `json:"image,omitempty"`
	DryRun     bool     `json:"dryRun,omitempty"`
	// Objects counts apply outcomes per kind.
	Objects      map[string]map[apply.Outcome]int `json:"objects,omitempty"`
	ApplySeconds float64                          `json:"applySeconds,omitempty"`
	ApplyErrors  []string                         `json:"applyErrors,omitempty"`
	// DryRunObjects says, with --dry-run=server, what each object would do.
	DryRunObjects []ObjectOutcome `json:"dryRunObjects,omitempty"`
	NotAttempted  int             `json:"notAttempted,omitempty"`
	// Present names, by kind, the objects known to be in the cluster when
	// the apply did not finish (an error, --timeout, Ctrl-C). Objects whose
	// request failed are not in it: they may or may not exist.
	Present     map[string][]string `json:"present,omitempty"`
	VMs         *VMs                `json:"vms,omitempty"`
	Interrupted bool                `json:"interrupted,omitempty"`
	Error       string              `json:"error,omitempty"`
	// CleanupCommand removes everything the run created.
	CleanupCommand string `json:"cleanupCommand"`

	applied map[string][]string
}

// ObjectOutcome is what one object did, or would do in a server dry run.
type ObjectOutcome struct {
	Kind    string        `json:"kind"`
	Name    string        `json:"name"`
	Outcome apply.Outcome `json:"outcome"`
}

// VMs is the end of a wait, VM by VM.
type VMs struct {
	// For is what the wait waited for: ready (the workload's unit is
	// active) or running (the VM booted).
	For   wait.Target `json:"for"`
	Total int         `json:"total"`
	// Reached counts the VMs that reached For. Its JSON name, kept for
	// the scripts that read it, is "ready" whatever For is.
	Reached int       `json:"ready"`
	Failed  []Problem `json:"failed"`
	Waiting []Problem `json:"waiting"`
	// Latencies are the phase latencies from the server's timestamps.
	Latencies *Latencies `json:"latencies,omitempty"`
	// Seconds from each VM's creation to its VMI running, and to its
	// readiness probe passing (the workload active): the created → running
	// and created → ready rows of Latencies, under the names scripts read.
	TimeToRunning *Percentiles `json:"timeToRunningSeconds,omitempty"`
	TimeToReady   *Percentiles `json:"timeToReadySeconds,omitempty"`
	// Thresholds are the --threshold limits judged against Latencies.
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
}

// Problem is a VM that failed or is still waiting, and why.
type Problem struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// NewSummary starts the summary of a run; image is "" when unknown.
func NewSummary(runID, namespace, image string, dryRun bool) *Summary {
	return &Summary{RunID: runID, Namespace: namespace, Image: image, DryRun: dryRun, CleanupCommand: CleanupCommand(namespace, runID)}
}

// CleanupCommand removes a run, whatever state an interrupted apply left.
func CleanupCommand(namespace, runID string) string {
	return fmt.Sprintf("kubectl virtwork cleanup -n %s --run-id %s --yes", namespace, runID)
}

// SpreadOver records that the run is spread over namespaces: its cleanup
// command looks for the run id in every namespace (-A), which needs no
// local history to find them all.
func (s *Summary) SpreadOver(namespaces []string) {
	if len(namespaces) < 2 {
		return
	}
	s.Namespaces = namespaces
	s.CleanupCommand = fmt.Sprintf("kubectl virtwork cleanup -A --run-id %s --yes", s.RunID)
}

// AddApply counts what the apply did, and took.
func (s *Summary) AddApply(rep *apply.Report, took time.Duration) {
	s.Objects = rep.Counts()
	s.ApplySeconds = took.Seconds()
	s.NotAttempted = rep.NotAttempted
	if rep.Counts()["Namespace"][apply.Created] > 0 {
		// The run made its namespace: removing what was applied
		// includes it (cleanup keeps it if anything else lives there).
		s.CleanupCommand += " --delete-namespace"
	}
	s.applied = map[string][]string{}
	for _, r := range rep.Results {
		if r.Outcome != apply.Failed {
			s.applied[r.Kind] = append(s.applied[r.Kind], r.Name)
		}
	}
	for _, names := range s.applied {
		sort.Strings(names)
	}
	for _, f := range rep.Failures() {
		s.ApplyErrors = append(s.ApplyErrors, f.Err.Error())
	}
	if s.DryRun {
		for _, r := range rep.Results {
			s.DryRunObjects = append(s.DryRunObjects, ObjectOutcome{Kind: r.Kind, Name: r.Name, Outcome: r.Outcome})
		}
		slices.SortStableFunc(s.DryRunObjects, func(a, b ObjectOutcome) int {
			if c := compareKinds(a.Kind, b.Kind); c != 0 {
				return c
			}
			return strings.Compare(a.Name, b.Name)
		})
	}
}

// Incomplete marks an apply that did not finish, so the summary says
// which objects are known to be in the cluster.
func (s *Summary) Incomplete() {
	s.Present = s.applied
	if s.Present == nil {
		s.Present = map[string][]string{}
	}
}

// AddWait adds the end of a wait.
func (s *Summary) AddWait(res *wait.Result) {
	vs := &VMs{For: res.Target, Total: len(res.VMs), Failed: []Problem{}, Waiting: []Problem{}}
	if vs.For == "" {
		vs.For = wait.ForReady
	}
	timelines := make([]Timeline, 0, len(res.VMs))
	for _, v := range res.VMs {
		switch {
		case v.Reached:
			vs.Reached++
		case v.State == wait.Failed:
			vs.Failed = append(vs.Failed, Problem{v.Name, v.Reason})
		default:
			vs.Waiting = append(vs.Waiting, Problem{v.Name, v.Reason})
		}
		timelines = append(timelines, TimelineOf(v))
	}
	vs.Latencies = LatenciesOf(timelines)
	vs.TimeToRunning = vs.Latencies.Of(PhaseCreated, PhaseRunning)
	vs.TimeToReady = vs.Latencies.Of(PhaseCreated, PhaseReady)
	s.VMs = vs
}

// TimelineOf is a waited-for VM's timeline.
func TimelineOf(v wait.VM) Timeline {
	return Timeline{Created: v.Created, Scheduled: v.ScheduledAt, Running: v.RunningAt, Ready: v.ReadyAt, DisksReady: v.DisksReadyAt, Observed: v.Observed}
}

// Counts flattens the summary into the audit history's counts.
func (s *Summary) Counts() map[string]int {
	counts := map[string]int{}
	for kind, byOutcome := range s.Objects {
		for outcome, n := range byOutcome {
			counts[kind+"/"+string(outcome)] = n
		}
	}
	if v := s.VMs; v != nil {
		counts["vms/total"] = v.Total
		counts["vms/ready"] = v.Reached
		counts["vms/failed"] = len(v.Failed)
		counts["vms/waiting"] = len(v.Waiting)
	}
	return counts
}
