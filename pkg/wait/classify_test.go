package wait

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestClassify(t *testing.T) {
	vm := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": "cpu-1"}}}
	vmi := func(phase, ready string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"metadata": map[string]any{"name": "cpu-1"},
			"status": map[string]any{"phase": phase, "conditions": []any{
				map[string]any{"type": "Ready", "status": ready, "message": "unit not active"}}},
		}}
	}
	for _, tc := range []struct {
		name       string
		vmi        *unstructured.Unstructured
		want       State
		wantReason string
	}{
		{"no VMI", nil, Pending, "not created yet"},
		{"ready", vmi("Running", "True"), Ready, ""},
		{"workload not active", vmi("Running", "False"), Running, "Running, workload not active: unit not active"},
		{"failed", vmi("Failed", "False"), Failed, "VirtualMachineInstance failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := Classify(vm, tc.vmi)
			if got != tc.want || reason != tc.wantReason {
				t.Errorf("Classify = %s, %q; want %s, %q", got, reason, tc.want, tc.wantReason)
			}
		})
	}
}
