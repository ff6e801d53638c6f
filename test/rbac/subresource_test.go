package rbac

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// TestRestartSubresourceNeeds: where the API server serves virt-api's
// restart subresource (the simulator plays virt-api), deploy/rbac/'s
// update on virtualmachines/restart is what disrupt --restart needs, and
// delete on VMIs is not. With the first removed, disrupt --restart and
// preflight --for disrupt fail naming it; with the second removed, both
// succeed and the VM is restarted through the subresource. Not parallel:
// the APIService is cluster-wide, and would carry the restarts of
// TestEachPermissionIsNeeded's users, who run without it.
func TestRestartSubresourceNeeds(t *testing.T) {
	role, _ := shipped(t)
	admin := newEnv(t)
	s := scenario{ns: freshName("vw-rbac"), runID: uuid.NewString(), storageClass: cluster.DefaultStorageClass}
	admin.prepare(t, s)
	sub := &simulator.Subresources{}
	simulator.Start(t, admin.c.Config(), simulator.Options{Namespace: s.ns, StepDelay: 20 * time.Millisecond, Subresources: sub})

	restartUpdate := access.Permission{Verb: "update", Group: "subresources.kubevirt.io", Resource: "virtualmachines", Subresource: "restart"}
	vmiDelete := access.Permission{Verb: "delete", Group: "kubevirt.io", Resource: "virtualmachineinstances"}
	noRestart, noDelete := newEnv(t), newEnv(t)
	noRestart.grant(t, s.ns, without(role, restartUpdate), nil)
	noDelete.grant(t, s.ns, without(role, vmiDelete), nil)
	db := t.TempDir() + "/audit.db"
	ref := []string{"-n", s.ns, "--run-id", s.runID}
	if o := noDelete.run(t, db, append([]string{"apply", "--workloads", "cpu", "--vm-count", "2", "--storage-class", s.storageClass, "--timeout", "1m"}, ref...)...); o.code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", o.code, o.stdout, o.stderr)
	}
	preflight := append([]string{"preflight", "--for", "disrupt"}, ref...)
	disrupt := append([]string{"disrupt", "--restart", "100%", "--timeout", "1m"}, ref...)

	restartUpdate.Namespace = s.ns
	line := "missing permission: " + restartUpdate.String()
	if o := noRestart.run(t, db, preflight...); o.code != 1 || !strings.Contains(o.stdout, restartUpdate.String()) {
		t.Errorf("preflight without %s: exit %d, want 1 naming it:\n%s%s", restartUpdate, o.code, o.stdout, o.stderr)
	}
	if o := noRestart.run(t, db, disrupt...); o.code == 0 || !strings.Contains(o.stderr, line) {
		t.Errorf("disrupt --restart without %s: exit %d, want a failure naming it:\n%s%s", restartUpdate, o.code, o.stdout, lastLines(o.stderr, 10))
	}
	if got := sub.Restarts(s.ns); len(got) != 0 {
		t.Errorf("restarted %v without the permission", got)
	}

	if o := noDelete.run(t, db, preflight...); o.code != 0 {
		t.Errorf("preflight without %s: exit %d, want 0:\n%s%s", vmiDelete, o.code, o.stdout, o.stderr)
	}
	if o := noDelete.run(t, db, disrupt...); o.code != 0 {
		t.Fatalf("disrupt --restart without %s: exit %d\n%s%s", vmiDelete, o.code, o.stdout, lastLines(o.stderr, 10))
	}
	if got := sub.Restarts(s.ns); len(got) != 2 {
		t.Errorf("restarts through the subresource: %v, want both VMs", got)
	}
}
