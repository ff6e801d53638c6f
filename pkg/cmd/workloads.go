package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/report"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// WorkloadsOptions lists the workloads, built-in and custom, and their
// params.
type WorkloadsOptions struct {
	genericiooptions.IOStreams

	Output string
	Guest  string

	deps  Deps
	flags *config.Flags
	guest workloads.Guest
	reg   *workloads.Registry
}

// NewWorkloadsOptions returns WorkloadsOptions with defaults.
func NewWorkloadsOptions(streams genericiooptions.IOStreams, deps Deps) *WorkloadsOptions {
	return &WorkloadsOptions{IOStreams: streams, Guest: string(workloads.DefaultGuest), deps: deps, flags: config.NewFlags()}
}

// NewWorkloadsCmd builds `kubectl virtwork workloads`.
func NewWorkloadsCmd(streams genericiooptions.IOStreams, deps Deps) *cobra.Command {
	o := NewWorkloadsOptions(streams, deps)
	c := &cobra.Command{
		Use:   "workloads",
		Short: "List the workloads (built-in and from --workload-dir), their VM roles, disks, Services and params",
		Args:  cobra.NoArgs,
		RunE:  runE(o),
	}
	o.AddFlags(c)
	return c
}

// AddFlags registers the flags: where custom workloads are, the format
// and the guest family.
func (o *WorkloadsOptions) AddFlags(c *cobra.Command) {
	o.flags.AddRegistryFlags(c.Flags())
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: json")
	c.Flags().StringVar(&o.Guest, "guest", o.Guest, "list the package names of this guest family: fedora, centos-stream, ubuntu, debian or rhel")
}

// Complete loads the registry with the custom workloads of
// --workload-dir, VIRTWORK_WORKLOAD_DIR or the config file.
func (o *WorkloadsOptions) Complete([]string) error {
	var err error
	o.reg, err = config.LoadRegistry(o.deps.Registry, config.Sources{Flags: o.flags, LookupEnv: o.deps.LookupEnv, ReadFile: o.deps.ReadFile, OpenDir: o.deps.OpenDir})
	return err
}

// Validate checks the output format and the guest family.
func (o *WorkloadsOptions) Validate() error {
	if o.Output != "" && o.Output != "json" {
		return invalidOutput(o.Output, "json")
	}
	g, err := workloads.ParseGuest(o.Guest)
	if err != nil {
		return usageError{fmt.Errorf("--guest %w", err)}
	}
	o.guest = g
	return nil
}

// Run prints the workloads.
func (o *WorkloadsOptions) Run(context.Context) error {
	infos := workloads.Describe(o.reg, o.guest)
	if o.Output == "json" {
		return report.JSON(o.Out, infos)
	}
	report.Workloads(o.Out, infos, o.guest)
	return nil
}
