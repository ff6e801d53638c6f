package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/virtwork/kubectl-virtwork/pkg/cleanup"
	"github.com/virtwork/kubectl-virtwork/pkg/config"
)

// CleanupOptions removes runs by label.
type CleanupOptions struct {
	genericiooptions.IOStreams

	All             bool
	AllNamespaces   bool
	Yes             bool
	DryRun          bool
	Wait            bool
	DeleteNamespace bool

	ref         *runRef
	cfg         *config.Config
	cluster     *cluster
	interactive bool
	audit       *auditFlags
}

// NewCleanupOptions returns CleanupOptions with defaults.
func NewCleanupOptions(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *CleanupOptions {
	return &CleanupOptions{IOStreams: streams, Wait: true, ref: newRunRef(deps, configFlags), audit: newAuditFlags(deps)}
}

// NewCleanupCmd builds `kubectl virtwork cleanup`.
func NewCleanupCmd(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *cobra.Command {
	o := NewCleanupOptions(streams, deps, configFlags)
	c := &cobra.Command{
		Use:   "cleanup",
		Short: "Delete a run (or every run) by its labels",
		Long: `Cleanup finds what virtwork created by label — VirtualMachines, DataVolumes,
PersistentVolumeClaims, Services, Secrets and the VirtualMachineInstanceMigrations disrupt
created — for one run (--run-id) or every run (--all), in one
namespace or all (-A). It lists what it found, asks before deleting on a terminal (elsewhere it
needs --yes), deletes each kind with one collection delete per namespace, and by default waits
until everything of the run is gone: the VirtualMachineInstances too, which go only once their
guests have shut down, PVCs held by a pod, and a namespace it deletes. --wait=false returns at once
and says what is still terminating. It works after a crash: nothing but the labels is needed.

With --delete-namespace a namespace is deleted too, but only one that virtwork created (it
carries the virtwork/created-by-run annotation) and that holds nothing else.

A run spread over namespaces (apply --namespaces) is cleaned up in all of them, and with
--delete-namespace each of them goes: the local audit history says which they are; without
it, -A finds the run everywhere.

` + exitCodeHelp,
		Example: `  kubectl virtwork cleanup --run-id 3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93 -n virtwork
  kubectl virtwork cleanup --all -A --dry-run
  kubectl virtwork cleanup --all -n load-test --yes --delete-namespace`,
		RunE: runE(o),
	}
	o.AddFlags(c)
	return c
}

// AddFlags registers cleanup's flags.
func (o *CleanupOptions) AddFlags(c *cobra.Command) {
	o.ref.flags.AddRunIDFlag(c.Flags())
	o.ref.flags.AddTimeoutFlag(c.Flags())
	c.Flags().BoolVar(&o.All, "all", false, "delete every virtwork run (instead of --run-id)")
	c.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "look in every namespace")
	c.Flags().BoolVarP(&o.Yes, "yes", "y", false, "delete without asking (required when not on a terminal)")
	c.Flags().BoolVar(&o.DryRun, "dry-run", false, "show what would be deleted, delete nothing")
	c.Flags().BoolVar(&o.Wait, "wait", o.Wait, "wait until everything is gone")
	c.Flags().BoolVar(&o.DeleteNamespace, "delete-namespace", false, "also delete namespaces virtwork created, when nothing else is left in them")
	o.audit.addFlags(c, true)
}

// Complete resolves the target, whether a person can be asked, the audit
// history and the clients.
func (o *CleanupOptions) Complete([]string) error {
	cfg, err := o.ref.load()
	if err != nil {
		return err
	}
	o.cfg = cfg
	if f, ok := o.In.(*os.File); ok {
		o.interactive = printers.IsTerminal(f) && printers.IsTerminal(o.ErrOut)
	}
	if err := o.audit.complete(); err != nil {
		return err
	}
	o.cluster, err = connect(o.ref.configFlags, o.ref.deps.LookupEnv, 4)
	return err
}

// Validate checks that exactly one target was named.
func (o *CleanupOptions) Validate() error {
	switch {
	case o.cfg.RunID == "" && !o.All:
		return usageError{errors.New("name what to delete: --run-id ID for one run, or --all for every run")}
	case o.cfg.RunID != "" && o.All:
		return usageError{errors.New("--run-id and --all exclude each other; give one")}
	}
	return nil
}

// Run removes the runs.
func (o *CleanupOptions) Run(ctx context.Context) error {
	ns, spread, err := o.audit.scope(ctx, o.cfg.RunID, o.cfg.Namespace, o.AllNamespaces)
	if err != nil {
		return err
	}
	if o.AllNamespaces {
		spread = nil // -A removes the run wherever its label is
	}
	opts := cleanup.Options{
		Metadata: o.cluster.metadata, Mapper: o.cluster.mapper,
		Namespace: ns, Namespaces: spread, RunID: o.cfg.RunID, DryRun: o.DryRun,
		Wait: o.Wait, Timeout: o.cfg.Timeout, DeleteNamespace: o.DeleteNamespace,
		AuditDB: o.audit.path, Server: o.cluster.server,
		Out: o.Out, Log: o.ErrOut,
	}
	if !o.Yes {
		opts.Confirm = o.confirm
	}
	return cleanup.Run(ctx, opts)
}

// confirm asks on the terminal; off a terminal, deleting needs --yes.
func (o *CleanupOptions) confirm(total int) (bool, error) {
	if !o.interactive {
		return false, usageError{fmt.Errorf("found %d objects; pass --yes to delete them when not on a terminal (nothing was deleted)", total)}
	}
	fmt.Fprintf(o.ErrOut, "Delete these %d objects? [y/N] ", total)
	answer, _ := bufio.NewReader(o.In).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(answer))
	return a == "y" || a == "yes", nil
}
