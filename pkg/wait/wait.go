package wait

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/paged"
)

// The resources a run is followed through.
var (
	VMIResource = schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachineinstances"}
	VMResource  = schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachines"}
	DVResource  = schema.GroupVersionResource{Group: "cdi.kubevirt.io", Version: "v1beta1", Resource: "datavolumes"}
)

// Options say which run to follow.
type Options struct {
	Namespace, RunID string
	// Namespaces, when there are several, are the namespaces a run spread
	// over them lives in (Namespace is then ignored): it is followed by
	// one cluster-wide watch per kind with the run-id selector, rather
	// than one per kind and namespace, and objects elsewhere are ignored.
	Namespaces []string
	// Expected lists the run's VMs; when empty, the VMs the cluster has
	// for the run once the first list is in.
	Expected []string
	// DataVolumes follows the run's DataVolumes too (runs with data disks).
	DataVolumes bool
	// For is what counts as reached; "" means ForReady.
	For Target
	// Progress, when set, is called with the counts after every change
	// and every Tick.
	Progress func(Progress)
	Tick     time.Duration
}

// ForRun follows the run until every VM reached opts.For or failed, or ctx ends;
// then it returns what it saw (Done false when ctx ended first). One
// reflector per kind (a list, or a streaming list, then a watch) feeds the
// tracker directly; no informer cache is kept beside it.
func ForRun(ctx context.Context, client dynamic.Interface, opts Options) (*Result, error) {
	if opts.Tick <= 0 {
		opts.Tick = time.Second
	}
	t := newTracker(opts)
	resources := []schema.GroupVersionResource{VMIResource, VMResource}
	if opts.DataVolumes {
		resources = append(resources, DVResource)
	}
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		stop() // the reflectors stop on this; wait for them
		wg.Wait()
	}()
	// A refused list or watch would be retried by the reflector for ever;
	// a missing permission will not appear by waiting, so it ends the wait.
	denied := make(chan error, 1)
	var stores []*kindStore
	for _, gvr := range resources {
		stores = append(stores, reflect(wctx, &wg, client, gvr, t, denied))
	}

	listed := false
	tick := time.NewTicker(opts.Tick)
	defer tick.Stop()
	for {
		if !listed && allSynced(stores) {
			listed = true
			t.listed()
		}
		// The counts are kept as events come; the full result, sorted, is
		// made once, at the end.
		p, done := t.progress()
		if opts.Progress != nil {
			opts.Progress(p)
		}
		if listed && done {
			return t.result(), nil
		}
		select {
		case err := <-denied:
			return nil, err
		case <-ctx.Done():
			return t.result(), nil
		case <-t.changed:
		case <-tick.C:
		}
	}
}

// allSynced reports whether every kind's first list is in.
func allSynced(stores []*kindStore) bool {
	for _, s := range stores {
		if !s.hasSynced() {
			return false
		}
	}
	return true
}

// Snapshot lists the run's objects once and returns each VM's state now,
// classified exactly as ForRun would; for status, which does not wait.
func Snapshot(ctx context.Context, client dynamic.Interface, opts Options) (*Result, error) {
	t := newTracker(opts)
	resources := []schema.GroupVersionResource{VMResource, VMIResource}
	if opts.DataVolumes {
		resources = append(resources, DVResource)
	}
	for _, gvr := range resources {
		// A page at a time: each object is folded into the tracker as its
		// page comes, and none is kept.
		err := paged.Each(ctx, client.Resource(gvr).Namespace(opts.listNamespace()), metav1.ListOptions{LabelSelector: labels.Selector(opts.RunID)}, func(u *unstructured.Unstructured) {
			if opts.covers(u.GetNamespace()) {
				t.observe(gvr.Resource, u)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("listing the run's %s: %w", gvr.Resource, access.Explain(err))
		}
	}
	t.listed()
	return t.result(), nil
}

// listNamespace is where the run's objects are listed and watched: its
// namespace, or every namespace ("") for a run spread over several.
func (o Options) listNamespace() string { return labels.ListNamespace(o.Namespace, o.Namespaces) }

// covers reports whether an object in namespace ns belongs to the run's
// namespaces (a spread run's cluster-wide watch sees them all).
func (o Options) covers(ns string) bool { return labels.Covers(o.Namespaces, ns) }
