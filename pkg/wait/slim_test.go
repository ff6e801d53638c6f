package wait

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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

// TestSlimObjectsClassifyAsFullOnes: the informers' transform keeps every
// field the tracker reads: a run followed through slimmed objects has the
// same states, reasons and times as through the objects as served, and
// the counts kept event by event are those of the result.
func TestSlimObjectsClassifyAsFullOnes(t *testing.T) {
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
			full, slimmed := newTracker(tc.opts), newTracker(tc.opts)
			for i, e := range tc.sequence {
				s, err := slim(e.obj)
				if err != nil {
					t.Fatal(err)
				}
				full.observe(e.kind, e.obj)
				slimmed.observe(e.kind, s.(*unstructured.Unstructured))
				if i == 0 {
					full.listed()
					slimmed.listed()
				}
				for _, tr := range []*tracker{full, slimmed} {
					if p, done := tr.progress(); p != tr.result().Counts() || done != tr.result().Done {
						t.Errorf("after event %d: counts kept %+v (done %v), result %+v (done %v)", i, p, done, tr.result().Counts(), tr.result().Done)
					}
				}
			}
			want, got := full.result(), slimmed.result()
			// A time the tracker observed is its own clock's, a little
			// different in each tracker; Observed says which.
			observed := cmp.Transformer("observed", func(t time.Time) time.Time {
				if t.After(start) {
					return start
				}
				return t
			})
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(VM{}, "SeenRunning"), observed); diff != "" {
				t.Errorf("slimmed objects classify differently (-full +slimmed):\n%s", diff)
			}
			if len(want.VMs) == 0 {
				t.Fatal("no VMs followed: the case tests nothing")
			}
		})
	}
}

// TestSlimDropsWhatIsNotRead: spec, managedFields, annotations and the
// status fields the tracker does not read are gone, and what is left is a
// small part of the object.
func TestSlimDropsWhatIsNotRead(t *testing.T) {
	for _, file := range []string{"vm.json", "vmi.json", "dv.json"} {
		u := load(t, file)
		s, err := slim(u)
		if err != nil {
			t.Fatal(err)
		}
		got := s.(*unstructured.Unstructured)
		for _, path := range [][]string{{"spec"}, {"metadata", "managedFields"}, {"metadata", "annotations"}, {"metadata", "labels"}, {"status", "interfaces"}, {"status", "guestOSInfo"}} {
			if _, found, _ := unstructured.NestedFieldNoCopy(got.Object, path...); found {
				t.Errorf("%s: %v kept", file, path)
			}
		}
		if got.GetName() != u.GetName() || got.GetNamespace() != u.GetNamespace() || got.GetResourceVersion() != u.GetResourceVersion() {
			t.Errorf("%s: metadata lost: %v", file, got.Object["metadata"])
		}
		before, _ := json.Marshal(u.Object)
		after, _ := json.Marshal(got.Object)
		if len(after)*2 > len(before) {
			t.Errorf("%s: %d bytes slimmed from %d, want at most half", file, len(after), len(before))
		}
	}
	if tomb, _ := slim("not an object"); tomb != "not an object" {
		t.Errorf("a non-object was changed: %v", tomb)
	}
}
