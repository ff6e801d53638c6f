package rbac

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// sizing reports the permissions that only runs sized by instance types
// and preferences use.
func sizing(p access.Permission) bool { return p.Group == "instancetype.kubevirt.io" }

// sizingObjects creates, as the admin, a cluster-wide instance type and
// preference (named after ns, deleted when the test ends) and a namespaced
// pair in ns, small and fedora; it returns the cluster-wide names.
func (e *env) sizingObjects(t *testing.T, ns string) (instancetype, preference string) {
	t.Helper()
	client := dynamic.NewForConfigOrDie(e.c.Config())
	it := map[string]any{"cpu": map[string]any{"guest": int64(1)}, "memory": map[string]any{"guest": "1Gi"}}
	pref := map[string]any{"cpu": map[string]any{"preferredCPUTopology": "sockets"}}
	instancetype, preference = ns+"-u1.small", ns+"-fedora"
	for _, c := range []struct {
		gvr        schema.GroupVersionResource
		kind, name string
		spec       map[string]any
		namespaced bool
	}{
		{simulator.VirtualMachineClusterInstancetypes, "VirtualMachineClusterInstancetype", instancetype, it, false},
		{simulator.VirtualMachineClusterPreferences, "VirtualMachineClusterPreference", preference, pref, false},
		{simulator.VirtualMachineInstancetypes, "VirtualMachineInstancetype", "small", it, true},
		{simulator.VirtualMachinePreferences, "VirtualMachinePreference", "fedora", pref, true},
	} {
		obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "instancetype.kubevirt.io/v1beta1", "kind": c.kind,
			"metadata": map[string]any{"name": c.name}, "spec": c.spec}}
		var r dynamic.ResourceInterface = client.Resource(c.gvr)
		if c.namespaced {
			r = client.Resource(c.gvr).Namespace(ns)
		} else {
			t.Cleanup(func() { _ = r.Delete(context.Background(), c.name, metav1.DeleteOptions{}) })
		}
		if _, err := r.Create(t.Context(), obj, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return instancetype, preference
}

// TestSizingPermissions: with deploy/rbac's Role and ClusterRole, a user
// runs the lifecycle of a run sized by instance types and preferences,
// cluster-wide and of the namespace; with any one of their get verbs
// removed, preflight and apply fail naming it, and apply writes nothing.
func TestSizingPermissions(t *testing.T) {
	role, clusterRole := shipped(t)
	type removal struct {
		perm    access.Permission
		cluster bool
	}
	cases := map[string]*removal{"all granted": nil}
	for _, p := range permissions(role, "") {
		if sizing(p) {
			cases[strings.TrimSuffix(p.String(), " cluster-wide")] = &removal{perm: p}
		}
	}
	for _, p := range permissions(clusterRole, "") {
		if sizing(p) {
			cases[p.String()] = &removal{perm: p, cluster: true}
		}
	}
	if len(cases) != 5 {
		t.Fatalf("deploy/rbac grants %d instance type and preference verbs, want get on each of the 4 kinds", len(cases)-1)
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			s := scenario{ns: freshName("vw-rbac"), runID: uuid.NewString(), storageClass: cluster.DefaultStorageClass}
			e.prepare(t, s)
			it, pref := e.sizingObjects(t, s.ns)
			granted, grantedCluster := role, clusterRole
			want := access.Permission{}
			if r != nil {
				want = r.perm
				if r.cluster {
					grantedCluster = without(clusterRole, r.perm)
				} else {
					granted = without(role, r.perm)
					want.Namespace = s.ns
				}
			}
			e.grant(t, s.ns, granted, grantedCluster)
			e.simulate(t, s.ns)
			// One workload of each: a cluster-wide instance type with the
			// namespace's preference, and the other way round.
			sized := []string{"--instancetype", it, "--preference", "virtualmachinepreference/fedora"}
			if want.Resource == "virtualmachineinstancetypes" || want.Resource == "virtualmachineclusterpreferences" {
				sized = []string{"--instancetype", "virtualmachineinstancetype/small", "--preference", pref}
			}
			steps := s.steps()
			steps[0].args = append(steps[0].args, sized...)
			steps[0].preflight = append(steps[0].preflight, sized...)
			db := t.TempDir() + "/audit.db"
			if r == nil {
				for _, st := range steps {
					for _, args := range [][]string{st.preflight, st.args} {
						if o := e.run(t, db, args...); o.code != 0 {
							t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), o.code, o.stdout, o.stderr)
						}
					}
				}
				return
			}
			line := "missing permission: " + want.String()
			if pf := e.run(t, db, steps[0].preflight...); pf.code != 1 || !strings.Contains(pf.stdout, line) {
				t.Errorf("preflight without %s: exit %d, want 1 naming it:\n%s%s", want, pf.code, pf.stdout, pf.stderr)
			}
			o := e.run(t, db, steps[0].args...)
			if o.code == 0 || !strings.Contains(o.stderr, line) || !strings.Contains(o.stderr, "nothing was applied") {
				t.Errorf("apply without %s: exit %d, want a failure naming it:\n%s%s", want, o.code, o.stdout, o.stderr)
			}
		})
	}
}
