package cmd

import (
	"context"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/deploy"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// Dry-run modes, spelled as kubectl spells them.
const (
	dryRunNone   = "none"
	dryRunClient = "client"
	dryRunServer = "server"
)

// ApplyOptions deploys a run and waits for its VMs.
type ApplyOptions struct {
	genericiooptions.IOStreams

	DryRun         string
	ForceConflicts bool
	Concurrency    int
	NoWait         bool
	For            string
	SkipPreflight  bool
	Output         string

	run     *runConfig
	audit   *auditFlags
	cluster *cluster
}

// NewApplyOptions returns ApplyOptions with defaults.
func NewApplyOptions(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *ApplyOptions {
	return &ApplyOptions{IOStreams: streams, DryRun: dryRunNone, Concurrency: 32, For: string(wait.ForReady),
		run: newRunConfig(deps, configFlags, streams.ErrOut), audit: newAuditFlags(deps)}
}

// NewApplyCmd builds `kubectl virtwork apply` (alias run).
func NewApplyCmd(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *cobra.Command {
	o := NewApplyOptions(streams, deps, configFlags)
	c := &cobra.Command{
		Use:     "apply",
		Aliases: []string{"run"},
		Short:   "Deploy a run with server-side apply and wait until its VMs are running",
		Long: `Apply renders exactly what 'render' prints and sends it with server-side apply (field
manager kubectl-virtwork): the Namespace, then Services, Secrets and VirtualMachines, each kind
through --concurrency parallel requests. It then watches the run's VMs until every one is
running, has failed for good (reported at once, with the reason), or --timeout passes, and prints
a summary. Re-applying with the same --run-id converges: changed inputs update objects in place,
unchanged ones are left alone.

` + exitCodeHelp,
		Example: `  kubectl virtwork apply --workloads cpu,database --vm-count 3
  kubectl virtwork apply --run-id 3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93 --params cpu.load-percent=50
  kubectl virtwork apply --workloads network --dry-run=server`,
		RunE: runE(o),
	}
	o.AddFlags(c)
	return c
}

// AddFlags registers apply's flags.
func (o *ApplyOptions) AddFlags(c *cobra.Command) {
	o.run.addFlags(c)
	o.run.flags.AddTimeoutFlag(c.Flags())
	o.run.flags.AddThresholdFlag(c.Flags())
	c.Flags().StringVar(&o.DryRun, "dry-run", o.DryRun, `"none", "client" (print the bundle, send nothing) or "server" (send every request as a dry run and report what would change)`)
	c.Flags().Lookup("dry-run").NoOptDefVal = dryRunClient
	c.Flags().BoolVar(&o.ForceConflicts, "force-conflicts", false, "take over fields another field manager owns")
	c.Flags().IntVar(&o.Concurrency, "concurrency", o.Concurrency, "requests in flight while applying one kind (1-256)")
	c.Flags().BoolVar(&o.NoWait, "no-wait", false, "return once everything is applied, without waiting for the VMs")
	addForFlag(c, &o.For)
	c.Flags().BoolVar(&o.SkipPreflight, "skip-preflight", false, "apply without first checking the APIs, your permissions and the default StorageClass (see 'kubectl virtwork preflight')")
	c.Flags().StringVarP(&o.Output, "output", "o", "", "summary format: json (default: a table); with --dry-run=client, yaml or json for the bundle")
	o.audit.addFlags(c, true)
}

// Complete resolves the run and, unless nothing is to be sent, the
// audit history and the cluster clients from the kubeconfig flags.
func (o *ApplyOptions) Complete([]string) error {
	if err := o.run.load(); err != nil {
		return err
	}
	if o.DryRun == dryRunClient {
		return nil // nothing is sent, so nothing is recorded
	}
	if err := o.audit.complete(); err != nil {
		return err
	}
	var err error
	o.cluster, err = connect(o.run.configFlags, o.run.deps.LookupEnv, o.Concurrency)
	return err
}

// Validate checks apply's own flags.
func (o *ApplyOptions) Validate() error {
	switch o.DryRun {
	case dryRunNone, dryRunClient, dryRunServer:
	default:
		return usageError{fmt.Errorf(`--dry-run must be "none", "client" or "server", got %q`, o.DryRun)}
	}
	if o.Concurrency < 1 || o.Concurrency > 256 {
		return usageError{fmt.Errorf("--concurrency must be between 1 and 256, got %d", o.Concurrency)}
	}
	allowed := []string{"json"}
	if o.DryRun == dryRunClient {
		allowed = []string{"yaml", "json"}
	}
	if o.Output != "" && !slices.Contains(allowed, o.Output) {
		return invalidOutput(o.Output, allowed...)
	}
	if len(o.run.cfg.Thresholds) > 0 && (o.NoWait || o.DryRun != dryRunNone) {
		return usageError{fmt.Errorf("--threshold judges the wait: not with --no-wait or --dry-run")}
	}
	return checkFor(o.For, o.run.cfg.Thresholds)
}

// Run renders the run and, for --dry-run=client, prints it; otherwise it
// deploys it and prints the summary.
func (o *ApplyOptions) Run(ctx context.Context) error {
	b, err := o.run.render()
	if err != nil {
		return err
	}
	if o.DryRun == dryRunClient {
		if o.Output == "json" {
			return b.WriteJSON(o.Out)
		}
		return b.WriteYAML(o.Out)
	}
	sum, err := deploy.Apply(ctx, deploy.Options{
		Client: o.cluster.client, Mapper: o.cluster.mapper, Kube: o.cluster.kube,
		Config: o.run.cfg, Bundle: b,
		ServerDryRun: o.DryRun == dryRunServer, ForceConflicts: o.ForceConflicts, Concurrency: o.Concurrency,
		NoWait: o.NoWait, For: wait.Target(o.For), SkipPreflight: o.SkipPreflight,
		AuditDB: o.audit.path, KubeContext: o.cluster.context, Server: o.cluster.server,
		Log: o.ErrOut,
	})
	if sum == nil {
		return err
	}
	if perr := sum.Print(o.Out, o.Output); perr != nil && err == nil {
		return perr
	}
	if sum.Interrupted || err != nil {
		fmt.Fprintf(o.ErrOut, "to remove what was applied: %s\n", sum.CleanupCommand)
	}
	return err
}
