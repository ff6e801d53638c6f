package simulator

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stypes "k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// TestOwnStateReadsPastALaggingCache: a migration step whose informer copy
// of the VMI does not show the migrationState the simulator wrote yet takes
// the API server's copy; one of another VMI of the same name (a restart
// in between), or of none, is left as it was.
func TestOwnStateReadsPastALaggingCache(t *testing.T) {
	stale := func(uid string) *kubevirtv1.VirtualMachineInstance {
		return &kubevirtv1.VirtualMachineInstance{ObjectMeta: metav1.ObjectMeta{Name: "vm", Namespace: "ns", UID: k8stypes.UID("vmi-" + uid)}}
	}
	served := &kubevirtv1.VirtualMachineInstance{
		TypeMeta:   metav1.TypeMeta{APIVersion: "kubevirt.io/v1", Kind: "VirtualMachineInstance"},
		ObjectMeta: metav1.ObjectMeta{Name: "vm", Namespace: "ns", UID: "vmi-a"},
		Status:     kubevirtv1.VirtualMachineInstanceStatus{MigrationState: &kubevirtv1.VirtualMachineInstanceMigrationState{MigrationUID: "m1"}},
	}
	raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(served)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		objects []runtime.Object
		vmi     string
		want    string
	}{
		{"cache behind", []runtime.Object{&unstructured.Unstructured{Object: raw}}, "a", "m1"},
		{"another VMI", []runtime.Object{&unstructured.Unstructured{Object: raw}}, "b", ""},
		{"gone", nil, "a", ""},
	} {
		client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
			map[schema.GroupVersionResource]string{VirtualMachineInstances: "VirtualMachineInstanceList"}, c.objects...)
		s := &simulator{client: client}
		m := &migrationStep{mig: &kubevirtv1.VirtualMachineInstanceMigration{ObjectMeta: metav1.ObjectMeta{UID: "m1"}}, vmi: stale(c.vmi)}
		if err := s.ownState(t.Context(), m); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := ""
		if ms := m.vmi.Status.MigrationState; ms != nil {
			got = string(ms.MigrationUID)
		}
		if got != c.want {
			t.Errorf("%s: the step's VMI shows migration %q, want %q", c.name, got, c.want)
		}
	}
}
