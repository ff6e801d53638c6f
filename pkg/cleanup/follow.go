package cleanup

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/virtwork/kubectl-virtwork/pkg/follow"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
)

// leftSet is the store a reflector of one kind writes to while cleanup
// waits: the namespace and name of each of the run's objects of that kind
// that is not gone yet, and nothing else of them.
type leftSet struct {
	kind    string
	covers  func(ns string) bool
	changed chan<- struct{}

	mu   sync.Mutex
	keys map[string]string // namespace/name → namespace
	// n counts keys by namespace, kept as events come, so that a count
	// costs the same whatever the size of the run.
	n      map[string]int
	synced chan struct{}
	once   sync.Once
}

func newLeftSet(kind string, covers func(string) bool, changed chan<- struct{}) *leftSet {
	return &leftSet{kind: kind, covers: covers, changed: changed, keys: map[string]string{}, n: map[string]int{}, synced: make(chan struct{})}
}

func (s *leftSet) notify() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// put records obj (of the run, when in its namespaces) as not gone yet.
func (s *leftSet) put(keys map[string]string, n map[string]int, obj any) {
	m, err := meta.Accessor(obj)
	if err != nil || !s.covers(m.GetNamespace()) {
		return
	}
	key := m.GetNamespace() + "/" + m.GetName()
	if _, ok := keys[key]; !ok {
		keys[key] = m.GetNamespace()
		n[m.GetNamespace()]++
	}
}

func (s *leftSet) Add(obj any) error {
	s.mu.Lock()
	s.put(s.keys, s.n, obj)
	s.mu.Unlock()
	s.notify()
	return nil
}

func (s *leftSet) Update(obj any) error { return s.Add(obj) }

func (s *leftSet) Delete(obj any) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	key := m.GetNamespace() + "/" + m.GetName()
	if ns, ok := s.keys[key]; ok {
		delete(s.keys, key)
		if s.n[ns]--; s.n[ns] == 0 {
			delete(s.n, ns)
		}
	}
	s.mu.Unlock()
	s.notify()
	return nil
}

func (s *leftSet) Resync() error { return nil }

// Replace starts over from a list, and marks the kind synced.
func (s *leftSet) Replace(list []any, _ string) error {
	keys, n := make(map[string]string, len(list)), map[string]int{}
	for _, obj := range list {
		s.put(keys, n, obj)
	}
	s.mu.Lock()
	s.keys, s.n = keys, n
	s.mu.Unlock()
	s.once.Do(func() { close(s.synced) })
	s.notify()
	return nil
}

// Transformer keeps, of each object of a streaming list (client-go's
// WatchList) held until the list is complete, its namespace and name.
func (s *leftSet) Transformer() cache.TransformFunc {
	return func(obj any) (any, error) {
		m, err := meta.Accessor(obj)
		if err != nil {
			return obj, nil
		}
		return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: m.GetName(), Namespace: m.GetNamespace()}}, nil
	}
}

func (s *leftSet) hasSynced() bool {
	select {
	case <-s.synced:
		return true
	default:
		return false
	}
}

// count adds what is left of the kind to f.
func (s *leftSet) count(f *Found) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ns, n := range s.n {
		if f.ByNamespace[ns] == nil {
			f.ByNamespace[ns] = map[string]int{}
		}
		f.ByNamespace[ns][s.kind] += n
		f.Total += n
	}
}

// follow starts one metadata-only reflector per kind a run leaves (list,
// or streaming list, then watch: a few requests per kind whatever the
// size of the run) until ctx ends. A refused list or watch goes to denied.
func (c *cleaner) follow(ctx context.Context, wg *sync.WaitGroup, changed chan<- struct{}, denied chan<- error) []*leftSet {
	var sets []*leftSet
	covers := func(ns string) bool { return labels.Covers(c.o.Namespaces, ns) }
	for _, k := range kinds() {
		if !hasAPI(c.o.Mapper, k.gvr) {
			continue // CDI not installed: no DataVolumes to follow
		}
		set := newLeftSet(k.name, covers, changed)
		sets = append(sets, set)
		follow.Run(ctx, wg, follow.Kind[*metav1.PartialObjectMetadataList]{
			Name: "cleanup " + k.gvr.Resource, Resource: k.gvr.Resource,
			Lister: c.o.Metadata.Resource(k.gvr).Namespace(c.listNamespace()), Client: c.o.Metadata,
			Selector: c.selector(), Example: &metav1.PartialObjectMetadata{}, Store: set,
		}, denied)
	}
	return sets
}

// leftNow is what the sets hold, once every one has its first list.
func leftNow(sets []*leftSet) (*Found, bool) {
	f := &Found{ByNamespace: map[string]map[string]int{}, RunIDs: map[string]bool{}}
	for _, s := range sets {
		if !s.hasSynced() {
			return nil, false
		}
		s.count(f)
	}
	return f, true
}
