package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/report"
	"github.com/virtwork/kubectl-virtwork/pkg/version"
)

// VersionOptions prints the plugin's version.
type VersionOptions struct {
	genericiooptions.IOStreams

	Output string
}

// NewVersionOptions returns VersionOptions with defaults.
func NewVersionOptions(streams genericiooptions.IOStreams) *VersionOptions {
	return &VersionOptions{IOStreams: streams}
}

// NewVersionCmd builds `kubectl virtwork version`.
func NewVersionCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := NewVersionOptions(streams)
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version of kubectl-virtwork",
		RunE:  runE(o),
	}
	o.AddFlags(c)
	return c
}

// AddFlags registers version's flags.
func (o *VersionOptions) AddFlags(c *cobra.Command) {
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: json")
}

// Complete has nothing to read: the version is stamped at build time.
func (o *VersionOptions) Complete([]string) error { return nil }

// Validate checks the output format.
func (o *VersionOptions) Validate() error {
	if o.Output != "" && o.Output != "json" {
		return invalidOutput(o.Output, "json")
	}
	return nil
}

// Run prints the version.
func (o *VersionOptions) Run(context.Context) error {
	v := version.Get()
	if o.Output == "json" {
		return report.JSON(o.Out, v)
	}
	_, err := fmt.Fprintf(o.Out, "kubectl-virtwork %s (commit %s, built %s, %s, %s)\n", v.Version, v.Commit, v.Date, v.GoVersion, v.Platform)
	return err
}
