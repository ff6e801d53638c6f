package rbac

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/cmd"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

// shipped reads deploy/rbac/'s Role and ClusterRole.
func shipped(t *testing.T) (role, clusterRole []rbacv1.PolicyRule) {
	t.Helper()
	var r rbacv1.Role
	var cr rbacv1.ClusterRole
	for file, into := range map[string]any{"role.yaml": &r, "clusterrole.yaml": &cr} {
		data, err := os.ReadFile("../../deploy/rbac/" + file)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.UnmarshalStrict(data, into); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	if r.Kind != "Role" || cr.Kind != "ClusterRole" {
		t.Fatalf("deploy/rbac kinds: %q, %q", r.Kind, cr.Kind)
	}
	return r.Rules, cr.Rules
}

// permissions flattens rules into one permission per group, resource and
// verb.
func permissions(rules []rbacv1.PolicyRule, ns string) []access.Permission {
	var out []access.Permission
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				res, sub, _ := strings.Cut(res, "/")
				for _, v := range r.Verbs {
					out = append(out, access.Permission{Verb: v, Group: g, Resource: res, Subresource: sub, Namespace: ns})
				}
			}
		}
	}
	return out
}

// without returns rules minus one verb of one resource.
func without(rules []rbacv1.PolicyRule, p access.Permission) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	resource := p.Resource
	if p.Subresource != "" {
		resource += "/" + p.Subresource
	}
	for _, r := range rules {
		if !slices.Contains(r.APIGroups, p.Group) || !slices.Contains(r.Resources, resource) || !slices.Contains(r.Verbs, p.Verb) {
			out = append(out, r)
			continue
		}
		for _, res := range r.Resources {
			verbs := r.Verbs
			if res == resource {
				verbs = slices.DeleteFunc(slices.Clone(r.Verbs), func(v string) bool { return v == p.Verb })
			}
			if len(verbs) > 0 {
				out = append(out, rbacv1.PolicyRule{APIGroups: r.APIGroups, Resources: []string{res}, Verbs: verbs})
			}
		}
	}
	return out
}

// env is one user on the shared control plane.
type env struct {
	c     *cluster.Cluster
	admin kubernetes.Interface
	user  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := cluster.Shared(t)
	return &env{c: c, admin: kubernetes.NewForConfigOrDie(c.Config()), user: "virtwork-user-" + uuid.NewString()[:8]}
}

// grant binds role's rules to the user in ns (a Role and RoleBinding), or
// cluster-wide when ns is "", and clusterRole's rules cluster-wide; it
// returns once the authorizer allows all of it.
func (e *env) grant(t *testing.T, ns string, role, clusterRole []rbacv1.PolicyRule) {
	t.Helper()
	ctx := t.Context()
	subject := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: e.user}}
	name := e.user
	clusterWide := map[string][]rbacv1.PolicyRule{name + "-cluster": clusterRole}
	if ns == "" {
		clusterWide[name+"-role"] = role
	} else {
		if _, err := e.admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: role}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, Subjects: subject,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name}}
		if _, err := e.admin.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for n, rules := range clusterWide {
		if len(rules) == 0 {
			continue
		}
		if _, err := e.admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: n}, Rules: rules}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: n}, Subjects: subject,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: n}}
		if _, err := e.admin.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = e.admin.RbacV1().ClusterRoleBindings().Delete(context.Background(), n, metav1.DeleteOptions{})
			_ = e.admin.RbacV1().ClusterRoles().Delete(context.Background(), n, metav1.DeleteOptions{})
		})
	}
	// The authorizer learns of new bindings through its informers.
	granted := append(permissions(role, ns), permissions(clusterRole, "")...)
	err := utilwait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		for _, p := range granted {
			sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User:               e.user,
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: p.Namespace, Verb: p.Verb, Group: p.Group, Resource: p.Resource, Subresource: p.Subresource},
			}}
			out, err := e.admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
			if err != nil || !out.Status.Allowed {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("the bindings of %s never took effect: %v", e.user, err)
	}
}

type outcome struct {
	code           int
	stdout, stderr string
}

// run runs the plugin in-process as the user (impersonated by the admin
// kubeconfig with --as, as kubectl does).
func (e *env) run(t *testing.T, auditDB string, args ...string) outcome {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	deps := cmd.Deps{Registry: workloads.Builtin(), ReadFile: os.ReadFile, NewRunID: uuid.NewString,
		LookupEnv: func(k string) (string, bool) { return auditDB, k == "VIRTWORK_AUDIT_DB" }}
	code := cmd.Execute(t.Context(), streams, deps, append(args, "--kubeconfig", e.c.KubeconfigPath(), "--as", e.user))
	return outcome{code, out.String(), errOut.String()}
}

// scenario is the lifecycle of one small run with data disks, a Service
// and shared Secrets, as the user.
type scenario struct {
	ns, runID string
	// storageClass, when set, is passed, so no default is looked up.
	storageClass string
}

type step struct {
	name string
	// preflight is the preflight command line that checks for this step.
	preflight []string
	args      []string
}

func (s scenario) steps() []step {
	run := []string{"-n", s.ns, "--workloads", "cpu,network,disk", "--vm-count", "1"}
	if s.storageClass != "" {
		run = append(run, "--storage-class", s.storageClass)
	}
	ref := []string{"-n", s.ns, "--run-id", s.runID}
	return []step{
		{"apply", append([]string{"preflight"}, run...), append([]string{"apply", "--run-id", s.runID, "--timeout", "1m"}, run...)},
		{"wait", append([]string{"preflight", "--for", "wait"}, ref...), append([]string{"wait", "--timeout", "1m"}, ref...)},
		{"status", append([]string{"preflight", "--for", "status"}, ref...), append([]string{"status"}, ref...)},
		// One VM of each kind of event: the disk VM's RWO claim keeps it
		// from migrating, so the migration goes to another.
		{"disrupt", append([]string{"preflight", "--for", "disrupt"}, ref...),
			append([]string{"disrupt", "--migrate", "25%", "--restart", "25%", "--stop-start", "25%", "--down-for", "0s", "--timeout", "1m"}, ref...)},
		{"cleanup", append([]string{"preflight", "--for", "cleanup", "--delete-namespace"}, ref...), append([]string{"cleanup", "--yes", "--delete-namespace"}, ref...)},
	}
}

// prepare makes the namespace of an existing-namespace scenario: one that
// an earlier apply of the run created (so cleanup --delete-namespace reads,
// checks and deletes it), holding a PersistentVolumeClaim such a run can
// leave; and starts the simulator there.
func (e *env) prepare(t *testing.T, s scenario) {
	t.Helper()
	ctx := t.Context()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.ns,
		Labels:      map[string]string{"app.kubernetes.io/managed-by": "virtwork", "virtwork/run-id": s.runID},
		Annotations: map[string]string{"virtwork/created-by-run": s.runID}}}
	if _, err := e.admin.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.admin.CoreV1().Namespaces().Delete(context.Background(), s.ns, metav1.DeleteOptions{}) })
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "left-by-a-run", Labels: ns.Labels},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
	}
	if _, err := e.admin.CoreV1().PersistentVolumeClaims(s.ns).Create(ctx, pvc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// simulate plays KubeVirt for ns until the test ends.
func (e *env) simulate(t *testing.T, ns string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- simulator.Run(ctx, e.c.Config(), simulator.Options{Namespace: ns, StepDelay: 20 * time.Millisecond})
	}()
	t.Cleanup(func() { cancel(); <-done })
}

func freshName(prefix string) string { return prefix + "-" + uuid.NewString()[:8] }

// TestShippedRolesSuffice: bound to deploy/rbac/ and nothing else, a user
// runs the whole lifecycle — preflight, apply, wait, status, disrupt, cleanup —
// in a namespace that exists (the Role alone) and in one apply creates
// (the ClusterRole, with the Role's rules cluster-wide).
func TestShippedRolesSuffice(t *testing.T) {
	role, clusterRole := shipped(t)
	for _, existing := range []bool{true, false} {
		t.Run(map[bool]string{true: "existing namespace, Role only", false: "new namespace"}[existing], func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			s := scenario{ns: freshName("vw-rbac"), runID: uuid.NewString()}
			if existing {
				s.storageClass = cluster.DefaultStorageClass
				e.prepare(t, s)
				e.grant(t, s.ns, role, nil)
			} else {
				t.Cleanup(func() { _ = e.admin.CoreV1().Namespaces().Delete(context.Background(), s.ns, metav1.DeleteOptions{}) })
				e.grant(t, "", role, clusterRole)
			}
			e.simulate(t, s.ns)
			db := t.TempDir() + "/audit.db"
			for _, st := range s.steps() {
				if o := e.run(t, db, st.preflight...); o.code != 0 {
					t.Fatalf("%s: exit %d\n%s%s", strings.Join(st.preflight, " "), o.code, o.stdout, o.stderr)
				}
				o := e.run(t, db, st.args...)
				if o.code != 0 {
					t.Fatalf("%s: exit %d\n%s%s", strings.Join(st.args, " "), o.code, o.stdout, o.stderr)
				}
				if st.name == "cleanup" && !strings.Contains(o.stdout, "deleted namespace "+s.ns) {
					t.Errorf("cleanup --delete-namespace kept the namespace:\n%s", o.stdout)
				}
			}
		})
	}
}

// TestEachPermissionIsNeeded: with any one verb of deploy/rbac/ removed,
// the first command of the lifecycle that needs it fails, naming the
// missing permission, and so does preflight for that command; apply
// does with --skip-preflight too, except for what only preflight uses.
func TestEachPermissionIsNeeded(t *testing.T) {
	role, clusterRole := shipped(t)
	type removal struct {
		perm    access.Permission
		cluster bool // from clusterrole.yaml
	}
	var removals []removal
	for _, p := range permissions(role, "") {
		if !sizing(p) && !virtAPI(p) { // TestSizingPermissions covers those
			removals = append(removals, removal{perm: p})
		}
	}
	for _, p := range permissions(clusterRole, "") {
		if !sizing(p) {
			removals = append(removals, removal{perm: p, cluster: true})
		}
	}
	for _, r := range removals {
		t.Run(strings.TrimSuffix(r.perm.String(), " cluster-wide"), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			s := scenario{ns: freshName("vw-rbac"), runID: uuid.NewString()}
			want := r.perm
			if r.cluster {
				// A user whose runs create their namespace.
				t.Cleanup(func() { _ = e.admin.CoreV1().Namespaces().Delete(context.Background(), s.ns, metav1.DeleteOptions{}) })
				e.grant(t, "", role, without(clusterRole, r.perm))
			} else {
				s.storageClass = cluster.DefaultStorageClass
				e.prepare(t, s)
				e.grant(t, s.ns, without(role, r.perm), nil)
				want.Namespace = s.ns
			}
			e.simulate(t, s.ns)
			line := "missing permission: " + want.String()
			db := t.TempDir() + "/audit.db"
			for _, st := range s.steps() {
				o := e.run(t, db, st.args...)
				if o.code == 0 {
					continue
				}
				if !strings.Contains(o.stderr, line) {
					t.Fatalf("%s failed without naming the permission (want %q):\n%s%s", strings.Join(st.args, " "), line, o.stdout, o.stderr)
				}
				if pf := e.run(t, db, st.preflight...); pf.code != 1 || !strings.Contains(pf.stdout, "[missing] "+strings.TrimPrefix(line, "missing permission: ")) && !strings.Contains(pf.stdout, line) {
					t.Errorf("%s: exit %d, want 1 naming %q:\n%s%s", strings.Join(st.preflight, " "), pf.code, want, pf.stdout, pf.stderr)
				}
				if st.name == "apply" && !preflightOnly(want) {
					skip := e.run(t, db, append(st.args, "--skip-preflight")...)
					if skip.code == 0 || !strings.Contains(skip.stderr, line) {
						t.Errorf("apply --skip-preflight: exit %d, want a failure naming %q:\n%s%s", skip.code, line, skip.stdout, lastLines(skip.stderr, 10))
					}
				}
				return
			}
			t.Errorf("with %s removed, the whole lifecycle succeeded: the permission is not needed", want)
		})
	}
}

// virtAPI reports the permissions on subresources virt-api serves (the
// VM's restart), which the scenarios here run without: disrupt asks
// discovery and restarts by deleting the VMI instead, so none of their
// commands can need them. TestRestartSubresourceNeeds checks them with
// the simulator serving the subresource, and TestDisruptNeeds in
// pkg/preflight that preflight asks for them where they are served.
func virtAPI(p access.Permission) bool { return p.Group == "subresources.kubevirt.io" }

// preflightOnly reports the permissions an apply with --skip-preflight
// does not use on this server: the default StorageClass is looked up only
// by preflight, and the wait's informers list VMIs and DataVolumes through
// a streaming watch here (client-go's WatchList); they fall back to list on
// servers without it, and status lists them.
func preflightOnly(p access.Permission) bool {
	return p.Resource == "storageclasses" ||
		p.Verb == "list" && (p.Resource == "virtualmachineinstances" || p.Resource == "datavolumes")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
