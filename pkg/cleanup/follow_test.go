package cleanup

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

func object(ns, name string) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
		Labels: map[string]string{"virtwork/run-id": "r"}, ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl-virtwork"}}}}
}

// TestLeftSetCounts: what a cleanup waits for is counted by namespace
// from a list (plain or streaming) and the watch events after it, an
// object counted once however often it changes, and one in a namespace
// that is not the run's not at all.
func TestLeftSetCounts(t *testing.T) {
	changed := make(chan struct{}, 1)
	s := newLeftSet("VirtualMachineInstance", func(ns string) bool { return ns != "elsewhere" }, changed)
	if _, ok := leftNow([]*leftSet{s}); ok {
		t.Fatal("counted before the first list")
	}
	// A streaming list: the reflector's temporary store keeps what the
	// transformer leaves, then hands it to Replace.
	tmp := cache.NewStore(cache.DeletionHandlingMetaNamespaceKeyFunc, cache.WithTransformer(s.Transformer()))
	for _, o := range []*metav1.PartialObjectMetadata{object("a", "vm-0"), object("a", "vm-1"), object("b", "vm-2"), object("elsewhere", "vm-3")} {
		if err := tmp.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	for _, kept := range tmp.List() {
		if m := kept.(*metav1.PartialObjectMetadata); m.Labels != nil || m.ManagedFields != nil {
			t.Fatalf("the temporary store kept more than names: %+v", m)
		}
	}
	if err := s.Replace(tmp.List(), "1"); err != nil {
		t.Fatal(err)
	}
	step := func(what string, err error, want map[string]int) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		f, ok := leftNow([]*leftSet{s})
		total := 0
		for ns, n := range want {
			total += n
			if got := f.ByNamespace[ns]["VirtualMachineInstance"]; got != n {
				t.Errorf("%s: %d left in %s, want %d", what, got, ns, n)
			}
		}
		if !ok || f.Total != total || len(f.ByNamespace) != len(want) {
			t.Errorf("%s: synced %v, %d left in %v, want %v", what, ok, f.Total, f.ByNamespace, want)
		}
	}
	step("listed", nil, map[string]int{"a": 2, "b": 1})
	step("an update", s.Update(object("a", "vm-0")), map[string]int{"a": 2, "b": 1})
	step("a delete", s.Delete(object("b", "vm-2")), map[string]int{"a": 2})
	step("a delete of what was never counted", s.Delete(object("elsewhere", "vm-3")), map[string]int{"a": 2})
	step("a relist", s.Replace([]any{object("a", "vm-1")}, "2"), map[string]int{"a": 1})
	step("the last delete", s.Delete(object("a", "vm-1")), map[string]int{})
	select {
	case <-changed:
	default:
		t.Error("no change was signalled")
	}
}
