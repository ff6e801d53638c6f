package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// WaitOptions re-attaches to a run applied earlier.
type WaitOptions struct {
	genericiooptions.IOStreams

	Output string
	For    string

	deps        Deps
	configFlags *genericclioptions.ConfigFlags
	flags       *config.Flags
	cfg         *config.Config
	client      dynamic.Interface
	mapper      meta.RESTMapper
}

// NewWaitCmd builds `kubectl virtwork wait`.
func NewWaitCmd(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *cobra.Command {
	o := &WaitOptions{IOStreams: streams, deps: deps, configFlags: configFlags, flags: config.NewFlags()}
	c := &cobra.Command{
		Use:   "wait",
		Short: "Wait for the VMs of a run applied earlier to be ready: their workloads running",
		Long: `Wait follows every VM of a run (found by its run-id label) until each is ready, has failed
for good, or --timeout passes, and prints the same summary as apply. Ready means the VM's
readiness probe, run in the guest by its agent, found the workload's unit active; a VM that
runs but whose workload does not is reported as such. --for=running waits only for the VMs
to boot.

` + exitCodeHelp,
		Example: `  kubectl virtwork wait --run-id 3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93 -n virtwork --timeout 5m`,
		RunE:    runE(o),
	}
	o.flags.AddRunIDFlag(c.Flags())
	o.flags.AddTimeoutFlag(c.Flags())
	c.Flags().StringVarP(&o.Output, "output", "o", "", "summary format: json (default: a table)")
	addForFlag(c, &o.For)
	return c
}

// addForFlag adds --for, what apply and wait wait for.
func addForFlag(c *cobra.Command, p *string) {
	c.Flags().StringVar(p, "for", string(wait.ForReady), "what to wait for: ready (each VM's readiness probe says its workload's unit is active) or running (the VMs booted)")
}

// checkFor validates --for.
func checkFor(v string) error {
	switch wait.Target(v) {
	case wait.ForReady, wait.ForRunning:
		return nil
	}
	return usageError{fmt.Errorf("--for must be ready or running, got %q", v)}
}

// Validate checks the output format.
func (o *WaitOptions) Validate() error {
	if o.Output != "" && o.Output != "json" {
		return invalidOutput(o.Output, "json")
	}
	return checkFor(o.For)
}

// Complete resolves --run-id, the namespace and timeout, and the clients.
func (o *WaitOptions) Complete() error {
	cfg, err := loadRunRef(o.deps, o.configFlags, o.flags)
	if err != nil {
		return err
	}
	if cfg.RunID == "" {
		return usageError{fmt.Errorf("--run-id is required: wait follows a run applied earlier")}
	}
	o.cfg = cfg
	rc, err := restConfig(o.configFlags, o.deps.LookupEnv)
	if err != nil {
		return err
	}
	o.client, o.mapper, err = clients(rc, o.configFlags, 4)
	return err
}

// Run waits and prints the summary.
func (o *WaitOptions) Run(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	res, err := waitForRun(wctx, o.client, o.ErrOut, wait.Options{
		Namespace: o.cfg.Namespace, RunID: o.cfg.RunID,
		DataVolumes: hasAPI(o.mapper, wait.DVResource), For: wait.Target(o.For),
	})
	if err != nil {
		return err
	}
	sum := &summary{RunID: o.cfg.RunID, Namespace: o.cfg.Namespace, CleanupCommand: cleanupCommand(o.cfg.Namespace, o.cfg.RunID)}
	sum.addWait(res, wait.Target(o.For))
	if len(res.VMs) == 0 && ctx.Err() == nil {
		return fmt.Errorf("run %s has no VirtualMachines in namespace %s", o.cfg.RunID, o.cfg.Namespace)
	}
	var result error
	switch {
	case ctx.Err() != nil:
		sum.Interrupted, result = true, ErrInterrupted
	case !res.Done || res.Counts().Failed > 0:
		result = ErrNotReady
	}
	if err := sum.print(o.Out, o.Output); err != nil {
		return err
	}
	return result
}

func hasAPI(mapper meta.RESTMapper, gvr schema.GroupVersionResource) bool {
	_, err := mapper.KindFor(gvr)
	return err == nil
}
