package wait

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestFailedDataVolumeStaysFailed: a VM with a root and a data
// DataVolume fails when one fails, whatever the other reports after it.
func TestFailedDataVolumeStaysFailed(t *testing.T) {
	dv := func(name, phase string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{"phase": phase}}}
		u.SetName(name)
		u.SetOwnerReferences([]metav1.OwnerReference{{Kind: "VirtualMachine", Name: "vm", APIVersion: "kubevirt.io/v1"}})
		return u
	}
	tr := newTracker(Options{})
	tr.observe(DVResource.Resource, dv("vm-root", "Failed"))
	tr.observe(DVResource.Resource, dv("vm-data", "Succeeded"))
	state, reason := tr.vms["vm"].classify()
	if state != Failed || !strings.Contains(reason, "DataVolume vm-root failed") {
		t.Errorf("after the root failed and the data disk succeeded: %s %q, want failed naming vm-root", state, reason)
	}
	tr.observe(DVResource.Resource, dv("vm-root", "Succeeded"))
	if state, reason := tr.vms["vm"].classify(); state == Failed {
		t.Errorf("both DataVolumes succeeded, still failed: %q", reason)
	}
}

// TestPhaseTimesFromTheObjects: the VM's times are the server's
// timestamps; a VMI without them is timed by observation and says why,
// and a timestamp that appears later replaces the observed time.
func TestPhaseTimesFromTheObjects(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)
	stamp := func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339) }
	vm := &unstructured.Unstructured{Object: map[string]any{}}
	vm.SetName("vm")
	vm.SetCreationTimestamp(metav1.NewTime(t0))
	vmi := func(phases map[string]string, ready string) *unstructured.Unstructured {
		var pts []any
		for _, p := range []string{"Pending", "Scheduling", "Scheduled", "Running"} {
			if at, ok := phases[p]; ok {
				pts = append(pts, map[string]any{"phase": p, "phaseTransitionTimestamp": at})
			}
		}
		cond := map[string]any{"type": "Ready", "status": "True"}
		if ready != "" {
			cond["lastTransitionTime"] = ready
		}
		status := map[string]any{"phase": "Running", "conditions": []any{cond}}
		if pts != nil {
			status["phaseTransitionTimestamps"] = pts
		}
		u := &unstructured.Unstructured{Object: map[string]any{"status": status}}
		u.SetName("vm")
		return u
	}
	result := func(tr *tracker) VM {
		tr.listed()
		return tr.result().VMs[0]
	}

	tr := newTracker(Options{Expected: []string{"vm"}})
	tr.observe(VMResource.Resource, vm)
	tr.observe(VMIResource.Resource, vmi(map[string]string{"Pending": stamp(0), "Scheduled": stamp(2 * time.Second), "Running": stamp(5 * time.Second)}, stamp(9*time.Second)))
	before := time.Now()
	got := result(tr)
	if got.SeenRunning.IsZero() || got.SeenRunning.After(before) {
		t.Errorf("SeenRunning %s, want when the event came, before %s", got.SeenRunning, before)
	}
	got.SeenRunning = time.Time{} // the plugin's clock, checked above
	want := VM{Name: "vm", State: Ready, Reached: true, Created: t0, ScheduledAt: t0.Add(2 * time.Second), RunningAt: t0.Add(5 * time.Second), ReadyAt: t0.Add(9 * time.Second)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("from the timestamps (-want +got):\n%s", diff)
	}

	tr = newTracker(Options{Expected: []string{"vm"}})
	tr.observe(VMResource.Resource, vm)
	before = time.Now()
	tr.observe(VMIResource.Resource, vmi(nil, stamp(9*time.Second)))
	got = result(tr)
	if got.Observed != noPhaseTimestamps || got.RunningAt.Before(before) || got.ScheduledAt.Before(before) || !got.ReadyAt.Equal(t0.Add(9*time.Second)) {
		t.Errorf("without phaseTransitionTimestamps: %+v", got)
	}
	tr.observe(VMIResource.Resource, vmi(map[string]string{"Scheduled": stamp(2 * time.Second), "Running": stamp(5 * time.Second)}, ""))
	got = result(tr)
	if got.Observed != "" || !got.RunningAt.Equal(t0.Add(5*time.Second)) || !got.ScheduledAt.Equal(t0.Add(2*time.Second)) || !got.ReadyAt.Equal(t0.Add(9*time.Second)) {
		t.Errorf("timestamps appeared, Ready kept its time: %+v", got)
	}

	tr = newTracker(Options{Expected: []string{"vm"}})
	tr.observe(VMResource.Resource, vm)
	tr.observe(VMIResource.Resource, vmi(map[string]string{"Scheduled": stamp(2 * time.Second), "Running": stamp(5 * time.Second)}, ""))
	if got = result(tr); got.Observed != noReadyTime || got.ReadyAt.Before(before) {
		t.Errorf("Ready without lastTransitionTime: %+v", got)
	}
}

// TestDisksReady: a VM's disks are ready when the last of its DataVolumes
// turned Ready, not before.
func TestDisksReady(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)
	dv := func(name string, ready time.Duration) *unstructured.Unstructured {
		status := map[string]any{"phase": "ImportInProgress"}
		if ready > 0 {
			status = map[string]any{"phase": "Succeeded", "conditions": []any{
				map[string]any{"type": "Ready", "status": "True", "lastTransitionTime": t0.Add(ready).Format(time.RFC3339)}}}
		}
		u := &unstructured.Unstructured{Object: map[string]any{"status": status}}
		u.SetName(name)
		u.SetOwnerReferences([]metav1.OwnerReference{{Kind: "VirtualMachine", Name: "vm", APIVersion: "kubevirt.io/v1"}})
		return u
	}
	tr := newTracker(Options{Expected: []string{"vm"}})
	tr.observe(DVResource.Resource, dv("vm-root", 3*time.Second))
	tr.observe(DVResource.Resource, dv("vm-data", 0))
	if got := tr.result().VMs[0].DisksReadyAt; !got.IsZero() {
		t.Errorf("one DataVolume still importing: disks ready at %s", got)
	}
	tr.observe(DVResource.Resource, dv("vm-data", 5*time.Second))
	if got := tr.result().VMs[0].DisksReadyAt; !got.Equal(t0.Add(5 * time.Second)) {
		t.Errorf("disks ready at %s, want the later DataVolume's %s", got, t0.Add(5*time.Second))
	}
}
