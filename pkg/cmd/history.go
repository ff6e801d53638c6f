package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/report"
)

// HistoryOptions shows past runs from the local audit DB.
type HistoryOptions struct {
	genericiooptions.IOStreams

	Limit  int
	Output string
	RunID  string

	db *auditFlags
}

// NewHistoryOptions returns HistoryOptions with defaults.
func NewHistoryOptions(streams genericiooptions.IOStreams, deps Deps) *HistoryOptions {
	return &HistoryOptions{IOStreams: streams, Limit: 20, db: newAuditFlags(deps)}
}

// NewHistoryCmd builds `kubectl virtwork history [RUN-ID]`.
func NewHistoryCmd(streams genericiooptions.IOStreams, deps Deps) *cobra.Command {
	o := NewHistoryOptions(streams, deps)
	c := &cobra.Command{
		Use:   "history [RUN-ID]",
		Short: "Show past applies, cleanups and disruptions from the local audit history",
		Long: `History reads the local audit DB (` + "`$XDG_STATE_HOME/virtwork/audit.db`" + ` unless --audit-db): every
apply and cleanup this machine ran, newest first. With a run id it shows each invocation of that
run: its options (never secrets), every object and its outcome, events, and the latency table of
its VMs (p50, p95, p99 and max from creation to scheduled, running and ready, from the cluster's
timestamps), as apply and wait printed it; for a disrupt, each event: its VM, kind, start, source
and target node, how long it took, how long the workload was not ready, and its outcome.`,
		Example: `  kubectl virtwork history --limit 5
  kubectl virtwork history 3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93 -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: runE(o),
	}
	o.AddFlags(c)
	return c
}

// AddFlags registers history's flags.
func (o *HistoryOptions) AddFlags(c *cobra.Command) {
	c.Flags().IntVar(&o.Limit, "limit", o.Limit, "how many invocations to show (1-1000)")
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: json (default: a table)")
	o.db.addFlags(c, false)
}

// Complete takes the run id argument and resolves the DB path.
func (o *HistoryOptions) Complete(args []string) error {
	if len(args) == 1 {
		o.RunID = args[0]
	}
	return o.db.complete()
}

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
	return report.History(ctx, store, report.HistoryOptions{RunID: o.RunID, Limit: o.Limit, Format: o.Output, Out: o.Out, ErrOut: o.ErrOut})
}
