package wait

import (
	"context"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
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
// then it returns what it saw (Done false when ctx ended first).
func ForRun(ctx context.Context, client dynamic.Interface, opts Options) (*Result, error) {
	if opts.Tick <= 0 {
		opts.Tick = time.Second
	}
	t := newTracker(opts)
	factory := dynamicinformer.NewFilteredDynamicSharedInformerFactory(client, 0, opts.listNamespace(), func(lo *metav1.ListOptions) {
		lo.LabelSelector = labels.Selector(opts.RunID)
	})
	resources := []schema.GroupVersionResource{VMIResource, VMResource}
	if opts.DataVolumes {
		resources = append(resources, DVResource)
	}
	// A refused list or watch is retried by the informer for ever; a
	// missing permission will not appear by waiting, so it ends the wait.
	denied := make(chan error, len(resources))
	synced, err := watch(factory, resources, t, denied)
	if err != nil {
		return nil, err
	}
	wctx, stop := context.WithCancel(ctx)
	factory.Start(wctx.Done())
	defer func() {
		stop() // Shutdown waits for the informers, which stop on this
		factory.Shutdown()
	}()

	listed := false
	tick := time.NewTicker(opts.Tick)
	defer tick.Stop()
	for {
		// Stopped by ctx too: a Ctrl-C or --timeout before the first list
		// came in must end the wait, not block it for good; and by a
		// refusal, which would keep it from ever coming in.
		if !listed && cache.WaitForCacheSync(syncStop(wctx, denied), synced...) {
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

// watch registers one informer per resource that feeds t, and sends a
// refused list or watch to denied instead of retrying it.
func watch(factory dynamicinformer.DynamicSharedInformerFactory, resources []schema.GroupVersionResource, t *tracker, denied chan<- error) ([]cache.InformerSynced, error) {
	var synced []cache.InformerSynced
	for _, gvr := range resources {
		inf := factory.ForResource(gvr).Informer()
		kind := gvr.Resource
		if err := inf.SetTransform(slim); err != nil {
			return nil, fmt.Errorf("watching %s: %w", gvr.Resource, err)
		}
		if err := inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, r *cache.Reflector, err error) {
			if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
				select {
				case denied <- fmt.Errorf("watching %s: %w", kind, access.Explain(err)):
				default:
				}
				return
			}
			cache.DefaultWatchErrorHandler(ctx, r, err)
		}); err != nil {
			return nil, fmt.Errorf("watching %s: %w", gvr.Resource, err)
		}
		handle := func(obj any) {
			if u, ok := obj.(*unstructured.Unstructured); ok && t.opts.covers(u.GetNamespace()) {
				t.observe(kind, u)
			}
		}
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    handle,
			UpdateFunc: func(_, obj any) { handle(obj) },
		}); err != nil {
			return nil, fmt.Errorf("watching %s: %w", gvr.Resource, err)
		}
		synced = append(synced, inf.HasSynced)
	}
	return synced, nil
}

// syncStop closes when ctx ends or a refusal arrives on denied (which it
// puts back for the caller's select).
func syncStop(ctx context.Context, denied chan error) <-chan struct{} {
	stop := make(chan struct{})
	go func() {
		defer close(stop)
		select {
		case <-ctx.Done():
		case err := <-denied:
			denied <- err
		}
	}()
	return stop
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
		list, err := client.Resource(gvr).Namespace(opts.listNamespace()).List(ctx, metav1.ListOptions{LabelSelector: labels.Selector(opts.RunID)})
		if err != nil {
			return nil, fmt.Errorf("listing the run's %s: %w", gvr.Resource, access.Explain(err))
		}
		for i := range list.Items {
			if opts.covers(list.Items[i].GetNamespace()) {
				t.observe(gvr.Resource, &list.Items[i])
			}
		}
	}
	t.listed()
	return t.result(), nil
}

// listNamespace is where the run's objects are listed and watched: its
// namespace, or every namespace ("") for a run spread over several.
func (o Options) listNamespace() string {
	if len(o.Namespaces) > 1 {
		return ""
	}
	return o.Namespace
}

// covers reports whether an object in namespace ns belongs to the run's
// namespaces (a spread run's cluster-wide watch sees them all).
func (o Options) covers(ns string) bool {
	return len(o.Namespaces) <= 1 || slices.Contains(o.Namespaces, ns)
}
