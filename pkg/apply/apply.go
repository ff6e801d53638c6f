package apply

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/retry"
)

// Options tune an Applier.
type Options struct {
	// Force takes over fields another field manager owns (--force-conflicts).
	Force bool
	// DryRun sends every request as a server-side dry run.
	DryRun bool
	// Concurrency bounds the requests in flight within one kind.
	Concurrency int
	// Retry is the backoff for the faults client-go does not retry
	// itself (see pkg/retry); without steps it is retry.DefaultBackoff.
	Retry utilwait.Backoff
	// OnResult, when set, is called after each object (from several
	// goroutines; it must be safe for that).
	OnResult func(Result)
}

// Applier applies bundles through the dynamic client.
type Applier struct {
	client dynamic.Interface
	mapper meta.RESTMapper
	opts   Options
	// newNamespaces holds the namespaces a server dry run would create:
	// the server cannot check objects in a namespace that does not exist.
	newNamespaces sync.Map
}

// New returns an Applier. The client's rest.Config should allow the
// concurrency (QPS and Burst well above it); client-go's defaults of 5 and
// 10 would throttle it.
func New(client dynamic.Interface, mapper meta.RESTMapper, opts Options) *Applier {
	if opts.Concurrency < 1 {
		opts.Concurrency = 1
	}
	if opts.Retry.Steps < 1 {
		opts.Retry = retry.DefaultBackoff()
	}
	return &Applier{client: client, mapper: mapper, opts: opts}
}

// Apply applies objs in their order: all objects of one kind (concurrently)
// before the next kind. It stops starting new work at the first hard error
// or when ctx ends, and returns the report with that error.
func (a *Applier) Apply(ctx context.Context, objs iter.Seq[*unstructured.Unstructured]) (*Report, error) {
	rep := &Report{}
	var (
		mu       sync.Mutex
		firstErr error
		stopped  atomic.Bool
	)
	record := func(res Result) {
		mu.Lock()
		rep.Results = append(rep.Results, res)
		if res.Err != nil && firstErr == nil {
			firstErr = res.Err
			stopped.Store(true)
		}
		mu.Unlock()
		if a.opts.OnResult != nil {
			a.opts.OnResult(res)
		}
	}

	var batch *kindBatch
	finish := func() {
		if batch != nil {
			close(batch.jobs)
			batch.wg.Wait()
			batch = nil
		}
	}
	for obj := range objs {
		if stopped.Load() || ctx.Err() != nil {
			mu.Lock()
			rep.NotAttempted++
			mu.Unlock()
			continue
		}
		if batch == nil || batch.kind != obj.GetKind() {
			finish()
			if stopped.Load() || ctx.Err() != nil {
				rep.NotAttempted++
				continue
			}
			b, err := a.startKind(ctx, obj, record, &stopped)
			if err != nil {
				record(Result{Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName(), Outcome: Failed, Err: err, At: time.Now()})
				continue
			}
			batch = b
		}
		batch.jobs <- obj
	}
	finish()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return rep, firstErr
}

// kindBatch is the worker pool of one kind.
type kindBatch struct {
	kind     string
	resource dynamic.NamespaceableResourceInterface
	gvr      schema.GroupVersionResource
	jobs     chan *unstructured.Unstructured
	wg       sync.WaitGroup

	// existing holds each namespace's listing, made when the kind's first
	// object in that namespace comes: a run spread over namespaces lists
	// each of them, with the same namespace-scoped permission as one.
	mu       sync.Mutex
	existing map[string]*nsListing
}

// nsListing is what one namespace held of a kind before the apply, by name.
type nsListing struct {
	once  sync.Once
	items map[string]*unstructured.Unstructured
	err   error
}

func (a *Applier) startKind(ctx context.Context, first *unstructured.Unstructured, record func(Result), stopped *atomic.Bool) (*kindBatch, error) {
	gvk := first.GroupVersionKind()
	var mapping *meta.RESTMapping
	// The mapper reads the server's discovery on first use, which a busy
	// server can fail like any other request.
	err := retry.Do(ctx, a.opts.Retry, func() error {
		var err error
		mapping, err = a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		return err
	})
	if meta.IsNoMatchError(err) {
		return nil, fmt.Errorf("finding the API of %s: %w (is %s installed in the cluster?)", gvk.Kind, err, gvk.Group)
	}
	if err != nil {
		return nil, fmt.Errorf("finding the API of %s: %w", gvk.Kind, access.Explain(err))
	}
	b := &kindBatch{
		kind:     gvk.Kind,
		resource: a.client.Resource(mapping.Resource),
		gvr:      mapping.Resource,
		jobs:     make(chan *unstructured.Unstructured, a.opts.Concurrency),
		existing: map[string]*nsListing{},
	}
	if gvk.Kind != "Namespace" {
		// One list per kind and namespace tells created from configured
		// from unchanged without a read per object, and finds names
		// another run holds. The first namespace's is made now, so a
		// kind that cannot be listed fails before any object is sent.
		if _, err := a.listing(ctx, b, first.GetNamespace()); err != nil {
			return nil, err
		}
	}
	for range a.opts.Concurrency {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			for obj := range b.jobs {
				if stopped.Load() || ctx.Err() != nil {
					continue // drained, not applied; counted by the caller
				}
				var res Result
				if b.kind == "Namespace" {
					res = a.namespace(ctx, b.resource, obj)
				} else {
					res = a.applyOne(ctx, b, obj)
				}
				record(res)
			}
		}()
	}
	return b, nil
}

// listing returns what namespace ns held of the batch's kind, listing it
// once however many workers ask.
func (a *Applier) listing(ctx context.Context, b *kindBatch, ns string) (map[string]*unstructured.Unstructured, error) {
	b.mu.Lock()
	l := b.existing[ns]
	if l == nil {
		l = &nsListing{}
		b.existing[ns] = l
	}
	b.mu.Unlock()
	l.once.Do(func() { l.items, l.err = a.listExisting(ctx, b.resource, b.gvr, ns) })
	return l.items, l.err
}

func (a *Applier) listExisting(ctx context.Context, res dynamic.NamespaceableResourceInterface, gvr schema.GroupVersionResource, ns string) (map[string]*unstructured.Unstructured, error) {
	var list *unstructured.UnstructuredList
	err := retry.Do(ctx, a.opts.Retry, func() error {
		var err error
		list, err = res.Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.ManagedBy + "=" + labels.ManagedByValue})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing the run's %s in %s: %w", gvr.Resource, ns, access.Explain(err))
	}
	out := make(map[string]*unstructured.Unstructured, len(list.Items))
	for i := range list.Items {
		o := &list.Items[i]
		out[o.GetName()] = o
	}
	return out, nil
}

func (a *Applier) applyOne(ctx context.Context, b *kindBatch, obj *unstructured.Unstructured) Result {
	res := Result{Kind: b.kind, Namespace: obj.GetNamespace(), Name: obj.GetName()}
	if _, missing := a.newNamespaces.Load(obj.GetNamespace()); missing {
		// A dry run into a namespace that does not exist yet: everything
		// in it would be created, and the server cannot say more.
		res.Outcome, res.At = Created, time.Now()
		return res
	}
	existing, err := a.listing(ctx, b, obj.GetNamespace())
	if err != nil {
		res.Outcome, res.Err, res.At = Failed, err, time.Now()
		return res
	}
	prev, existed := existing[obj.GetName()]
	if existed && prev.GetLabels()[labels.RunID] != obj.GetLabels()[labels.RunID] {
		theirs := prev.GetLabels()[labels.RunID]
		// Applying would silently take the object over from the other run.
		res.Outcome, res.At = Failed, time.Now()
		res.Err = fmt.Errorf("applying %s: the name belongs to run %s; run ids must differ in their first 8 characters: %w", res.Ref(), theirs, ErrNameTaken)
		return res
	}
	opts := metav1.ApplyOptions{FieldManager: labels.FieldManager, Force: a.opts.Force}
	if a.opts.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	var out *unstructured.Unstructured
	err = retry.Do(ctx, a.opts.Retry, func() error {
		var err error
		out, err = b.resource.Namespace(obj.GetNamespace()).Apply(ctx, obj.GetName(), obj, opts)
		return err
	})
	res.At = time.Now()
	if err != nil {
		res.Outcome, res.Err = Failed, describe(res, err)
		return res
	}
	switch {
	case !existed:
		res.Outcome = Created
	case prev.GetResourceVersion() != out.GetResourceVersion() || a.opts.DryRun:
		// A new resource version may come from a controller's status
		// write between the list and this apply (KubeVirt's, on a
		// running VM): only a change of content is this apply's.
		res.Outcome = Unchanged
		if !sameContent(prev, out) {
			res.Outcome = Configured
		}
	default:
		res.Outcome = Unchanged
	}
	return res
}

// sameContent compares what an apply returned with the object as it was
// listed, ignoring what every write changes and the status, which apply
// never writes.
func sameContent(a, b *unstructured.Unstructured) bool {
	strip := func(u *unstructured.Unstructured) map[string]any {
		c := u.DeepCopy()
		unstructured.RemoveNestedField(c.Object, "status")
		c.SetManagedFields(nil)
		c.SetResourceVersion("")
		c.SetGeneration(0)
		return c.Object
	}
	return equality.Semantic.DeepEqual(strip(a), strip(b))
}
