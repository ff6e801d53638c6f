package guest

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/virtwork/kubectl-virtwork/test/runs"
)

// TestGuestSize: the guest test boots a rendered VM with KubeVirt's count of
// its vCPUs (cores, or sockets beside a preference) and refuses, naming it,
// a VM sized by an instance type it cannot read.
func TestGuestSize(t *testing.T) {
	cases := []struct {
		args  []string
		cpus  int
		mem   int64
		error string
	}{
		{[]string{"--cpu-cores", "3", "--memory", "1Gi"}, 3, 1 << 30, ""},
		{[]string{"--cpu-cores", "4", "--memory", "2Gi", "--preference", "fedora"}, 4, 2 << 30, ""},
		{[]string{"--instancetype", "u1.medium"}, 0, 0, "sized by the instance type u1.medium, which the guest test cannot read"},
	}
	for _, c := range cases {
		b := runs.Bundle(t, namespace, append([]string{"--workloads", "cpu", "--vm-count", "1"}, c.args...)...)
		var vms []*kubevirtv1.VirtualMachine
		for obj := range b.Objects() {
			if obj.GetKind() == "VirtualMachine" {
				vm := &kubevirtv1.VirtualMachine{}
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, vm); err != nil {
					t.Fatal(err)
				}
				vms = append(vms, vm)
			}
		}
		if len(vms) != 1 {
			t.Fatalf("%v: %d VMs, want 1", c.args, len(vms))
		}
		cpus, mem, err := guestSize(vms[0])
		if c.error != "" {
			if err == nil || !strings.Contains(err.Error(), c.error) {
				t.Errorf("%v: got %v, want an error containing %q", c.args, err, c.error)
			}
			continue
		}
		if err != nil || cpus != c.cpus || mem != c.mem {
			t.Errorf("%v: %d vCPUs, %d bytes, %v; want %d, %d", c.args, cpus, mem, err, c.cpus, c.mem)
		}
	}
}
