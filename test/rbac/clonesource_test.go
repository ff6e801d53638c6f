package rbac

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
)

// cloneSourceRole reads deploy/rbac/clone-source-role.yaml's Role (the
// file's first document; a RoleBinding follows).
func cloneSourceRole(t *testing.T) []rbacv1.PolicyRule {
	t.Helper()
	data, err := os.ReadFile("../../deploy/rbac/clone-source-role.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(data), "\n---\n")
	var r rbacv1.Role
	var rb rbacv1.RoleBinding
	if len(docs) != 2 || yaml.UnmarshalStrict([]byte(docs[0]), &r) != nil || yaml.UnmarshalStrict([]byte(docs[1]), &rb) != nil ||
		r.Kind != "Role" || rb.Kind != "RoleBinding" || rb.RoleRef.Name != r.Name {
		t.Fatalf("clone-source-role.yaml: want a Role and the RoleBinding of it")
	}
	return r.Rules
}

// goldenImages makes a namespace of golden images, as OpenShift's
// openshift-virtualization-os-images: a PVC and a Ready DataSource of it.
func (e *env) goldenImages(t *testing.T) string {
	t.Helper()
	ctx := t.Context()
	ns := freshName("vw-images")
	if _, err := e.admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.admin.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	pvc := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "fedora-44"},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}}}}
	if _, err := e.admin.CoreV1().PersistentVolumeClaims(ns).Create(ctx, pvc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ds := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataSource", "metadata": map[string]any{"name": "fedora"},
		"spec":   map[string]any{"source": map[string]any{"pvc": map[string]any{"namespace": ns, "name": "fedora-44"}}},
		"status": map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "Ready"}}},
	}}
	client := dynamic.NewForConfigOrDie(e.c.Config())
	gvr := schema.GroupVersionResource{Group: "cdi.kubevirt.io", Version: "v1beta1", Resource: "datasources"}
	if _, err := client.Resource(gvr).Namespace(ns).Create(ctx, ds, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return ns
}

// TestCloneSourceRole: a user with deploy/rbac's Role in the run's
// namespace and clone-source-role.yaml in the golden images' namespace
// runs the lifecycle of a run cloned from a DataSource, and of one cloned
// from a PVC; with any one verb of clone-source-role.yaml removed,
// preflight and apply fail naming it, and apply writes nothing.
func TestCloneSourceRole(t *testing.T) {
	role, _ := shipped(t)
	clone := cloneSourceRole(t)
	cases := []struct {
		name   string
		remove *access.Permission
	}{{name: "all granted"}}
	for _, p := range permissions(clone, "") {
		cases = append(cases, struct {
			name   string
			remove *access.Permission
		}{strings.TrimSuffix(p.String(), " cluster-wide"), &p})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			images := e.goldenImages(t)
			s := scenario{ns: freshName("vw-rbac"), runID: uuid.NewString(), storageClass: cluster.DefaultStorageClass}
			e.prepare(t, s)
			e.grant(t, s.ns, role, nil)
			granted := clone
			if c.remove != nil {
				granted = without(clone, *c.remove)
			}
			e.grant(t, images, granted, nil)
			e.simulate(t, s.ns)
			source := "datasource:" + images + "/fedora"
			if c.remove != nil && c.remove.Resource == "persistentvolumeclaims" {
				source = "pvc:" + images + "/fedora-44" // only a PVC source reads it
			}
			db := t.TempDir() + "/audit.db"
			steps := s.steps()
			steps[0].args = append(steps[0].args, "--boot-source", source) // apply
			steps[0].preflight = append(steps[0].preflight, "--boot-source", source)
			if c.remove == nil {
				for _, st := range steps {
					for _, args := range [][]string{st.preflight, st.args} {
						if o := e.run(t, db, args...); o.code != 0 {
							t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), o.code, o.stdout, o.stderr)
						}
					}
				}
				return
			}
			want := *c.remove
			want.Namespace = images
			if pf := e.run(t, db, steps[0].preflight...); pf.code != 1 || !strings.Contains(pf.stdout, "missing permission: "+want.String()) && !strings.Contains(pf.stdout, "[missing] "+want.String()) {
				t.Errorf("preflight without %s: exit %d, want 1 naming it:\n%s%s", want, pf.code, pf.stdout, pf.stderr)
			}
			o := e.run(t, db, steps[0].args...)
			if o.code == 0 || !strings.Contains(o.stderr, want.String()) || !strings.Contains(o.stderr, "nothing was applied") {
				t.Errorf("apply without %s: exit %d, want a failure naming it:\n%s%s", want, o.code, o.stdout, o.stderr)
			}
		})
	}
}
