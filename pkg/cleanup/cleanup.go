package cleanup

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/metadata"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/progress"
)

// Options say what to remove and how.
type Options struct {
	// Metadata finds, deletes and follows by metadata alone: a poll over
	// 10,000 VMIs reads their names and labels, not their specs and
	// statuses.
	Metadata metadata.Interface
	Mapper   meta.RESTMapper

	// Namespace to clean; "" for every namespace.
	Namespace string
	// Namespaces, when there are several, are those of a run spread over
	// them (RunID's, as the history recorded them): they are listed
	// cluster-wide by the run's label and Namespace is ignored.
	Namespaces []string
	// RunID is the run to remove; "" removes every virtwork run.
	RunID string
	// DryRun lists what would be deleted and deletes nothing.
	DryRun bool
	// Confirm is asked, with the number of objects found, before
	// anything is deleted; false deletes nothing. nil deletes without
	// asking.
	Confirm func(total int) (bool, error)
	// Wait waits, up to Timeout, until everything of the run is gone,
	// VMIs and terminating objects included, and the namespaces it
	// deletes.
	Wait    bool
	Timeout time.Duration
	// DeleteNamespace also deletes the namespaces virtwork created, when
	// nothing else is left in them.
	DeleteNamespace bool

	// AuditDB is the history to record in; "" records nothing. Server is
	// recorded with the invocation.
	AuditDB, Server string
	// Out receives what was found and done; Log progress and warnings.
	Out, Log io.Writer
}

// cleaner is one Run under way.
type cleaner struct {
	o   Options
	rec *audit.Recorder
	// deadline ends the waits, Timeout after the deletes began.
	deadline time.Time
}

// Run finds, confirms, deletes and waits; a cleanup that deletes anything
// is recorded in the audit history, linked to the runs it removed.
func Run(ctx context.Context, o Options) (err error) {
	c := &cleaner{o: o}
	f, err := c.find(ctx)
	if err != nil {
		return err
	}
	if f.Total == 0 {
		return c.nothingToDelete(ctx)
	}
	f.Print(o.Out)
	if o.DryRun {
		fmt.Fprintln(o.Out, "dry run: nothing was deleted")
		return nil
	}
	if o.Confirm != nil {
		if ok, err := o.Confirm(f.Total); err != nil || !ok {
			if err == nil {
				fmt.Fprintln(o.Log, "nothing was deleted")
			}
			return err
		}
	}
	if c.rec, err = audit.StartRecorder(ctx, o.AuditDB, c.invocation(f), o.Log); err != nil {
		return err
	}
	c.rec.LinkCleanup(slices.Sorted(maps.Keys(f.RunIDs)))
	c.rec.Event("deleting %d objects of %d run(s)", f.Total, len(f.RunIDs))
	defer func() {
		status := audit.Succeeded
		if err != nil {
			status = audit.Failed
		}
		c.rec.Finish(status, nil, err)
	}()
	if err := c.delete(ctx, f); err != nil {
		return err
	}
	c.deadline = time.Now().Add(o.Timeout)
	if o.Wait {
		err = c.waitGone(ctx, f)
	} else {
		err = c.terminating(ctx, f)
	}
	if err != nil {
		return err
	}
	return c.cleanNamespaces(ctx, f)
}

// nothingToDelete is a cleanup that finds nothing left to delete: when
// what an earlier one deleted is still terminating (VMIs whose guests shut
// down), it says so and, unless told not to, waits for it as that one did.
func (c *cleaner) nothingToDelete(ctx context.Context) error {
	c.deadline = time.Now().Add(c.o.Timeout)
	left, err := c.left(ctx)
	if err != nil {
		return err
	}
	if left.Total == 0 {
		fmt.Fprintf(c.o.Out, "nothing to delete: no objects of %s in %s\n", c.target(), c.where())
		return c.cleanNamespaces(ctx, nil)
	}
	fmt.Fprintf(c.o.Out, "nothing left to delete of %s in %s; still terminating: %s\n", c.target(), c.where(), left.ByKind())
	switch {
	case c.o.DryRun:
		return nil
	case !c.o.Wait:
		fmt.Fprintln(c.o.Log, "not waited for: --wait=false")
		return nil
	}
	if err := c.waitGone(ctx, nil); err != nil {
		return err
	}
	return c.cleanNamespaces(ctx, left)
}

func (c *cleaner) invocation(f *Found) audit.Invocation {
	return audit.Invocation{
		RunID: c.o.RunID, Command: audit.CommandCleanup, Server: c.o.Server, Namespace: c.o.Namespace,
		Options: map[string]string{
			"all":              fmt.Sprint(c.o.RunID == ""),
			"all-namespaces":   fmt.Sprint(c.listNamespace() == "" && !c.spread()),
			"delete-namespace": fmt.Sprint(c.o.DeleteNamespace),
		},
		Counts: map[string]int{"objects/found": f.Total},
	}
}

func (c *cleaner) selector() string {
	if c.o.RunID != "" {
		return labels.Selector(c.o.RunID)
	}
	return labels.ManagedBy + "=" + labels.ManagedByValue
}

func (c *cleaner) target() string {
	if c.o.RunID == "" {
		return "any virtwork run"
	}
	return "run " + c.o.RunID
}

// delete sends one collection delete per kind and namespace found.
func (c *cleaner) delete(ctx context.Context, f *Found) error {
	for _, ns := range slices.Sorted(maps.Keys(f.ByNamespace)) {
		for _, k := range kinds() {
			if k.followed || f.ByNamespace[ns][k.name] == 0 {
				continue
			}
			err := c.deleteCollection(ctx, k, ns)
			if err != nil && !apierrors.IsNotFound(err) {
				return c.remaining(ctx, fmt.Errorf("deleting %s in %s: %w", k.gvr.Resource, ns, access.Explain(err)))
			}
		}
	}
	fmt.Fprintf(c.o.Log, "deleting %d objects of %s\n", f.Total, c.target())
	return nil
}

// deleteCollection deletes the run's objects of kind k in ns. A server
// that cannot delete them all within its request timeout (10,000 VMs on a
// small control plane) answers 504 but may go on; asking again deletes
// what is left, until it answers within the time or Timeout passes.
func (c *cleaner) deleteCollection(ctx context.Context, k kind, ns string) error {
	policy := metav1.DeletePropagationBackground
	until := time.Now().Add(c.o.Timeout)
	for {
		err := c.o.Metadata.Resource(k.gvr).Namespace(ns).DeleteCollection(ctx,
			metav1.DeleteOptions{PropagationPolicy: &policy}, metav1.ListOptions{LabelSelector: c.selector()})
		if !apierrors.IsTimeout(err) && !apierrors.IsServerTimeout(err) || time.Now().After(until) || ctx.Err() != nil {
			return err
		}
		fmt.Fprintf(c.o.Log, "deleting %s in %s: the server timed out, but may still be deleting; asking again\n", k.gvr.Resource, ns)
	}
}

// waitGone follows the run's objects until nothing of it is left, not
// even terminating, or Timeout passes; the summary counts what it waited
// for (f, what this cleanup deleted, is nil when an earlier one did). It
// lists and then watches each kind by metadata alone, holding the names of
// what is left: its requests and its memory do not grow with the size of
// the run.
func (c *cleaner) waitGone(ctx context.Context, f *Found) error {
	prog := progress.New(c.o.Log)
	wctx, cancel := context.WithDeadline(ctx, c.deadline)
	var wg sync.WaitGroup
	defer func() {
		cancel() // the reflectors stop on this; wait for them
		wg.Wait()
	}()
	start := time.Now()
	changed := make(chan struct{}, 1)
	denied := make(chan error, 1)
	sets := c.follow(wctx, &wg, changed, denied)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var first *Found
	for {
		if left, ok := leftNow(sets); ok {
			if first == nil {
				first = left
			}
			if left.Total == 0 {
				break
			}
			prog.Update("waiting for deletion: " + left.ByKind() + " left")
		}
		select {
		case err := <-denied:
			return c.remaining(ctx, fmt.Errorf("waiting for deletion: %w", err))
		case <-wctx.Done():
			return c.remaining(ctx, fmt.Errorf("not everything was deleted within %s", c.o.Timeout))
		case <-changed:
		case <-tick.C:
		}
	}
	done := "nothing left of " + c.target() // an earlier cleanup deleted it
	if f != nil {
		done = fmt.Sprintf("deleted %d objects of %s", f.Total, c.target())
	}
	if first.Total > 0 {
		done += fmt.Sprintf("; all gone after %s (waited for %s)", time.Since(start).Round(100*time.Millisecond), first.ByKind())
	}
	prog.Finish(done)
	return nil
}

// terminating says, for --wait=false, what is still going.
func (c *cleaner) terminating(ctx context.Context, f *Found) error {
	left, err := c.left(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.o.Log, "deleted %d objects of %s\n", f.Total, c.target())
	if left.Total > 0 {
		fmt.Fprintf(c.o.Log, "still terminating: %s (not waited for: --wait=false)\n", left.ByKind())
	}
	return nil
}

// remaining prints what is left and returns err.
func (c *cleaner) remaining(ctx context.Context, err error) error {
	left, lerr := c.left(context.WithoutCancel(ctx))
	if lerr == nil && left.Total > 0 {
		fmt.Fprintln(c.o.Log, "still present:")
		left.Print(c.o.Log)
	}
	return err
}

// where names the namespaces the cleanup looks in.
func (c *cleaner) where() string {
	switch {
	case c.spread():
		return "namespaces " + strings.Join(c.o.Namespaces, ", ")
	case c.o.Namespace == "":
		return "any namespace"
	}
	return "namespace " + c.o.Namespace
}

// spread reports whether the cleanup is of a run spread over namespaces.
func (c *cleaner) spread() bool { return len(c.o.Namespaces) > 1 }

// listNamespace is where the cleanup lists: its namespace, or every one
// for a spread run (whose objects elsewhere are then ignored).
func (c *cleaner) listNamespace() string { return labels.ListNamespace(c.o.Namespace, c.o.Namespaces) }
