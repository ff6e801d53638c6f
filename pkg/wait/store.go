package wait

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"

	"github.com/virtwork/kubectl-virtwork/pkg/follow"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
)

// kindStore is the store a reflector of one kind writes to, and it is the
// tracker: every object is folded into the tracker's per-VM state as it
// arrives and then dropped. Nothing of the objects is cached — a
// 10,000-VM wait holds the tracker's few hundred bytes per VM, not an
// informer's copy of every VM and VMI beside it.
type kindStore struct {
	t    *tracker
	kind string
	// synced is closed by the first Replace: the first list (or the
	// initial events of a streaming watch) is in.
	synced chan struct{}
	once   sync.Once
}

// folded is what the reflector's temporary store of a streaming list
// (client-go's WatchList) keeps of an object: nothing, the object having
// been folded into the tracker by Transformer.
type folded struct{}

func newKindStore(t *tracker, kind string) *kindStore {
	return &kindStore{t: t, kind: kind, synced: make(chan struct{})}
}

func (s *kindStore) fold(obj any) {
	if u, ok := obj.(*unstructured.Unstructured); ok && s.t.opts.covers(u.GetNamespace()) {
		s.t.observe(s.kind, u)
	}
}

// Add and Update fold a watch event's object into the tracker.
func (s *kindStore) Add(obj any) error    { s.fold(obj); return nil }
func (s *kindStore) Update(obj any) error { s.fold(obj); return nil }

// Delete changes nothing: a VM's last known state stands.
func (s *kindStore) Delete(any) error { return nil }
func (s *kindStore) Resync() error    { return nil }

// Replace folds a list's objects (those of a plain list; a streaming
// list's were folded as they came) and marks the kind synced.
func (s *kindStore) Replace(list []any, _ string) error {
	for _, obj := range list {
		s.fold(obj)
	}
	s.once.Do(func() { close(s.synced) })
	s.t.notify()
	return nil
}

// Transformer is applied by the reflector to the initial events of a
// streaming list, which it holds until the list is complete: each is
// folded into the tracker at once and only an empty marker is held.
func (s *kindStore) Transformer() cache.TransformFunc {
	return func(obj any) (any, error) {
		if _, ok := obj.(*unstructured.Unstructured); !ok {
			return obj, nil
		}
		s.fold(obj)
		return folded{}, nil
	}
}

func (s *kindStore) hasSynced() bool {
	select {
	case <-s.synced:
		return true
	default:
		return false
	}
}

// reflect starts a reflector of gvr feeding t, with the run's label
// selector, until ctx ends; it returns the kind's store. A refused list or
// watch goes to denied.
func reflect(ctx context.Context, wg *sync.WaitGroup, client dynamic.Interface, gvr schema.GroupVersionResource, t *tracker, denied chan<- error) *kindStore {
	store := newKindStore(t, gvr.Resource)
	follow.Run(ctx, wg, follow.Kind[*unstructured.UnstructuredList]{
		Name: "wait " + gvr.Resource, Resource: gvr.Resource,
		Lister: client.Resource(gvr).Namespace(t.opts.listNamespace()), Client: client,
		Selector: labels.Selector(t.opts.RunID), Example: &unstructured.Unstructured{}, Store: store,
	}, denied)
	return store
}
