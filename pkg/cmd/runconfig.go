package cmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
)

// runConfig resolves and renders a run the same way for every command that
// makes one (render, plan, apply), so apply sends exactly what render prints
// and plan shows.
type runConfig struct {
	deps        Deps
	configFlags *genericclioptions.ConfigFlags
	flags       *config.Flags
	cfg         *config.Config
	// warn receives warnings, such as a chaos workload being selected.
	warn io.Writer
}

func newRunConfig(deps Deps, configFlags *genericclioptions.ConfigFlags, warn io.Writer) *runConfig {
	return &runConfig{deps: deps, configFlags: configFlags, flags: config.NewFlags(), warn: warn}
}

func (r *runConfig) addFlags(c *cobra.Command) {
	r.flags.AddFlags(c.Flags())
	registerWorkloadCompletion(c, r.deps)
}

// load resolves flags, VIRTWORK_* variables and the config file.
func (r *runConfig) load() error {
	ns := ""
	if r.configFlags.Namespace != nil {
		ns = *r.configFlags.Namespace
	}
	cfg, err := config.Load(r.deps.Registry, config.Sources{
		Flags: r.flags, Namespace: ns,
		LookupEnv: r.deps.LookupEnv, ReadFile: r.deps.ReadFile, NewRunID: r.deps.NewRunID, OpenDir: r.deps.OpenDir,
		Now: r.deps.Now,
	})
	if err != nil {
		return err
	}
	r.cfg = cfg
	for _, w := range cfg.Workloads {
		if wl, ok := cfg.Registry.Get(w.Name); ok && wl.Spec().Chaos && r.warn != nil {
			fmt.Fprintf(r.warn, "warning: workload %s injects failures (%s); its objects carry the label virtwork/chaos=true\n", w.Name, wl.Spec().Description)
		}
	}
	return nil
}

func (r *runConfig) render() (*render.Bundle, error) {
	b, err := render.Render(render.Input{Config: r.cfg, Registry: r.cfg.Registry})
	if err != nil {
		return nil, fmt.Errorf("rendering run %s: %w", r.cfg.RunID, err)
	}
	return b, nil
}
