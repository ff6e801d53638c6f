package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/audit"
)

// HistoryOptions say what of the audit history to print.
type HistoryOptions struct {
	// RunID, when set, prints each invocation of that run in detail;
	// otherwise the newest Limit invocations are listed.
	RunID  string
	Limit  int
	Format string // "json", or "" for tables
	// Out receives the history; ErrOut the note that there is none.
	Out, ErrOut io.Writer
}

// History prints the audit history held in store.
func History(ctx context.Context, store *audit.Store, o HistoryOptions) error {
	if o.RunID != "" {
		details, err := store.Runs(ctx, o.RunID)
		if errors.Is(err, audit.ErrNotFound) {
			return fmt.Errorf("run %s is not in the audit history %s", o.RunID, store.Path())
		}
		if err != nil {
			return err
		}
		if o.Format == "json" {
			out := make([]DetailJSON, 0, len(details))
			for _, d := range details {
				out = append(out, DetailJSON{Detail: d, Latencies: LatenciesOf(timelines(d.VMs))})
			}
			return JSON(o.Out, out)
		}
		for i, d := range details {
			if i > 0 {
				fmt.Fprintln(o.Out)
			}
			PrintDetail(o.Out, d)
		}
		return nil
	}
	invs, err := store.History(ctx, o.Limit)
	if err != nil {
		return err
	}
	if o.Format == "json" {
		if invs == nil {
			invs = []audit.Invocation{}
		}
		return JSON(o.Out, invs)
	}
	if len(invs) == 0 {
		fmt.Fprintf(o.ErrOut, "no runs recorded in %s\n", store.Path())
		return nil
	}
	return printInvocations(o.Out, invs)
}

func printInvocations(w io.Writer, invs []audit.Invocation) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tRUN ID\tCOMMAND\tSTATUS\tSTARTED\tTOOK\tNAMESPACE\tWORKLOADS")
	for _, inv := range invs {
		took := "-"
		if !inv.FinishedAt.IsZero() {
			took = inv.FinishedAt.Sub(inv.StartedAt).Round(time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", inv.ID, dash(inv.RunID), inv.Command, inv.Status,
			inv.StartedAt.Local().Format(time.DateTime), took, dash(namespacesText(inv)), dash(strings.Join(inv.Workloads, ",")))
	}
	return tw.Flush()
}

// PrintDetail writes one invocation: what it was asked, what it did to
// each kind, its VMs' times to Running (the same figures apply printed),
// its events and its links to cleanups.
func PrintDetail(w io.Writer, d audit.Detail) {
	inv := d.Invocation
	fmt.Fprintf(w, "Invocation %d: %s of run %s — %s\n", inv.ID, inv.Command, dash(inv.RunID), inv.Status)
	fmt.Fprintf(w, "Started %s", inv.StartedAt.Local().Format(time.DateTime))
	if !inv.FinishedAt.IsZero() {
		fmt.Fprintf(w, ", took %s", inv.FinishedAt.Sub(inv.StartedAt).Round(time.Millisecond))
	}
	where := "namespace " + dash(inv.Namespace)
	if len(inv.Namespaces) > 1 {
		where = fmt.Sprintf("%d namespaces %s", len(inv.Namespaces), strings.Join(inv.Namespaces, ", "))
	}
	fmt.Fprintf(w, "\nCluster %s (context %s), %s, image %s\n", dash(inv.Server), dash(inv.KubeContext), where, dash(inv.Image))
	if inv.Error != "" {
		fmt.Fprintf(w, "Error: %s\n", inv.Error)
	}
	if len(inv.Options) > 0 {
		var opts []string
		for _, k := range slices.Sorted(maps.Keys(inv.Options)) {
			opts = append(opts, k+"="+inv.Options[k])
		}
		fmt.Fprintf(w, "Options: %s\n", strings.Join(opts, " "))
	}
	printObjectRecords(w, d.Objects)
	printVMRecords(w, d.VMs)
	printDisruptions(w, d.Disruptions)
	if len(d.Events) > 0 {
		fmt.Fprintln(w, "Events:")
		for _, ev := range d.Events {
			fmt.Fprintf(w, "  %s  %s\n", ev.At.Local().Format("15:04:05.000"), ev.Message)
		}
	}
	if len(d.Removed) > 0 {
		fmt.Fprintf(w, "Removed runs: %s\n", strings.Join(d.Removed, ", "))
	}
	if len(d.CleanedBy) > 0 {
		fmt.Fprintf(w, "Removed by cleanup invocation(s): %v\n", d.CleanedBy)
	}
}

// printObjectRecords writes the outcomes by kind, in the one kind order,
// and each failure.
func printObjectRecords(w io.Writer, objs []audit.Object) {
	outcomes := map[string]map[string]int{}
	for _, obj := range objs {
		if outcomes[obj.Kind] == nil {
			outcomes[obj.Kind] = map[string]int{}
		}
		outcomes[obj.Kind][obj.Outcome]++
	}
	for _, kind := range sortedKinds(outcomes) {
		var parts []string
		for _, oc := range slices.Sorted(maps.Keys(outcomes[kind])) {
			parts = append(parts, fmt.Sprintf("%d %s", outcomes[kind][oc], oc))
		}
		fmt.Fprintf(w, "  %s: %s\n", kind, strings.Join(parts, ", "))
	}
	for _, obj := range objs {
		if obj.Error != "" {
			fmt.Fprintf(w, "  failed %s %s/%s: %s\n", obj.Kind, obj.Namespace, obj.Name, obj.Error)
		}
	}
}

// DetailJSON is an invocation as `history RUN -o json` prints it: what
// the history recorded, and the latency table of its VMs as apply printed
// it.
type DetailJSON struct {
	audit.Detail
	Latencies *Latencies `json:"latencies,omitempty"`
}

// timelines are the recorded VMs' timelines.
func timelines(vms []audit.VM) []Timeline {
	out := make([]Timeline, 0, len(vms))
	for _, vm := range vms {
		out = append(out, Timeline{Created: vm.CreatedAt, Scheduled: vm.ScheduledAt, Running: vm.RunningAt, Ready: vm.ReadyAt, DisksReady: vm.DisksReadyAt, Observed: vm.Observed})
	}
	return out
}

// printVMRecords writes how many VMs reached Running and Ready, the
// latency table and the failures.
func printVMRecords(w io.Writer, vms []audit.VM) {
	running, ready, failed := 0, 0, 0
	for _, vm := range vms {
		if !vm.RunningAt.IsZero() {
			running++
		}
		if !vm.ReadyAt.IsZero() {
			ready++
		}
		if !vm.FailedAt.IsZero() {
			failed++
		}
	}
	if len(vms) > 0 {
		fmt.Fprintf(w, "VMs: %d, %d reached Running, %d Ready, %d failed\n", len(vms), running, ready, failed)
	}
	LatenciesOf(timelines(vms)).print(w)
	for _, vm := range vms {
		if !vm.FailedAt.IsZero() {
			fmt.Fprintf(w, "  %s failed: %s\n", vm.Name, vm.Reason)
		}
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// namespacesText is an invocation's namespace, or the namespaces of a run
// spread over several as <first>..<last> (N).
func namespacesText(inv audit.Invocation) string {
	if n := len(inv.Namespaces); n > 1 {
		return fmt.Sprintf("%s..%s (%d)", inv.Namespaces[0], inv.Namespaces[n-1], n)
	}
	return inv.Namespace
}

// printDisruptions lists the day-2 events of a disrupt invocation, oldest
// first: what happened to which VM, between which nodes, how long it took
// and how it ended.
func printDisruptions(w io.Writer, ds []audit.Disruption) {
	if len(ds) == 0 {
		return
	}
	fmt.Fprintln(w, "Disruptions:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  START\tKIND\tVM\tFROM\tTO\tTOOK\tNOT READY\tOUTCOME")
	for _, d := range ds {
		took := "-"
		if !d.End.IsZero() {
			took = d.End.Sub(d.Start).Round(10 * time.Millisecond).String()
		}
		outcome := d.Outcome
		if d.Reason != "" {
			outcome += ": " + d.Reason
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s/%s\t%s\t%s\t%s\t%s\t%s\n", d.Start.Local().Format("15:04:05.000"), d.Kind, d.Namespace, d.VM,
			dash(d.SourceNode), dash(d.TargetNode), took, d.Downtime.Round(10*time.Millisecond), outcome)
	}
	tw.Flush()
}
