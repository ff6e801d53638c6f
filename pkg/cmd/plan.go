package cmd

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/plan"
	"github.com/virtwork/kubectl-virtwork/pkg/profile"
)

// PlanOptions prints how a run's load moves over time, without a cluster.
type PlanOptions struct {
	genericiooptions.IOStreams

	Output string
	Window string

	window time.Duration
	run    *runConfig
}

// NewPlanOptions returns PlanOptions with defaults.
func NewPlanOptions(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *PlanOptions {
	return &PlanOptions{IOStreams: streams, Window: profile.FormatDuration(plan.DefaultWindow), run: newRunConfig(deps, configFlags, streams.ErrOut)}
}

// NewPlanCmd builds `kubectl virtwork plan`.
func NewPlanCmd(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *cobra.Command {
	o := NewPlanOptions(streams, deps, configFlags)
	c := &cobra.Command{
		Use:   "plan",
		Short: "Show how a run's load moves over time (no cluster needed)",
		Long: `Plan takes the flags of 'render' and prints, per workload, its load profile, when it
starts and ends, a chart of its level over the window (--window, from the start) and the
aggregate over its VMs ("20 cpu VMs × 2 vCPU at 90% ⇒ 36 vCPU busy from 10:05Z to
10:10Z"). With -o json it gives every VM's segments, with absolute UTC times when
--start-at is set and offsets from boot otherwise: the signal to expect. It computes levels
with the same code that writes the guests' schedule files.`,
		Example: `  kubectl virtwork plan --workloads cpu --vm-count 20 \
    --profile cpu=square:high=90,low=10,period=10m --start-at +5m --duration 2h
  kubectl virtwork plan --workloads cpu --profile cpu=sine:min=20,max=80,period=1h --window 1d
  kubectl virtwork plan --config run.yaml --run-id 3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93 -o json`,
		RunE: runE(o),
	}
	o.AddFlags(c)
	return c
}

// AddFlags registers plan's flags: render's run flags, --window and -o.
func (o *PlanOptions) AddFlags(c *cobra.Command) {
	o.run.addFlags(c)
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: json (default: a chart and the aggregate per workload)")
	c.Flags().StringVar(&o.Window, "window", o.Window, "how much of each workload's run to show, from its start (1m-30d)")
	_ = c.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"json"}, cobra.ShellCompDirectiveNoFileComp
	})
}

// Complete resolves the run configuration from flags, environment and
// config file.
func (o *PlanOptions) Complete([]string) error { return o.run.load() }

// Validate checks the output format and the window.
func (o *PlanOptions) Validate() error {
	if o.Output != "" && o.Output != "json" {
		return invalidOutput(o.Output, "json")
	}
	d, err := profile.ParseDurationIn(o.Window, "--window", plan.MinWindow, plan.MaxWindow)
	if err != nil {
		return usageError{err}
	}
	o.window = d
	return nil
}

// Run builds the plan and prints it.
func (o *PlanOptions) Run(context.Context) error {
	b, err := o.run.render()
	if err != nil {
		return err
	}
	p, err := plan.Build(plan.Options{Config: o.run.cfg, Bundle: b, Window: o.window, Segments: o.Output == "json"})
	if errors.Is(err, plan.ErrTooLarge) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	if o.Output == "json" {
		return plan.WriteJSON(o.Out, p)
	}
	return plan.Write(o.Out, p)
}
