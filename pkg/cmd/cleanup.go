package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/dynamic"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// cleanupKinds are what a run leaves, in delete order. VMIs follow their
// VMs and DataVolumes' PVCs their DataVolumes through owner references;
// deleting the labelled ones directly also covers what an interrupted
// apply left half-made.
var cleanupKinds = []struct {
	kind string
	gvr  schema.GroupVersionResource
}{
	{"VirtualMachine", wait.VMResource},
	{"DataVolume", wait.DVResource},
	{"PersistentVolumeClaim", schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}},
	{"Service", schema.GroupVersionResource{Version: "v1", Resource: "services"}},
	{"Secret", schema.GroupVersionResource{Version: "v1", Resource: "secrets"}},
}

var namespaceGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// CleanupOptions removes runs by label.
type CleanupOptions struct {
	genericiooptions.IOStreams

	All             bool
	AllNamespaces   bool
	Yes             bool
	DryRun          bool
	Wait            bool
	DeleteNamespace bool

	deps        Deps
	configFlags *genericclioptions.ConfigFlags
	flags       *config.Flags
	cfg         *config.Config
	client      dynamic.Interface
	mapper      meta.RESTMapper
	interactive bool
	audit       *auditFlags
	server      string
}

// NewCleanupCmd builds `kubectl virtwork cleanup`.
func NewCleanupCmd(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *cobra.Command {
	o := &CleanupOptions{IOStreams: streams, deps: deps, configFlags: configFlags, flags: config.NewFlags(), Wait: true, audit: newAuditFlags(deps)}
	c := &cobra.Command{
		Use:   "cleanup",
		Short: "Delete a run (or every run) by its labels",
		Long: `Cleanup finds what virtwork created by label — VirtualMachines, DataVolumes,
PersistentVolumeClaims, Services and Secrets — for one run (--run-id) or every run (--all), in one
namespace or all (-A). It lists what it found, asks before deleting on a terminal (elsewhere it
needs --yes), deletes each kind with one collection delete per namespace, and by default waits
until everything is gone. It works after a crash: nothing but the labels is needed.

With --delete-namespace a namespace is deleted too, but only one that virtwork created (it
carries the virtwork/created-by-run annotation) and that holds nothing else.

` + exitCodeHelp,
		Example: `  kubectl virtwork cleanup --run-id 3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93 -n virtwork
  kubectl virtwork cleanup --all -A --dry-run
  kubectl virtwork cleanup --all -n load-test --yes --delete-namespace`,
		RunE: runE(o),
	}
	o.flags.AddRunIDFlag(c.Flags())
	o.flags.AddTimeoutFlag(c.Flags())
	c.Flags().BoolVar(&o.All, "all", false, "delete every virtwork run (instead of --run-id)")
	c.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "look in every namespace")
	c.Flags().BoolVarP(&o.Yes, "yes", "y", false, "delete without asking (required when not on a terminal)")
	c.Flags().BoolVar(&o.DryRun, "dry-run", false, "show what would be deleted, delete nothing")
	c.Flags().BoolVar(&o.Wait, "wait", o.Wait, "wait until everything is gone")
	c.Flags().BoolVar(&o.DeleteNamespace, "delete-namespace", false, "also delete namespaces virtwork created, when nothing else is left in them")
	o.audit.addFlags(c, true)
	return c
}

// Complete resolves the target and the clients.
func (o *CleanupOptions) Complete() error {
	cfg, err := loadRunRef(o.deps, o.configFlags, o.flags)
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
	rc, err := o.configFlags.ToRESTConfig()
	if err != nil {
		return usageError{fmt.Errorf("loading kubeconfig: %w", err)}
	}
	o.server = rc.Host
	o.client, o.mapper, err = clients(rc, o.configFlags, 4)
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

// found is what a cleanup targets.
type found struct {
	// counts by kind, per namespace
	byNamespace map[string]map[string]int
	runIDs      map[string]bool
	total       int
}

func (o *CleanupOptions) selector() string {
	if o.cfg.RunID != "" {
		return labels.Selector(o.cfg.RunID)
	}
	return labels.ManagedBy + "=" + labels.ManagedByValue
}

func (o *CleanupOptions) namespace() string {
	if o.AllNamespaces {
		return ""
	}
	return o.cfg.Namespace
}

func (o *CleanupOptions) find(ctx context.Context) (*found, error) {
	f := &found{byNamespace: map[string]map[string]int{}, runIDs: map[string]bool{}}
	for _, k := range cleanupKinds {
		if !hasAPI(o.mapper, k.gvr) {
			continue // CDI not installed: no DataVolumes to find
		}
		list, err := o.client.Resource(k.gvr).Namespace(o.namespace()).List(ctx, metav1.ListOptions{LabelSelector: o.selector()})
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", k.gvr.Resource, access.Explain(err))
		}
		for _, item := range list.Items {
			if item.GetDeletionTimestamp() != nil {
				continue // already going
			}
			ns := item.GetNamespace()
			if f.byNamespace[ns] == nil {
				f.byNamespace[ns] = map[string]int{}
			}
			f.byNamespace[ns][k.kind]++
			f.total++
			if id := item.GetLabels()[labels.RunID]; id != "" {
				f.runIDs[id] = true
			}
		}
	}
	return f, nil
}

func (f *found) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tKIND\tCOUNT")
	for _, ns := range sortedKeys(f.byNamespace) {
		for _, k := range cleanupKinds {
			if n := f.byNamespace[ns][k.kind]; n > 0 {
				fmt.Fprintf(tw, "%s\t%s\t%d\n", ns, k.kind, n)
			}
		}
	}
	tw.Flush()
	ids := sortedKeys(f.runIDs)
	fmt.Fprintf(w, "%d objects of %d run(s): %s\n", f.total, len(ids), strings.Join(ids, ", "))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Run finds, confirms, deletes and waits; a cleanup that deletes anything
// is recorded in the audit history, linked to the runs it removed.
func (o *CleanupOptions) Run(ctx context.Context) (err error) {
	f, err := o.find(ctx)
	if err != nil {
		return err
	}
	target := "run " + o.cfg.RunID
	if o.All {
		target = "any virtwork run"
	}
	if f.total == 0 {
		fmt.Fprintf(o.Out, "nothing to delete: no objects of %s in %s\n", target, namespaceText(o.namespace()))
		return o.cleanNamespaces(ctx, nil)
	}
	f.print(o.Out)
	if o.DryRun {
		fmt.Fprintln(o.Out, "dry run: nothing was deleted")
		return nil
	}
	if !o.Yes {
		if !o.interactive {
			return usageError{fmt.Errorf("found %d objects; pass --yes to delete them when not on a terminal (nothing was deleted)", f.total)}
		}
		fmt.Fprintf(o.ErrOut, "Delete these %d objects? [y/N] ", f.total)
		answer, _ := bufio.NewReader(o.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(o.ErrOut, "nothing was deleted")
			return nil
		}
	}

	rec, err := o.audit.startRecording(ctx, audit.Invocation{
		RunID: o.cfg.RunID, Command: audit.CommandCleanup, Server: o.server, Namespace: o.namespace(),
		Options: map[string]string{"all": fmt.Sprint(o.All), "all-namespaces": fmt.Sprint(o.AllNamespaces), "delete-namespace": fmt.Sprint(o.DeleteNamespace)},
		Counts:  map[string]int{"objects/found": f.total},
	}, o.ErrOut)
	if err != nil {
		return err
	}
	if rec != nil {
		rec.failed(rec.store.LinkCleanup(context.WithoutCancel(ctx), rec.id, sortedKeys(f.runIDs)))
	}
	rec.event("deleting %d objects of %d run(s)", f.total, len(f.runIDs))
	defer func() {
		status := audit.Succeeded
		if err != nil {
			status = audit.Failed
		}
		rec.finish(status, nil, err)
	}()

	for _, ns := range sortedKeys(f.byNamespace) {
		for _, k := range cleanupKinds {
			if f.byNamespace[ns][k.kind] == 0 {
				continue
			}
			policy := metav1.DeletePropagationBackground
			err := o.client.Resource(k.gvr).Namespace(ns).DeleteCollection(ctx,
				metav1.DeleteOptions{PropagationPolicy: &policy}, metav1.ListOptions{LabelSelector: o.selector()})
			if err != nil && !apierrors.IsNotFound(err) {
				return o.remaining(ctx, fmt.Errorf("deleting %s in %s: %w", k.gvr.Resource, ns, access.Explain(err)))
			}
		}
	}
	fmt.Fprintf(o.ErrOut, "deleting %d objects of %s\n", f.total, target)
	if !o.Wait {
		return o.cleanNamespaces(ctx, f)
	}
	prog := newProgress(o.ErrOut)
	wctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	err = utilwait.PollUntilContextCancel(wctx, 500*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		left, err := o.find(ctx)
		if err != nil {
			return false, nil // keep trying until the deadline
		}
		prog.update(fmt.Sprintf("waiting for deletion: %d/%d objects left", left.total, f.total))
		return left.total == 0, nil
	})
	if err != nil {
		return o.remaining(ctx, fmt.Errorf("not everything was deleted within %s", o.cfg.Timeout))
	}
	prog.finish(fmt.Sprintf("deleted %d objects of %s", f.total, target))
	return o.cleanNamespaces(ctx, f)
}

// remaining prints what is left and returns err.
func (o *CleanupOptions) remaining(ctx context.Context, err error) error {
	left, lerr := o.find(context.WithoutCancel(ctx))
	if lerr == nil && left.total > 0 {
		fmt.Fprintln(o.ErrOut, "still present:")
		left.print(o.ErrOut)
	}
	return err
}

// cleanNamespaces deletes, with --delete-namespace, the namespaces virtwork
// created that hold nothing else; it says why it keeps any other.
func (o *CleanupOptions) cleanNamespaces(ctx context.Context, f *found) error {
	if !o.DeleteNamespace {
		return nil
	}
	var names []string
	if f != nil {
		names = sortedKeys(f.byNamespace)
	} else if !o.AllNamespaces {
		names = []string{o.cfg.Namespace}
	}
	for _, ns := range names {
		obj, err := o.client.Resource(namespaceGVR).Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading namespace %s: %w", ns, access.Explain(err))
		}
		if obj.GetAnnotations()[labels.CreatedByRun] == "" {
			fmt.Fprintf(o.Out, "kept namespace %s: virtwork did not create it (no %s annotation)\n", ns, labels.CreatedByRun)
			continue
		}
		if other, err := o.otherObjects(ctx, ns); err != nil {
			return err
		} else if other != "" {
			fmt.Fprintf(o.Out, "kept namespace %s: it still holds objects virtwork did not create (%s)\n", ns, other)
			continue
		}
		if err := o.client.Resource(namespaceGVR).Delete(ctx, ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting namespace %s: %w", ns, access.Explain(err))
		}
		fmt.Fprintf(o.Out, "deleted namespace %s\n", ns)
	}
	return nil
}

// otherObjects names an object in ns that is not virtwork's, or "".
func (o *CleanupOptions) otherObjects(ctx context.Context, ns string) (string, error) {
	kinds := []schema.GroupVersionResource{
		{Version: "v1", Resource: "pods"}, {Version: "v1", Resource: "configmaps"},
		wait.VMIResource,
	}
	for _, k := range cleanupKinds {
		kinds = append(kinds, k.gvr)
	}
	for _, gvr := range kinds {
		if !hasAPI(o.mapper, gvr) {
			continue
		}
		list, err := o.client.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return "", fmt.Errorf("listing %s in %s: %w", gvr.Resource, ns, access.Explain(err))
		}
		for _, item := range list.Items {
			if item.GetDeletionTimestamp() != nil || item.GetLabels()[labels.ManagedBy] == labels.ManagedByValue {
				continue
			}
			if gvr.Resource == "configmaps" && item.GetName() == "kube-root-ca.crt" {
				continue // every namespace gets one
			}
			return strings.TrimSuffix(gvr.Resource, "s") + "/" + item.GetName(), nil
		}
	}
	return "", nil
}
