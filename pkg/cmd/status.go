package cmd

import (
	"context"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/report"
	"github.com/virtwork/kubectl-virtwork/pkg/status"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// StatusOptions shows the runs present in the cluster.
type StatusOptions struct {
	genericiooptions.IOStreams

	AllNamespaces bool
	Output        string

	ref     *runRef
	audit   *auditFlags
	cfg     *config.Config
	cluster *cluster
	now     func() time.Time
}

// NewStatusOptions returns StatusOptions with defaults.
func NewStatusOptions(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *StatusOptions {
	return &StatusOptions{IOStreams: streams, ref: newRunRef(deps, configFlags), audit: newAuditFlags(deps), now: time.Now}
}

// NewStatusCmd builds `kubectl virtwork status`.
func NewStatusCmd(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *cobra.Command {
	o := NewStatusOptions(streams, deps, configFlags)
	c := &cobra.Command{
		Use:   "status",
		Short: "Show the runs in the cluster, or each VM of one run",
		Long: `Status finds runs by their labels, so it works for runs applied from anywhere (no local
history needed): run id, namespace, workloads, VMs total / running (booted) / ready (workload
active) / failed, and age. With --run-id it counts the run's VMs per node (from each VMI's
status.nodeName; "(unscheduled)" for those on no node yet), then lists each VM with its state
(Pending, Running, Ready or Failed), node and, when it is not ready, why. A run spread over
namespaces (apply --namespaces) is one row, its VMs found in all of them: the local audit
history says which they are; without it, -A finds the run everywhere.`,
		Example: `  kubectl virtwork status -A
  kubectl virtwork status --run-id 3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93 -n virtwork -o json`,
		RunE: runE(o),
	}
	o.AddFlags(c)
	return c
}

// AddFlags registers status's flags.
func (o *StatusOptions) AddFlags(c *cobra.Command) {
	o.ref.flags.AddRunIDFlag(c.Flags())
	c.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "runs in every namespace")
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: json (default: a table)")
	o.audit.addFlags(c, false)
}

// Complete resolves the namespace and run id and builds the clients.
func (o *StatusOptions) Complete([]string) error {
	cfg, err := o.ref.load()
	if err != nil {
		return err
	}
	o.cfg = cfg
	o.cluster, err = connect(o.ref.configFlags, o.ref.deps.LookupEnv, 4)
	return err
}

// Validate checks the output format.
func (o *StatusOptions) Validate() error {
	if o.Output != "" && o.Output != "json" {
		return invalidOutput(o.Output, "json")
	}
	return nil
}

// Run lists the runs and prints them.
func (o *StatusOptions) Run(ctx context.Context) error {
	ns, spread, err := o.audit.scope(ctx, o.cfg.RunID, o.cfg.Namespace, o.AllNamespaces)
	if err != nil {
		return err
	}
	runs, err := status.List(ctx, o.cluster.client, status.Options{
		Namespace: ns, Namespaces: spread, RunID: o.cfg.RunID, DataVolumes: o.cluster.hasAPI(wait.DVResource), Now: o.now,
	})
	if err != nil {
		return err
	}
	if o.Output == "json" {
		return report.JSON(o.Out, runs)
	}
	return status.Print(o.Out, o.ErrOut, runs, ns)
}
