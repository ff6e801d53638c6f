package cmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/preflight"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// ErrPreflight: a preflight check failed; the message names each one.
var ErrPreflight = errors.New("preflight failed")

// preflightCommands are the commands preflight can check for.
var preflightCommands = []string{"apply", "wait", "status", "cleanup"}

// PreflightOptions checks the cluster and the user's permissions for a
// command.
type PreflightOptions struct {
	genericiooptions.IOStreams

	For             string
	AllNamespaces   bool
	DeleteNamespace bool
	NoWait          bool
	Output          string

	run    *runConfig
	kube   kubernetes.Interface
	mapper meta.RESTMapper
}

// NewPreflightCmd builds `kubectl virtwork preflight`.
func NewPreflightCmd(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *cobra.Command {
	o := &PreflightOptions{IOStreams: streams, For: "apply", run: newRunConfig(deps, configFlags, streams.ErrOut)}
	c := &cobra.Command{
		Use:   "preflight",
		Short: "Check that the cluster and your permissions allow a command, before running it",
		Long: `Preflight checks what a command (--for, default apply) needs: that the KubeVirt API is served
(and CDI's, for workloads with data disks), in which versions; every permission the command will
use, each asked of the API server's authorizer (SelfSubjectAccessReview); and, when a workload
has a data disk without --storage-class, a default StorageClass. It prints a checklist and exits
1 when something is missing. apply runs the same checks first unless --skip-preflight.

For apply it takes the same flags as apply, since the workloads decide what is needed.

` + exitCodeHelp,
		Example: `  kubectl virtwork preflight --workloads cpu,database -n load-test
  kubectl virtwork preflight --for cleanup -n load-test --delete-namespace
  kubectl virtwork preflight --for status -A -o json`,
		RunE: runE(o),
	}
	o.run.addFlags(c)
	c.Flags().StringVar(&o.For, "for", o.For, "the command to check for: "+strings.Join(preflightCommands, ", "))
	c.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "status or cleanup in every namespace")
	c.Flags().BoolVar(&o.DeleteNamespace, "delete-namespace", false, "cleanup with --delete-namespace")
	c.Flags().BoolVar(&o.NoWait, "no-wait", false, "apply with --no-wait")
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: json (default: a checklist)")
	return c
}

// Complete resolves the run's settings and builds the clients.
func (o *PreflightOptions) Complete() error {
	if err := o.run.load(); err != nil {
		return err
	}
	rc, err := o.run.configFlags.ToRESTConfig()
	if err != nil {
		return usageError{fmt.Errorf("loading kubeconfig: %w", err)}
	}
	o.kube, err = kubeClient(rc)
	if err != nil {
		return err
	}
	_, o.mapper, err = clients(rc, o.run.configFlags, 4)
	return err
}

// kubeClient builds the typed client preflight asks with, with room for
// its concurrent access reviews.
func kubeClient(cfg *rest.Config) (kubernetes.Interface, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 100, 200
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the API client: %w", err)
	}
	return c, nil
}

// Validate checks the flags.
func (o *PreflightOptions) Validate() error {
	if !slices.Contains(preflightCommands, o.For) {
		return usageError{fmt.Errorf("--for must be one of %s, got %q", strings.Join(preflightCommands, ", "), o.For)}
	}
	if o.Output != "" && o.Output != "json" {
		return invalidOutput(o.Output, "json")
	}
	return nil
}

// Run checks and prints the checklist.
func (o *PreflightOptions) Run(ctx context.Context) error {
	ns := o.run.cfg.Namespace
	if o.AllNamespaces {
		ns = ""
	}
	withDVs := hasAPI(o.mapper, wait.DVResource)
	var needs preflight.Needs
	switch o.For {
	case "apply":
		b, err := o.run.render()
		if err != nil {
			return err
		}
		needs = applyNeeds(o.run.cfg, b, !o.NoWait)
	case "wait":
		needs = preflight.Wait(ns, withDVs)
	case "status":
		needs = preflight.Status(ns, withDVs)
	case "cleanup":
		needs = preflight.Cleanup(ns, withDVs, o.DeleteNamespace)
	}
	ctx, cancel := context.WithTimeout(ctx, o.run.cfg.Timeout)
	defer cancel()
	rep, err := preflight.Run(ctx, o.kube, needs)
	if err != nil {
		return err
	}
	if o.Output == "json" {
		if err := rep.PrintJSON(o.Out); err != nil {
			return err
		}
	} else {
		rep.Print(o.Out)
	}
	return preflightError(rep, "")
}

// applyNeeds is what applying b does: its kinds, its data disks, and
// whether it waits.
func applyNeeds(cfg *config.Config, b *render.Bundle, waits bool) preflight.Needs {
	var kinds []string
	for kind, n := range b.Counts() {
		if n > 0 && kind != "Namespace" {
			kinds = append(kinds, kind)
		}
	}
	slices.Sort(kinds)
	defaultClass := false
	for _, w := range cfg.Workloads {
		if wl, ok := cfg.Registry.Get(w.Name); ok && wl.Spec().NeedsDataDisk() && w.StorageClass == "" {
			defaultClass = true
		}
	}
	return preflight.Apply(b.Namespace, kinds, waits, b.HasDataVolumes(), defaultClass)
}

// preflightError is nil when every check passed, else ErrPreflight with
// every problem named in one line.
func preflightError(rep *preflight.Report, then string) error {
	missing := rep.Missing()
	if len(missing) == 0 {
		return nil
	}
	problems := make([]string, len(missing))
	for i, c := range missing {
		problems[i] = c.Problem()
	}
	return fmt.Errorf("%w for %s%s: %s (%s)", ErrPreflight, rep.Command, then, strings.Join(problems, "; "), access.Hint)
}
