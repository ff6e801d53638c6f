package cmd

import (
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
)

// runRef resolves the settings a command about an existing run uses —
// --run-id (optional), the namespace and the timeout — through the same
// chain as apply (flags, VIRTWORK_* variables, config file, defaults).
type runRef struct {
	deps        Deps
	configFlags *genericclioptions.ConfigFlags
	flags       *config.Flags
}

func newRunRef(deps Deps, configFlags *genericclioptions.ConfigFlags) *runRef {
	return &runRef{deps: deps, configFlags: configFlags, flags: config.NewFlags()}
}

func (r *runRef) load() (*config.Config, error) { return config.LoadRunRef(r.sources()) }

// loadWait also reads --threshold, which wait judges the run by.
func (r *runRef) loadWait() (*config.Config, error) { return config.LoadWaitRef(r.sources()) }

func (r *runRef) sources() config.Sources {
	ns := ""
	if r.configFlags.Namespace != nil {
		ns = *r.configFlags.Namespace
	}
	return config.Sources{Flags: r.flags, Namespace: ns, LookupEnv: r.deps.LookupEnv, ReadFile: r.deps.ReadFile}
}
