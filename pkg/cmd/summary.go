package cmd

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/apply"
	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// summary is what apply and wait print on stdout: a table for people,
// JSON (-o json) for scripts.
type summary struct {
	RunID     string `json:"runID"`
	Namespace string `json:"namespace"`
	Image     string `json:"image,omitempty"`
	DryRun    bool   `json:"dryRun,omitempty"`
	// Objects counts apply outcomes per kind.
	Objects      map[string]map[apply.Outcome]int `json:"objects,omitempty"`
	ApplySeconds float64                          `json:"applySeconds,omitempty"`
	ApplyErrors  []string                         `json:"applyErrors,omitempty"`
	// DryRunObjects says, with --dry-run=server, what each object would do.
	DryRunObjects []objectOutcome `json:"dryRunObjects,omitempty"`
	NotAttempted  int             `json:"notAttempted,omitempty"`
	// Present names, by kind, the objects known to be in the cluster when
	// the apply did not finish (an error, --timeout, Ctrl-C). Objects whose
	// request failed are not in it: they may or may not exist.
	Present     map[string][]string `json:"present,omitempty"`
	VMs         *vmSummary          `json:"vms,omitempty"`
	Interrupted bool                `json:"interrupted,omitempty"`
	Error       string              `json:"error,omitempty"`
	// CleanupCommand removes everything the run created.
	CleanupCommand string `json:"cleanupCommand"`

	applied map[string][]string
}

type objectOutcome struct {
	Kind    string        `json:"kind"`
	Name    string        `json:"name"`
	Outcome apply.Outcome `json:"outcome"`
}

type vmSummary struct {
	// For is what the wait waited for: ready (the workload's unit is
	// active) or running (the VM booted).
	For     wait.Target `json:"for"`
	Total   int         `json:"total"`
	Ready   int         `json:"ready"`
	Failed  []vmProblem `json:"failed"`
	Waiting []vmProblem `json:"waiting"`
	// Seconds from each VM's apply to its VMI running, and to its
	// readiness probe passing (the workload active).
	TimeToRunning *percentiles `json:"timeToRunningSeconds,omitempty"`
	TimeToReady   *percentiles `json:"timeToReadySeconds,omitempty"`
}

type vmProblem struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

type percentiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	Max float64 `json:"max"`
}

func newSummary(cfg *config.Config, b *render.Bundle, dryRun bool) *summary {
	s := &summary{RunID: b.RunID, Namespace: b.Namespace, DryRun: dryRun}
	if cfg != nil {
		s.Image = cfg.Image
	}
	s.CleanupCommand = cleanupCommand(b.Namespace, b.RunID)
	return s
}

// cleanupCommand removes a run, whatever state an interrupted apply left.
func cleanupCommand(namespace, runID string) string {
	return fmt.Sprintf("kubectl virtwork cleanup -n %s --run-id %s --yes", namespace, runID)
}

func (s *summary) addApply(rep *apply.Report, took time.Duration) {
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
			s.DryRunObjects = append(s.DryRunObjects, objectOutcome{Kind: r.Kind, Name: r.Name, Outcome: r.Outcome})
		}
		rank := map[string]int{"Namespace": 0, "Service": 1, "Secret": 2, "VirtualMachine": 3}
		sort.SliceStable(s.DryRunObjects, func(i, j int) bool {
			a, b := s.DryRunObjects[i], s.DryRunObjects[j]
			if a.Kind != b.Kind {
				return rank[a.Kind] < rank[b.Kind]
			}
			return a.Name < b.Name
		})
	}
}

// incomplete marks an apply that did not finish, so the summary says
// which objects are known to be in the cluster.
func (s *summary) incomplete() {
	s.Present = s.applied
	if s.Present == nil {
		s.Present = map[string][]string{}
	}
}

func (s *summary) addWait(res *wait.Result, target wait.Target) {
	vs := &vmSummary{For: target, Total: len(res.VMs), Failed: []vmProblem{}, Waiting: []vmProblem{}}
	for _, v := range res.VMs {
		switch v.Phase {
		case wait.Ready:
			vs.Ready++
		case wait.Failed:
			vs.Failed = append(vs.Failed, vmProblem{v.Name, v.Reason})
		default:
			vs.Waiting = append(vs.Waiting, vmProblem{v.Name, v.Reason})
		}
	}
	if p50, p95, worst := res.Percentiles(wait.VM.TimeToRunning); worst > 0 {
		vs.TimeToRunning = &percentiles{P50: p50.Seconds(), P95: p95.Seconds(), Max: worst.Seconds()}
	}
	if p50, p95, worst := res.Percentiles(wait.VM.TimeToReady); worst > 0 {
		vs.TimeToReady = &percentiles{P50: p50.Seconds(), P95: p95.Seconds(), Max: worst.Seconds()}
	}
	s.VMs = vs
}

func (s *summary) print(w io.Writer, format string) error {
	if format == "json" {
		return printJSON(w, s)
	}
	mode := ""
	if s.DryRun {
		mode = " (server dry run: nothing was changed)"
	}
	fmt.Fprintf(w, "Run %s in namespace %s%s\n", s.RunID, s.Namespace, mode)
	if s.Image != "" {
		fmt.Fprintf(w, "Image: %s\n", s.Image)
	}
	if len(s.Objects) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		verbs := []apply.Outcome{apply.Created, apply.Configured, apply.Unchanged, apply.Existing, apply.Failed}
		var head []string
		for _, v := range verbs {
			head = append(head, strings.ToUpper(string(v)))
		}
		fmt.Fprintf(tw, "KIND\t%s\n", strings.Join(head, "\t"))
		for _, kind := range kindsInOrder(s.Objects) {
			var cells []string
			for _, v := range verbs {
				cells = append(cells, fmt.Sprint(s.Objects[kind][v]))
			}
			fmt.Fprintf(tw, "%s\t%s\n", kind, strings.Join(cells, "\t"))
		}
		tw.Flush()
	}
	if len(s.DryRunObjects) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "OBJECT\tWOULD BE")
		for _, o := range s.DryRunObjects {
			fmt.Fprintf(tw, "%s/%s\t%s\n", strings.ToLower(o.Kind), o.Name, o.Outcome)
		}
		tw.Flush()
	}
	const mostErrors = 10
	for i, e := range s.ApplyErrors {
		if i == mostErrors {
			fmt.Fprintf(w, "... and %d more errors\n", len(s.ApplyErrors)-mostErrors)
			break
		}
		fmt.Fprintf(w, "error: %s\n", e)
	}
	if s.Present != nil {
		var parts []string
		for _, kind := range kindsInOrder(s.Objects) {
			if n := len(s.Present[kind]); n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", kind, n))
			}
		}
		if len(parts) == 0 {
			parts = []string{"nothing"}
		}
		fmt.Fprintf(w, "In the cluster: %s", strings.Join(parts, ", "))
		if n := len(s.ApplyErrors); n > 0 {
			fmt.Fprintf(w, "; %d failed and may or may not exist", n)
		}
		fmt.Fprintln(w)
	}
	if s.NotAttempted > 0 {
		fmt.Fprintf(w, "%d objects were not applied\n", s.NotAttempted)
	}
	if v := s.VMs; v != nil {
		done := "ready (workload active)"
		if v.For == wait.ForRunning {
			done = "running"
		}
		fmt.Fprintf(w, "\nVMs: %d %s, %d failed, %d still waiting (of %d)\n", v.Ready, done, len(v.Failed), len(v.Waiting), v.Total)
		if t := v.TimeToRunning; t != nil {
			fmt.Fprintf(w, "Time from apply to Running:        p50 %s, p95 %s, max %s\n", secs(t.P50), secs(t.P95), secs(t.Max))
		}
		if t := v.TimeToReady; t != nil {
			fmt.Fprintf(w, "Time from apply to workload ready: p50 %s, p95 %s, max %s\n", secs(t.P50), secs(t.P95), secs(t.Max))
		}
		problems(w, "FAILED", v.Failed)
		problems(w, "WAITING", v.Waiting)
	}
	if s.Interrupted {
		fmt.Fprintln(w, "\nInterrupted.")
	}
	return nil
}

func problems(w io.Writer, title string, ps []vmProblem) {
	if len(ps) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s VM\tREASON\n", title)
	const most = 50
	for i, p := range ps {
		if i == most {
			fmt.Fprintf(tw, "... and %d more\t\n", len(ps)-most)
			break
		}
		fmt.Fprintf(tw, "%s\t%s\n", p.Name, p.Reason)
	}
	tw.Flush()
}

func secs(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(10 * time.Millisecond).String()
}

func kindsInOrder(m map[string]map[apply.Outcome]int) []string {
	rank := map[string]int{"Namespace": 0, "Service": 1, "Secret": 2, "VirtualMachine": 3}
	var kinds []string
	for k := range m {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		ri, okI := rank[kinds[i]]
		rj, okJ := rank[kinds[j]]
		if okI && okJ {
			return ri < rj
		}
		if okI != okJ {
			return okI
		}
		return kinds[i] < kinds[j]
	})
	return kinds
}
