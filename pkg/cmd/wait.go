package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/deploy"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// WaitOptions re-attaches to a run applied earlier.
type WaitOptions struct {
	genericiooptions.IOStreams

	Output        string
	For           string
	AllNamespaces bool

	ref     *runRef
	audit   *auditFlags
	cfg     *config.Config
	cluster *cluster
}

// NewWaitOptions returns WaitOptions with defaults.
func NewWaitOptions(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *WaitOptions {
	return &WaitOptions{IOStreams: streams, For: string(wait.ForReady), ref: newRunRef(deps, configFlags), audit: newAuditFlags(deps)}
}

// NewWaitCmd builds `kubectl virtwork wait`.
func NewWaitCmd(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *cobra.Command {
	o := NewWaitOptions(streams, deps, configFlags)
	c := &cobra.Command{
		Use:   "wait",
		Short: "Wait for the VMs of a run applied earlier to be ready: their workloads running",
		Long: `Wait follows every VM of a run (found by its run-id label) until each is ready, has failed
for good, or --timeout passes, and prints the same summary as apply. Ready means the VM's
readiness probe, run in the guest by its agent, found the workload's unit active; a VM that
runs but whose workload does not is reported as such. --for=running waits only for the VMs
to boot.

A run spread over namespaces (apply --namespaces) is followed in all of them: the local
audit history says which they are; without it, -A looks for the run id everywhere.

` + exitCodeHelp,
		Example: `  kubectl virtwork wait --run-id 3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93 -n virtwork --timeout 5m`,
		RunE:    runE(o),
	}
	o.AddFlags(c)
	return c
}

// AddFlags registers wait's flags.
func (o *WaitOptions) AddFlags(c *cobra.Command) {
	o.ref.flags.AddRunIDFlag(c.Flags())
	o.ref.flags.AddTimeoutFlag(c.Flags())
	o.ref.flags.AddThresholdFlag(c.Flags())
	c.Flags().StringVarP(&o.Output, "output", "o", "", "summary format: json (default: a table)")
	c.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "look for the run's VMs in every namespace")
	addForFlag(c, &o.For)
	o.audit.addFlags(c, false)
}

// addForFlag adds --for, what apply and wait wait for.
func addForFlag(c *cobra.Command, p *string) {
	c.Flags().StringVar(p, "for", *p, "what to wait for: ready (each VM's readiness probe says its workload's unit is active) or running (the VMs booted)")
}

// checkFor validates --for, and that it waits for every phase a
// --threshold is on.
func checkFor(v string, thresholds []config.Threshold) error {
	switch wait.Target(v) {
	case wait.ForReady:
		return nil
	case wait.ForRunning:
		for _, t := range thresholds {
			if t.Phase == "ready" {
				return usageError{fmt.Errorf("--threshold %s needs --for=ready: a wait --for=running ends before the VMs are ready", t)}
			}
		}
		return nil
	}
	return usageError{fmt.Errorf("--for must be ready or running, got %q", v)}
}

// Complete resolves --run-id, the namespace and timeout, and the clients.
func (o *WaitOptions) Complete([]string) error {
	cfg, err := o.ref.loadWait()
	if err != nil {
		return err
	}
	if cfg.RunID == "" {
		return usageError{fmt.Errorf("--run-id is required: wait follows a run applied earlier")}
	}
	o.cfg = cfg
	o.cluster, err = connect(o.ref.configFlags, o.ref.deps.LookupEnv, 4)
	return err
}

// Validate checks the output format and --for.
func (o *WaitOptions) Validate() error {
	if o.Output != "" && o.Output != "json" {
		return invalidOutput(o.Output, "json")
	}
	return checkFor(o.For, o.cfg.Thresholds)
}

// Run waits and prints the summary.
func (o *WaitOptions) Run(ctx context.Context) error {
	ns, spread, err := o.audit.scope(ctx, o.cfg.RunID, o.cfg.Namespace, o.AllNamespaces)
	if err != nil {
		return err
	}
	sum, err := deploy.Wait(ctx, deploy.WaitOptions{
		Client: o.cluster.client, Namespace: ns, Namespaces: spread, RunID: o.cfg.RunID, Timeout: o.cfg.Timeout,
		DataVolumes: o.cluster.hasAPI(wait.DVResource), For: wait.Target(o.For), Thresholds: o.cfg.Thresholds, Log: o.ErrOut,
	})
	if sum == nil {
		return err
	}
	if perr := sum.Print(o.Out, o.Output); perr != nil {
		return perr
	}
	return err
}
