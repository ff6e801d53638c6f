package wait

import (
	"strings"
	"testing"

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
