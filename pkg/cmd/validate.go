package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/validate"
)

// ValidateOptions checks custom workload directories.
type ValidateOptions struct {
	genericiooptions.IOStreams

	deps Deps
	dirs []string
}

// NewValidateOptions returns ValidateOptions with defaults.
func NewValidateOptions(streams genericiooptions.IOStreams, deps Deps) *ValidateOptions {
	return &ValidateOptions{IOStreams: streams, deps: deps}
}

// NewValidateCmd checks custom workload directories as --workload-dir
// would, then runs the real validators on what each workload renders.
func NewValidateCmd(streams genericiooptions.IOStreams, deps Deps) *cobra.Command {
	o := NewValidateOptions(streams, deps)
	c := &cobra.Command{
		Use:   "validate DIR...",
		Short: "Check custom workload directories, then run cloud-init, systemd and shellcheck on what they render",
		Long: `validate reads each DIR as --workload-dir does (a directory holding a workload.yaml, or
a directory of such directories) with exactly the same checks, renders every valid
workload with its default params, and runs the real validators installed here on each
role's user-data: cloud-init schema, systemd-analyze verify (commands from the guest's
packages are stubbed) and shellcheck. It prints one verdict per workload directory and
exits 2 when any is invalid.`,
		Example: `  kubectl virtwork validate examples/workloads`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("%s needs at least one directory", c.CommandPath())}
			}
			return nil
		},
		RunE: runE(o),
	}
	o.AddFlags(c)
	return c
}

// AddFlags registers validate's flags: it has none of its own.
func (o *ValidateOptions) AddFlags(*cobra.Command) {}

// Complete takes the directories.
func (o *ValidateOptions) Complete(args []string) error {
	o.dirs = args
	return nil
}

// Validate checks that each directory is named.
func (o *ValidateOptions) Validate() error {
	for _, d := range o.dirs {
		if d == "" {
			return usageError{fmt.Errorf("validate: empty directory name")}
		}
	}
	return nil
}

// Run checks each directory and prints one verdict per workload as soon as
// it is known.
func (o *ValidateOptions) Run(ctx context.Context) error {
	rep := validate.Dirs(ctx, validate.Options{
		Dirs: o.dirs, Registry: o.deps.Registry, OpenDir: o.deps.OpenDir, ReadFile: o.deps.ReadFile, Out: o.Out,
	})
	if n := rep.Invalid(); n > 0 {
		return usageError{fmt.Errorf("%d of %d workload directories are invalid", n, len(rep.Entries))}
	}
	return nil
}
