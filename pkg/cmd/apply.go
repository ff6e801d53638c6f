package cmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/virtwork/kubectl-virtwork/pkg/apply"
	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/preflight"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
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
	client  dynamic.Interface
	kube    kubernetes.Interface
	mapper  meta.RESTMapper
	server  string
	context string
	rec     *recorder
}

// NewApplyOptions returns ApplyOptions with defaults.
func NewApplyOptions(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *ApplyOptions {
	return &ApplyOptions{IOStreams: streams, DryRun: dryRunNone, Concurrency: 32, run: newRunConfig(deps, configFlags, streams.ErrOut), audit: newAuditFlags(deps)}
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
// cluster clients from the kubeconfig flags.
func (o *ApplyOptions) Complete() error {
	if err := o.run.load(); err != nil {
		return err
	}
	if o.DryRun == dryRunClient {
		return nil // nothing is sent, so nothing is recorded
	}
	if err := o.audit.complete(); err != nil {
		return err
	}
	if raw, err := o.run.configFlags.ToRawKubeConfigLoader().RawConfig(); err == nil {
		o.context = raw.CurrentContext
	}
	if c := o.run.configFlags.Context; c != nil && *c != "" {
		o.context = *c
	}
	cfg, err := restConfig(o.run.configFlags, o.run.deps.LookupEnv)
	if err != nil {
		return err
	}
	o.client, o.mapper, err = clients(cfg, o.run.configFlags, o.Concurrency)
	if err != nil {
		return err
	}
	if o.kube, err = kubeClient(cfg); err != nil {
		return err
	}
	o.server = cfg.Host
	return nil
}

// clients builds the dynamic client and REST mapper with a client-side
// rate limit that does not throttle the worker pool (client-go's default
// of 5 requests/s with bursts of 10 would).
func clients(cfg *rest.Config, flags *genericclioptions.ConfigFlags, concurrency int) (dynamic.Interface, meta.RESTMapper, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS = float32(max(50, 40*concurrency))
	cfg.Burst = max(100, 80*concurrency)
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the API client: %w", err)
	}
	mapper, err := flags.ToRESTMapper()
	if err != nil {
		return nil, nil, fmt.Errorf("discovering the cluster's APIs: %w", err)
	}
	return client, mapper, nil
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
	return checkFor(o.For)
}

// Run renders, applies, waits and prints the summary.
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

	// --timeout bounds the whole command — checks, applying and waiting —
	// so a server that stops answering cannot hold it in retries longer.
	dctx, cancel := context.WithTimeout(ctx, o.run.cfg.Timeout)
	defer cancel()
	if !o.SkipPreflight {
		if err := o.preflight(dctx, b); err != nil {
			return err
		}
	}

	sum := newSummary(o.run.cfg, b, o.DryRun == dryRunServer)
	var workloadNames []string
	for _, w := range o.run.cfg.Workloads {
		workloadNames = append(workloadNames, w.Name)
	}
	opts := runOptions(o.run.cfg)
	opts["concurrency"] = fmt.Sprint(o.Concurrency)
	opts["dry-run"] = o.DryRun
	opts["force-conflicts"] = fmt.Sprint(o.ForceConflicts)
	rec, err := o.audit.startRecording(ctx, audit.Invocation{
		RunID: b.RunID, Command: audit.CommandApply, KubeContext: o.context, Server: o.server,
		Namespace: b.Namespace, Image: o.run.cfg.Image, Workloads: workloadNames, Options: opts,
	}, o.ErrOut)
	if err != nil {
		return err
	}
	o.rec = rec
	rec.event("apply started: %d objects", b.Len())
	prog := newProgress(o.ErrOut)
	total := b.Len()
	var done atomic.Int64
	applier := apply.New(o.client, o.mapper, apply.Options{
		Force:       o.ForceConflicts,
		DryRun:      o.DryRun == dryRunServer,
		Concurrency: o.Concurrency,
		OnResult: func(r apply.Result) {
			rec.object(r)
			prog.update(fmt.Sprintf("applying run %s: %d/%d objects", b.RunID, done.Add(1), total))
		},
	})
	start := time.Now()
	rep, applyErr := applier.Apply(dctx, b.Objects())
	sum.addApply(rep, time.Since(start))
	rec.event("applied %d objects, %d failed, %d not attempted, in %s", len(rep.Results), len(rep.Failures()), rep.NotAttempted, time.Since(start).Round(time.Millisecond))
	prog.finish(fmt.Sprintf("applied %d/%d objects of run %s in %s", len(rep.Results)-len(rep.Failures()), total, b.RunID, time.Since(start).Round(time.Millisecond)))

	if ctx.Err() != nil || dctx.Err() != nil || applyErr != nil {
		sum.incomplete()
	}
	switch {
	case ctx.Err() != nil:
		sum.Interrupted = true
		return o.finish(sum, ErrInterrupted)
	case dctx.Err() != nil:
		return o.finish(sum, fmt.Errorf("applying run %s: --timeout %s passed with %d of %d objects applied", b.RunID, o.run.cfg.Timeout, len(rep.Results)-len(rep.Failures()), total))
	case applyErr != nil:
		return o.finish(sum, applyErr)
	case o.DryRun == dryRunServer || o.NoWait:
		return o.finish(sum, nil)
	}

	res, err := o.wait(dctx, b, rep)
	if err != nil {
		return o.finish(sum, err)
	}
	sum.addWait(res, wait.Target(o.For))
	rec.vms(res)
	c := res.Counts()
	rec.event("wait ended: %d ready, %d failed, %d waiting", c.Ready, c.Failed, c.Waiting)
	if ctx.Err() != nil {
		sum.Interrupted = true
		return o.finish(sum, ErrInterrupted)
	}
	if !res.Done || res.Counts().Failed > 0 {
		return o.finish(sum, ErrNotReady)
	}
	return o.finish(sum, nil)
}

// preflight runs the checks of `kubectl virtwork preflight` for this
// apply; on a failure it prints the checklist to stderr (stdout is for the
// summary) and returns an error naming every problem.
func (o *ApplyOptions) preflight(ctx context.Context, b *render.Bundle) error {
	rep, err := preflight.Run(ctx, o.kube, applyNeeds(o.run.cfg, b, !o.NoWait && o.DryRun == dryRunNone))
	if err != nil {
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled) {
			return ErrInterrupted
		}
		return fmt.Errorf("preflight: %w", err)
	}
	if !rep.OK() {
		rep.Print(o.ErrOut)
		return preflightError(rep, ", nothing was applied; --skip-preflight applies anyway")
	}
	fmt.Fprintf(o.ErrOut, "preflight: all %d checks passed\n", len(rep.Checks))
	return nil
}

// wait follows the run until ctx, which carries the --timeout deadline,
// ends.
func (o *ApplyOptions) wait(ctx context.Context, b *render.Bundle, rep *apply.Report) (*wait.Result, error) {
	return waitForRun(ctx, o.client, o.ErrOut, wait.Options{
		Namespace:   b.Namespace,
		RunID:       b.RunID,
		Expected:    b.VMNames(),
		Started:     rep.AppliedAt("VirtualMachine"),
		DataVolumes: b.HasDataVolumes(),
		For:         wait.Target(o.For),
	})
}

// waitForRun follows a run with a progress line on w.
func waitForRun(ctx context.Context, client dynamic.Interface, w interface{ Write([]byte) (int, error) }, opts wait.Options) (*wait.Result, error) {
	prog := newProgress(w)
	start := time.Now()
	line := func(p wait.Progress) string {
		return fmt.Sprintf("waiting for run %s: %d/%d ready, %d failed, %s", opts.RunID, p.Ready, p.Total, p.Failed, time.Since(start).Round(time.Second))
	}
	opts.Progress = func(p wait.Progress) { prog.update(line(p)) }
	res, err := wait.ForRun(ctx, client, opts)
	if err != nil {
		return nil, fmt.Errorf("waiting for run %s: %w", opts.RunID, err)
	}
	prog.finish(line(res.Counts()))
	return res, nil
}

// finish records the outcome, prints the summary and returns err.
func (o *ApplyOptions) finish(sum *summary, err error) error {
	if err != nil && !errors.Is(err, ErrInterrupted) && !errors.Is(err, ErrNotReady) {
		sum.Error = err.Error()
	}
	status := audit.Succeeded
	switch {
	case errors.Is(err, ErrInterrupted):
		status = audit.Interrupted
		o.rec.event("interrupted")
	case errors.Is(err, ErrNotReady):
		status = audit.NotReady
	case err != nil:
		status = audit.Failed
	}
	o.rec.finish(status, summaryCounts(sum), err)
	if perr := sum.print(o.Out, o.Output); perr != nil && err == nil {
		return perr
	}
	if sum.Interrupted || err != nil {
		fmt.Fprintf(o.ErrOut, "to remove what was applied: %s\n", sum.CleanupCommand)
	}
	return err
}
