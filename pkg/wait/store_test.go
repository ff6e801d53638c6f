package wait

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"
)

// load reads a VM, VMI or DataVolume as KubeVirt and CDI serve it, spec,
// managedFields and all.
func load(t *testing.T, file string) *unstructured.Unstructured {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(raw); err != nil {
		t.Fatal(err)
	}
	return u
}

// edit returns a copy of u changed by fn.
func edit(u *unstructured.Unstructured, fn func(u *unstructured.Unstructured)) *unstructured.Unstructured {
	c := u.DeepCopy()
	fn(c)
	return c
}

func set(u *unstructured.Unstructured, v any, path ...string) {
	if err := unstructured.SetNestedField(u.Object, v, path...); err != nil {
		panic(err)
	}
}

type event struct {
	kind string
	obj  *unstructured.Unstructured
}

// TestStoreFoldsEveryPath: objects as served reach the tracker through
// the reflector's store by any of its paths — watch events (Add, Update),
// a plain list (Replace) or a streaming list (the Transformer, then
// Replace of what it left) — with the same states, reasons and times as
// observed directly; the counts kept event by event are those of the
// result; and a streaming list's temporary store holds nothing of them.
func TestStoreFoldsEveryPath(t *testing.T) {
	vm, vmi, dv := load(t, "vm.json"), load(t, "vmi.json"), load(t, "dv.json")
	other := func(u *unstructured.Unstructured, name string) *unstructured.Unstructured {
		return edit(u, func(u *unstructured.Unstructured) { u.SetName(name) })
	}
	notReady := edit(vmi, func(u *unstructured.Unstructured) {
		set(u, []any{map[string]any{"type": "Ready", "status": "False", "reason": "GuestNotRunning", "message": "probe: unit virtwork-cpu.service inactive"}}, "status", "conditions")
	})
	vmiFailed := edit(vmi, func(u *unstructured.Unstructured) {
		set(u, "Failed", "status", "phase")
		set(u, "Killed", "status", "reason")
	})
	unschedulable := edit(vm, func(u *unstructured.Unstructured) {
		set(u, "ErrorUnschedulable", "status", "printableStatus")
		set(u, []any{map[string]any{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/3 nodes are available: 3 Insufficient memory."}}, "status", "conditions")
	})
	dvFailed := edit(dv, func(u *unstructured.Unstructured) {
		set(u, "Failed", "status", "phase")
		set(u, []any{map[string]any{"type": "Running", "status": "False", "reason": "ImportFailed", "message": "Unable to connect to http data source"}}, "status", "conditions")
	})
	noTimes := edit(vmi, func(u *unstructured.Unstructured) {
		unstructured.RemoveNestedField(u.Object, "status", "phaseTransitionTimestamps")
	})
	scheduling := edit(vmi, func(u *unstructured.Unstructured) {
		set(u, "Scheduling", "status", "phase")
		unstructured.RemoveNestedField(u.Object, "status", "nodeName")
	})

	cases := []struct {
		name     string
		opts     Options
		sequence []event
	}{
		{"ready", Options{}, []event{{"virtualmachines", vm}, {"datavolumes", dv}, {"virtualmachineinstances", scheduling}, {"virtualmachineinstances", vmi}}},
		{"running, workload not active", Options{}, []event{{"virtualmachines", vm}, {"virtualmachineinstances", notReady}}},
		{"running is enough", Options{For: ForRunning}, []event{{"virtualmachines", vm}, {"virtualmachineinstances", notReady}}},
		{"VMI failed", Options{}, []event{{"virtualmachines", vm}, {"virtualmachineinstances", vmiFailed}}},
		{"unschedulable", Options{}, []event{{"virtualmachines", unschedulable}, {"virtualmachineinstances", scheduling}}},
		{"DataVolume failed", Options{}, []event{{"virtualmachines", vm}, {"datavolumes", dvFailed}}},
		{"no phase timestamps", Options{}, []event{{"virtualmachines", vm}, {"virtualmachineinstances", noTimes}}},
		{"expected, some not seen", Options{Expected: []string{"virtwork-cpu-0", "virtwork-cpu-1", "virtwork-cpu-2"}}, []event{
			{"virtualmachines", vm}, {"virtualmachines", other(unschedulable, "virtwork-cpu-1")}, {"virtualmachineinstances", scheduling},
			{"virtualmachineinstances", vmi}, {"virtualmachineinstances", other(vmiFailed, "virtwork-cpu-0")}}},
	}
	start := time.Now()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := newTracker(tc.opts)
			for i, e := range tc.sequence {
				want.observe(e.kind, e.obj)
				if i == 0 {
					want.listed()
				}
			}
			paths := map[string]func(*tracker){
				"watch events": func(tr *tracker) {
					for i, e := range tc.sequence {
						s := newKindStore(tr, e.kind)
						add := s.Add
						if i%2 == 1 {
							add = s.Update
						}
						if err := add(e.obj); err != nil {
							t.Fatal(err)
						}
						if i == 0 {
							tr.listed()
						}
						checkCounts(t, tr, i)
					}
				},
				"plain list": func(tr *tracker) {
					for _, e := range tc.sequence {
						if err := newKindStore(tr, e.kind).Replace([]any{e.obj}, "1"); err != nil {
							t.Fatal(err)
						}
					}
					tr.listed()
				},
				"streaming list": func(tr *tracker) {
					for _, e := range tc.sequence {
						s := newKindStore(tr, e.kind)
						tmp := cache.NewStore(cache.DeletionHandlingMetaNamespaceKeyFunc, cache.WithTransformer(s.Transformer()))
						if err := tmp.Add(e.obj); err != nil {
							t.Fatal(err)
						}
						for _, kept := range tmp.List() {
							if kept != (folded{}) {
								t.Fatalf("the temporary store kept %T", kept)
							}
						}
						if err := s.Replace(tmp.List(), "1"); err != nil || !s.hasSynced() {
							t.Fatalf("Replace: %v, synced %v", err, s.hasSynced())
						}
					}
					tr.listed()
				},
			}
			// A time the tracker observed is its own clock's, a little
			// different in each tracker; Observed says which.
			observed := cmp.Transformer("observed", func(t time.Time) time.Time {
				if t.After(start) {
					return start
				}
				return t
			})
			for name, feed := range paths {
				got := newTracker(tc.opts)
				feed(got)
				if diff := cmp.Diff(want.result(), got.result(), cmpopts.IgnoreFields(VM{}, "SeenRunning"), observed); diff != "" {
					t.Errorf("%s: the tracker sees differently (-observed +through the store):\n%s", name, diff)
				}
			}
			if len(want.result().VMs) == 0 {
				t.Fatal("no VMs followed: the case tests nothing")
			}
		})
	}
}

// checkCounts: the counts kept event by event are those of the result.
func checkCounts(t *testing.T, tr *tracker, i int) {
	t.Helper()
	if p, done := tr.progress(); p != tr.result().Counts() || done != tr.result().Done {
		t.Errorf("after event %d: counts kept %+v (done %v), result %+v (done %v)", i, p, done, tr.result().Counts(), tr.result().Done)
	}
}
