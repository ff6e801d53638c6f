package cmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/audit"
)

// HistoryOptions shows past runs from the local audit DB.
type HistoryOptions struct {
	genericiooptions.IOStreams

	Limit  int
	Output string
	RunID  string

	db *auditFlags
}

// NewHistoryCmd builds `kubectl virtwork history [RUN-ID]`.
func NewHistoryCmd(streams genericiooptions.IOStreams, deps Deps) *cobra.Command {
	o := &HistoryOptions{IOStreams: streams, Limit: 20, db: newAuditFlags(deps)}
	c := &cobra.Command{
		Use:   "history [RUN-ID]",
		Short: "Show past applies and cleanups from the local audit history",
		Long: `History reads the local audit DB (` + "`$XDG_STATE_HOME/virtwork/audit.db`" + ` unless --audit-db): every
apply and cleanup this machine ran, newest first. With a run id it shows each invocation of that
run: its options (never secrets), every object and its outcome, events, and each VM's time from
apply to Running.`,
		Example: `  kubectl virtwork history --limit 5
  kubectl virtwork history 3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93 -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.RunID = args[0]
			}
			return runE(o)(c, args)
		},
	}
	c.Flags().IntVar(&o.Limit, "limit", o.Limit, "how many invocations to show (1-1000)")
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: json (default: a table)")
	o.db.addFlags(c, false)
	return c
}

// Complete resolves the DB path.
func (o *HistoryOptions) Complete() error { return o.db.complete() }

// Validate checks the flags.
func (o *HistoryOptions) Validate() error {
	if o.Limit < 1 || o.Limit > 1000 {
		return usageError{fmt.Errorf("--limit must be between 1 and 1000, got %d", o.Limit)}
	}
	if o.Output != "" && o.Output != "json" {
		return invalidOutput(o.Output, "json")
	}
	return nil
}

// Run prints the history or one run's details.
func (o *HistoryOptions) Run(ctx context.Context) error {
	store, err := audit.Open(ctx, o.db.path)
	if err != nil {
		return err
	}
	defer store.Close()
	if o.RunID != "" {
		details, err := store.Runs(ctx, o.RunID)
		if errors.Is(err, audit.ErrNotFound) {
			return fmt.Errorf("run %s is not in the audit history %s", o.RunID, o.db.path)
		}
		if err != nil {
			return err
		}
		if o.Output == "json" {
			return printJSON(o.Out, details)
		}
		for i, d := range details {
			if i > 0 {
				fmt.Fprintln(o.Out)
			}
			printDetail(o, d)
		}
		return nil
	}
	invs, err := store.History(ctx, o.Limit)
	if err != nil {
		return err
	}
	if o.Output == "json" {
		if invs == nil {
			invs = []audit.Invocation{}
		}
		return printJSON(o.Out, invs)
	}
	if len(invs) == 0 {
		fmt.Fprintf(o.ErrOut, "no runs recorded in %s\n", o.db.path)
		return nil
	}
	tw := tabwriter.NewWriter(o.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tRUN ID\tCOMMAND\tSTATUS\tSTARTED\tTOOK\tNAMESPACE\tWORKLOADS")
	for _, inv := range invs {
		took := "-"
		if !inv.FinishedAt.IsZero() {
			took = inv.FinishedAt.Sub(inv.StartedAt).Round(time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", inv.ID, dash(inv.RunID), inv.Command, inv.Status,
			inv.StartedAt.Local().Format(time.DateTime), took, dash(inv.Namespace), dash(strings.Join(inv.Workloads, ",")))
	}
	return tw.Flush()
}

func printDetail(o *HistoryOptions, d audit.Detail) {
	inv := d.Invocation
	fmt.Fprintf(o.Out, "Invocation %d: %s of run %s — %s\n", inv.ID, inv.Command, dash(inv.RunID), inv.Status)
	fmt.Fprintf(o.Out, "Started %s", inv.StartedAt.Local().Format(time.DateTime))
	if !inv.FinishedAt.IsZero() {
		fmt.Fprintf(o.Out, ", took %s", inv.FinishedAt.Sub(inv.StartedAt).Round(time.Millisecond))
	}
	fmt.Fprintf(o.Out, "\nCluster %s (context %s), namespace %s, image %s\n", dash(inv.Server), dash(inv.KubeContext), dash(inv.Namespace), dash(inv.Image))
	if inv.Error != "" {
		fmt.Fprintf(o.Out, "Error: %s\n", inv.Error)
	}
	if len(inv.Options) > 0 {
		var opts []string
		for _, k := range sortedKeys(inv.Options) {
			opts = append(opts, k+"="+inv.Options[k])
		}
		fmt.Fprintf(o.Out, "Options: %s\n", strings.Join(opts, " "))
	}
	outcomes := map[string]map[string]int{}
	for _, obj := range d.Objects {
		if outcomes[obj.Kind] == nil {
			outcomes[obj.Kind] = map[string]int{}
		}
		outcomes[obj.Kind][obj.Outcome]++
	}
	for _, kind := range sortedKeys(outcomes) {
		var parts []string
		for _, oc := range sortedKeys(outcomes[kind]) {
			parts = append(parts, fmt.Sprintf("%d %s", outcomes[kind][oc], oc))
		}
		fmt.Fprintf(o.Out, "  %s: %s\n", kind, strings.Join(parts, ", "))
	}
	for _, obj := range d.Objects {
		if obj.Error != "" {
			fmt.Fprintf(o.Out, "  failed %s %s/%s: %s\n", obj.Kind, obj.Namespace, obj.Name, obj.Error)
		}
	}
	var ttr []time.Duration
	failed := 0
	for _, vm := range d.VMs {
		if !vm.RunningAt.IsZero() && !vm.CreatedAt.IsZero() {
			ttr = append(ttr, vm.RunningAt.Sub(vm.CreatedAt))
		}
		if !vm.FailedAt.IsZero() {
			failed++
		}
	}
	if len(d.VMs) > 0 {
		fmt.Fprintf(o.Out, "VMs: %d, %d reached Running, %d failed\n", len(d.VMs), len(ttr), failed)
	}
	if len(ttr) > 0 {
		slices.Sort(ttr)
		q := func(p float64) time.Duration { return ttr[min(len(ttr)-1, int(p*float64(len(ttr))))] }
		fmt.Fprintf(o.Out, "Time from apply to Running: p50 %s, p95 %s, max %s\n", q(0.5).Round(10*time.Millisecond), q(0.95).Round(10*time.Millisecond), ttr[len(ttr)-1].Round(10*time.Millisecond))
	}
	for _, vm := range d.VMs {
		if !vm.FailedAt.IsZero() {
			fmt.Fprintf(o.Out, "  %s failed: %s\n", vm.Name, vm.Reason)
		}
	}
	if len(d.Events) > 0 {
		fmt.Fprintln(o.Out, "Events:")
		for _, ev := range d.Events {
			fmt.Fprintf(o.Out, "  %s  %s\n", ev.At.Local().Format("15:04:05.000"), ev.Message)
		}
	}
	if len(d.Removed) > 0 {
		fmt.Fprintf(o.Out, "Removed runs: %s\n", strings.Join(d.Removed, ", "))
	}
	if len(d.CleanedBy) > 0 {
		fmt.Fprintf(o.Out, "Removed by cleanup invocation(s): %v\n", d.CleanedBy)
	}
}
