package cmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/render"
)

// RenderOptions prints a run's manifests without contacting a cluster.
type RenderOptions struct {
	genericiooptions.IOStreams

	Output    string
	OutputDir string

	run *runConfig
}

// NewRenderOptions returns RenderOptions with defaults.
func NewRenderOptions(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *RenderOptions {
	return &RenderOptions{IOStreams: streams, Output: "yaml", run: newRunConfig(deps, configFlags, streams.ErrOut)}
}

// NewRenderCmd builds `kubectl virtwork render`.
func NewRenderCmd(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *cobra.Command {
	o := NewRenderOptions(streams, deps, configFlags)
	c := &cobra.Command{
		Use:   "render",
		Short: "Print the manifests of a run (no cluster needed)",
		Long: `Render prints the objects 'apply' would create: the Namespace, Services, Secrets with
cloud-init user-data, and VirtualMachines, labelled with the run id. With the same
--run-id and inputs the output is byte-identical, so it can be committed for GitOps and
applied with 'kubectl apply --server-side -f -'.`,
		Example: `  kubectl virtwork render --workloads cpu,database --vm-count 3
  kubectl virtwork render --workloads network --params network.parallel=8 -o json
  kubectl virtwork render --run-id 3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93 --output-dir ./run`,
		RunE: runE(o),
	}
	o.AddFlags(c)
	return c
}

// AddFlags registers render's flags.
func (o *RenderOptions) AddFlags(c *cobra.Command) {
	o.run.addFlags(c)
	c.Flags().StringVarP(&o.Output, "output", "o", o.Output, "output format: yaml (a --- stream) or json (a v1 List)")
	c.Flags().StringVar(&o.OutputDir, "output-dir", "", "write a kustomize directory (one file per object) instead of printing; it must not exist or be empty")
}

// Complete resolves the run configuration from flags, environment and
// config file.
func (o *RenderOptions) Complete([]string) error { return o.run.load() }

// Validate checks the output options.
func (o *RenderOptions) Validate() error {
	if o.Output != "yaml" && o.Output != "json" {
		return invalidOutput(o.Output, "yaml", "json")
	}
	if o.OutputDir != "" && o.Output != "yaml" {
		return usageError{errors.New("--output-dir writes YAML files; drop -o/--output or --output-dir")}
	}
	return nil
}

// Run renders and writes the bundle.
func (o *RenderOptions) Run(ctx context.Context) error {
	b, err := o.run.render()
	if err != nil {
		return err
	}
	if o.OutputDir != "" {
		if err := writeDir(o.OutputDir, b); err != nil {
			return err
		}
		fmt.Fprintf(o.ErrOut, "wrote %d objects of run %s to %s\n", b.Len(), b.RunID, o.OutputDir)
		return nil
	}
	if o.Output == "json" {
		return b.WriteJSON(o.Out)
	}
	return b.WriteYAML(o.Out)
}

func writeDir(dir string, b *render.Bundle) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("reading --output-dir %s: %w", dir, err)
	case len(entries) > 0:
		return usageError{fmt.Errorf("--output-dir %s is not empty; choose a new directory or empty it first", dir)}
	}
	return b.WriteFiles(func(name string, data []byte) error {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
		// Secrets are in there: keep the files to their owner.
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
		return nil
	})
}

func invalidOutput(got string, allowed ...string) error {
	return usageError{fmt.Errorf("--output must be %s, got %q", strings.Join(allowed, " or "), got)}
}
