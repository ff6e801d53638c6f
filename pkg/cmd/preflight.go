package cmd

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/deploy"
	"github.com/virtwork/kubectl-virtwork/pkg/disrupt"
	"github.com/virtwork/kubectl-virtwork/pkg/preflight"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// preflightCommands are the commands preflight can check for.
var preflightCommands = []string{"apply", "wait", "status", "cleanup", "disrupt"}

// PreflightOptions checks the cluster and the user's permissions for a
// command.
type PreflightOptions struct {
	genericiooptions.IOStreams

	For             string
	AllNamespaces   bool
	DeleteNamespace bool
	NoWait          bool
	Output          string
	// Events are the kinds of event a disrupt would carry out.
	Events []string

	run     *runConfig
	cluster *cluster
}

// NewPreflightOptions returns PreflightOptions with defaults.
func NewPreflightOptions(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *PreflightOptions {
	return &PreflightOptions{IOStreams: streams, For: "apply", Events: kindNames(), run: newRunConfig(deps, configFlags, streams.ErrOut)}
}

// NewPreflightCmd builds `kubectl virtwork preflight`.
func NewPreflightCmd(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *cobra.Command {
	o := NewPreflightOptions(streams, deps, configFlags)
	c := &cobra.Command{
		Use:   "preflight",
		Short: "Check that the cluster and your permissions allow a command, before running it",
		Long: `Preflight checks what a command (--for, default apply) needs: that the KubeVirt API is served
(and CDI's, for workloads with data disks), in which versions; every permission the command will
use, each asked of the API server's authorizer (SelfSubjectAccessReview); and, when a workload
has a data disk without --storage-class, a default StorageClass. It prints a checklist and exits
1 when something is missing. apply runs the same checks first unless --skip-preflight.

For apply it takes the same flags as apply, since the workloads decide what is needed; for
disrupt, --events names the kinds of event to check for (each needs its own verbs). A run
spread over namespaces (--namespaces) needs every permission cluster-wide, for any --for.

` + exitCodeHelp,
		Example: `  kubectl virtwork preflight --workloads cpu,database -n load-test
  kubectl virtwork preflight --for cleanup -n load-test --delete-namespace
  kubectl virtwork preflight --for status -A -o json
  kubectl virtwork preflight --for disrupt -n load-test --events migrate`,
		RunE: runE(o),
	}
	o.AddFlags(c)
	return c
}

// AddFlags registers preflight's flags.
func (o *PreflightOptions) AddFlags(c *cobra.Command) {
	o.run.addFlags(c)
	c.Flags().StringVar(&o.For, "for", o.For, "the command to check for: "+strings.Join(preflightCommands, ", "))
	c.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "status or cleanup in every namespace")
	c.Flags().BoolVar(&o.DeleteNamespace, "delete-namespace", false, "cleanup with --delete-namespace")
	c.Flags().BoolVar(&o.NoWait, "no-wait", false, "apply with --no-wait")
	c.Flags().StringSliceVar(&o.Events, "events", o.Events, "disrupt's kinds of event: "+strings.Join(kindNames(), ", "))
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: json (default: a checklist)")
}

// Complete resolves the run's settings and builds the clients.
func (o *PreflightOptions) Complete([]string) error {
	if err := o.run.load(); err != nil {
		return err
	}
	var err error
	o.cluster, err = connect(o.run.configFlags, o.run.deps.LookupEnv, 4)
	return err
}

// Validate checks the flags.
func (o *PreflightOptions) Validate() error {
	if !slices.Contains(preflightCommands, o.For) {
		return usageError{fmt.Errorf("--for must be one of %s, got %q", strings.Join(preflightCommands, ", "), o.For)}
	}
	for _, e := range o.Events {
		if !slices.Contains(kindNames(), e) {
			return usageError{fmt.Errorf("--events: unknown kind %q (known: %s)", e, strings.Join(kindNames(), ", "))}
		}
	}
	if o.Output != "" && o.Output != "json" {
		return invalidOutput(o.Output, "json")
	}
	return nil
}

// kindNames lists disrupt's kinds of event.
func kindNames() []string {
	var out []string
	for _, k := range disrupt.Kinds() {
		out = append(out, string(k))
	}
	return out
}

// Run checks and prints the checklist.
func (o *PreflightOptions) Run(ctx context.Context) error {
	needs, err := o.needs()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.run.cfg.Timeout)
	defer cancel()
	rep, checkErr := deploy.Preflight(ctx, o.cluster.kube, needs)
	if rep == nil {
		return checkErr
	}
	if o.Output == "json" {
		if err := rep.PrintJSON(o.Out); err != nil {
			return err
		}
	} else {
		rep.Print(o.Out)
	}
	return checkErr
}

// needs is what the command of --for, with these flags, needs.
func (o *PreflightOptions) needs() (preflight.Needs, error) {
	ns := o.run.cfg.Namespace
	if o.AllNamespaces {
		ns = ""
	}
	withDVs := o.cluster.hasAPI(wait.DVResource)
	// A run spread over namespaces (--namespaces) is followed across them.
	spread := o.run.cfg.Namespaces
	switch o.For {
	case "wait":
		return preflight.Wait(ns, withDVs).Spread(spread), nil
	case "status":
		return preflight.Status(ns, withDVs).Spread(spread), nil
	case "cleanup":
		return preflight.Cleanup(ns, withDVs, o.cluster.hasAPI(disrupt.MigrationResource), o.DeleteNamespace).Spread(spread), nil
	case "disrupt":
		has := func(k disrupt.Kind) bool { return slices.Contains(o.Events, string(k)) }
		return preflight.Disrupt(ns, has(disrupt.Migrate), has(disrupt.Restart), has(disrupt.StopStart), restartServed(o.cluster)).Spread(spread), nil
	}
	b, err := o.run.render()
	if err != nil {
		return preflight.Needs{}, err
	}
	return deploy.ApplyNeeds(o.run.cfg, b, !o.NoWait), nil
}
