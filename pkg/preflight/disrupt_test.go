package preflight

import (
	"slices"
	"testing"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
)

// TestDisruptNeeds: each kind of event asks for its own verbs only, and a
// restart asks for the restart subresource where the cluster serves it,
// for deleting the VMI where not.
func TestDisruptNeeds(t *testing.T) {
	has := func(n Needs, p access.Permission) bool {
		p.Namespace = "ns"
		return slices.Contains(n.Permissions, p)
	}
	createMigration := access.Permission{Verb: "create", Group: "kubevirt.io", Resource: "virtualmachineinstancemigrations"}
	deleteVMI := access.Permission{Verb: "delete", Group: "kubevirt.io", Resource: "virtualmachineinstances"}
	restart := access.Permission{Verb: "update", Group: "subresources.kubevirt.io", Resource: "virtualmachines", Subresource: "restart"}
	patchVM := access.Permission{Verb: "patch", Group: "kubevirt.io", Resource: "virtualmachines"}
	for _, tc := range []struct {
		name                              string
		needs                             Needs
		migration, delete, restart, patch bool
	}{
		{"migrate", Disrupt("ns", true, false, false, false), true, false, false, false},
		{"restart without virt-api", Disrupt("ns", false, true, false, false), false, true, false, false},
		{"restart with virt-api", Disrupt("ns", false, true, false, true), false, false, true, false},
		{"stop-start", Disrupt("ns", false, false, true, true), false, false, false, true},
	} {
		got := []bool{has(tc.needs, createMigration), has(tc.needs, deleteVMI), has(tc.needs, restart), has(tc.needs, patchVM)}
		if want := []bool{tc.migration, tc.delete, tc.restart, tc.patch}; !slices.Equal(got, want) {
			t.Errorf("%s: create migration, delete VMI, restart, patch VM = %v, want %v", tc.name, got, want)
		}
	}
}
