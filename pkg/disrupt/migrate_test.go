package disrupt

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestMigrationFailure: the reason comes from the migration's own
// migrationState first (a migration refused before it began on the VMI
// has no other), then the VMI's only when it is this migration's, then
// the migration's conditions.
func TestMigrationFailure(t *testing.T) {
	mig := func(status map[string]any) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"status": status}}
		u.SetUID("m1")
		return u
	}
	vmi := func(uid, reason string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{
			"migrationState": map[string]any{"migrationUID": uid, "failureReason": reason}}}}
	}
	conds := map[string]any{"conditions": []any{map[string]any{"type": "Failed", "reason": "Blocked", "message": "no node"}}}
	own := map[string]any{"migrationState": map[string]any{"failureReason": "VMI is not live migratable"}}
	for _, c := range []struct {
		name     string
		mig, vmi *unstructured.Unstructured
		want     string
	}{
		{"the migration's own state", mig(own), vmi("m1", "from the VMI"), "VMI is not live migratable"},
		{"the VMI's, this migration's", mig(conds), vmi("m1", "target pod failed"), "target pod failed"},
		{"the VMI's, another migration's", mig(conds), vmi("m0", "an older failure"), "Blocked: no node"},
		{"conditions without a VMI", mig(conds), nil, "Blocked: no node"},
		{"nothing", mig(map[string]any{}), vmi("m0", ""), "KubeVirt gave no reason"},
	} {
		if got := migrationFailure(c.mig, c.vmi); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
