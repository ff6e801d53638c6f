package rbac

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestSpreadRunRBAC: a run spread over namespaces (--namespaces 2) needs
// role.yaml's rules cluster-wide, as deploy/rbac says: with them and
// clusterrole.yaml its whole lifecycle runs from the run id, and cleanup
// --delete-namespace removes both namespaces; with the Role bound in each
// namespace only, the apply's one cluster-wide watch per kind is refused,
// naming the cluster-wide permission, and preflight says so first.
func TestSpreadRunRBAC(t *testing.T) {
	role, clusterRole := shipped(t)
	t.Run("rules cluster-wide", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		prefix, runID := freshName("vw-spread"), uuid.NewString()
		tenants := []string{prefix + "-0", prefix + "-1"}
		for _, ns := range tenants {
			t.Cleanup(func() { _ = e.admin.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
			e.simulate(t, ns)
		}
		e.grant(t, "", role, clusterRole)
		db := t.TempDir() + "/audit.db"
		run := []string{"--namespaces", "2", "--namespace-prefix", prefix, "--workloads", "cpu,network", "--vm-count", "1"}
		ref := []string{"--run-id", runID}
		for _, args := range [][]string{
			append([]string{"preflight"}, run...),
			append(append([]string{"apply", "--timeout", "1m"}, run...), ref...),
			append([]string{"preflight", "--for", "wait"}, run...),
			append([]string{"wait", "--timeout", "1m"}, ref...),
			append([]string{"status"}, ref...),
			append(append([]string{"preflight", "--for", "cleanup", "--delete-namespace"}, run...), ref...),
			append([]string{"cleanup", "--yes", "--delete-namespace"}, ref...),
		} {
			o := e.run(t, db, args...)
			if o.code != 0 {
				t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), o.code, o.stdout, o.stderr)
			}
			if args[0] == "cleanup" {
				for _, ns := range tenants {
					if !strings.Contains(o.stdout, "deleted namespace "+ns) {
						t.Errorf("cleanup --delete-namespace kept %s:\n%s", ns, o.stdout)
					}
				}
			}
		}
	})
	t.Run("Role in each namespace", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		prefix := freshName("vw-spread")
		for i, ns := range []string{prefix + "-0", prefix + "-1"} {
			if _, err := e.admin.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = e.admin.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
			e.simulate(t, ns)
			if i == 0 {
				e.grant(t, ns, role, clusterRole)
			} else {
				e.grant(t, ns, role, nil)
			}
		}
		db := t.TempDir() + "/audit.db"
		run := []string{"--namespaces", "2", "--namespace-prefix", prefix, "--workloads", "cpu", "--vm-count", "2"}
		pf := e.run(t, db, append([]string{"preflight"}, run...)...)
		if pf.code != 1 || !strings.Contains(pf.stdout, "[missing] watch virtualmachineinstances.kubevirt.io cluster-wide") {
			t.Errorf("preflight: exit %d, want 1 naming the cluster-wide watch:\n%s%s", pf.code, pf.stdout, pf.stderr)
		}
		o := e.run(t, db, append([]string{"apply", "--skip-preflight", "--timeout", "1m", "--run-id", uuid.NewString()}, run...)...)
		if o.code == 0 || !strings.Contains(o.stderr, "missing permission: ") || !strings.Contains(o.stderr, "kubevirt.io cluster-wide") {
			t.Errorf("apply --skip-preflight: exit %d, want a failure naming a cluster-wide permission on KubeVirt's kinds:\n%s%s", o.code, o.stdout, lastLines(o.stderr, 10))
		}
	})
}
