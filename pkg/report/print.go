package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/virtwork/kubectl-virtwork/pkg/apply"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// Print writes the summary as a table, or as JSON when format is "json".
func (s *Summary) Print(w io.Writer, format string) error {
	if format == "json" {
		return JSON(w, s)
	}
	mode := ""
	if s.DryRun {
		mode = " (server dry run: nothing was changed)"
	}
	where := "namespace " + s.Namespace
	if len(s.Namespaces) > 1 {
		where = fmt.Sprintf("%d namespaces (%s)", len(s.Namespaces), strings.Join(s.Namespaces, ", "))
	}
	fmt.Fprintf(w, "Run %s in %s%s\n", s.RunID, where, mode)
	if s.Image != "" {
		fmt.Fprintf(w, "Image: %s\n", s.Image)
	}
	s.printObjects(w)
	s.printApplyProblems(w)
	if s.VMs != nil {
		s.VMs.print(w)
	}
	if s.Interrupted {
		fmt.Fprintln(w, "\nInterrupted.")
	}
	return nil
}

// printObjects writes the outcomes by kind and, for a server dry run,
// what each object would do.
func (s *Summary) printObjects(w io.Writer) {
	if len(s.Objects) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		verbs := []apply.Outcome{apply.Created, apply.Configured, apply.Unchanged, apply.Existing, apply.Failed}
		var head []string
		for _, v := range verbs {
			head = append(head, strings.ToUpper(string(v)))
		}
		fmt.Fprintf(tw, "KIND\t%s\n", strings.Join(head, "\t"))
		for _, kind := range sortedKinds(s.Objects) {
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
}

// printApplyProblems writes the apply's errors and, when it did not
// finish, what is known to be in the cluster.
func (s *Summary) printApplyProblems(w io.Writer) {
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
		for _, kind := range sortedKinds(s.Objects) {
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
}

func (v *VMs) print(w io.Writer) {
	done := "ready (workload active)"
	if v.For == wait.ForRunning {
		done = "running"
	}
	fmt.Fprintf(w, "\nVMs: %d %s, %d failed, %d still waiting (of %d)\n", v.Reached, done, len(v.Failed), len(v.Waiting), v.Total)
	v.Latencies.print(w)
	printThresholds(w, v.Thresholds)
	problems(w, "FAILED", v.Failed)
	problems(w, "WAITING", v.Waiting)
}

func problems(w io.Writer, title string, ps []Problem) {
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
