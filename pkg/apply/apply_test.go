package apply_test

import (
	"context"
	"errors"
	"iter"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/virtwork/kubectl-virtwork/pkg/apply"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/runs"
)

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

var (
	nsGVR     = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	secretGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	svcGVR    = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	vmGVR     = schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachines"}
)

type env struct {
	client dynamic.Interface
	mapper meta.RESTMapper
	c      *cluster.Cluster
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := cluster.Shared(t)
	client, mapper := c.Clients(t)
	return &env{client: client, mapper: mapper, c: c}
}

func (e *env) applier(t *testing.T, opts apply.Options) *apply.Applier {
	t.Helper()
	if opts.Concurrency == 0 {
		opts.Concurrency = 16
	}
	return apply.New(e.client, e.mapper, opts)
}

// freshNamespace returns a namespace name nothing has created yet, deleted
// when the test ends.
func (e *env) freshNamespace(t *testing.T) string {
	t.Helper()
	ns := "vw-" + strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(ns) > 50 {
		ns = ns[:50]
	}
	ns = strings.TrimRight(ns, "-") + "-" + time.Now().Format("150405")
	t.Cleanup(func() {
		_ = e.client.Resource(nsGVR).Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	return ns
}

func counts(rep *apply.Report) map[string]map[apply.Outcome]int { return rep.Counts() }

func mustApply(t *testing.T, a *apply.Applier, objs iter.Seq[*unstructured.Unstructured]) *apply.Report {
	t.Helper()
	rep, err := a.Apply(t.Context(), objs)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if f := rep.Failures(); len(f) > 0 {
		t.Fatalf("failures: %v", f)
	}
	return rep
}

func (e *env) list(t *testing.T, gvr schema.GroupVersionResource, ns, runID string) []unstructured.Unstructured {
	t.Helper()
	l, err := e.client.Resource(gvr).Namespace(ns).List(t.Context(), metav1.ListOptions{LabelSelector: labels.Selector(runID)})
	if err != nil {
		t.Fatal(err)
	}
	return l.Items
}

// TestApplyConverges: a bundle of the five original workloads (named, so the counts below do not move when a workload is added) is created, and applying
// it again changes nothing.
func TestApplyConverges(t *testing.T) {
	e := newEnv(t)
	ns := e.freshNamespace(t)
	b := runs.Bundle(t, ns, "--workloads", "cpu,memory,database,network,disk", "--vm-count", "2")
	a := e.applier(t, apply.Options{})

	first := mustApply(t, a, b.Objects())
	want := map[string]map[apply.Outcome]int{
		"Namespace": {apply.Created: 1}, "Service": {apply.Created: 2},
		"Secret": {apply.Created: 6}, "VirtualMachine": {apply.Created: 12}, // a Secret per role
	}
	if diff := cmp.Diff(want, counts(first)); diff != "" {
		t.Errorf("first apply (-want +got):\n%s", diff)
	}
	nsObj, err := e.client.Resource(nsGVR).Get(t.Context(), ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if nsObj.GetAnnotations()[labels.CreatedByRun] != b.RunID {
		t.Errorf("namespace annotations %v lack %s", nsObj.GetAnnotations(), labels.CreatedByRun)
	}

	second := mustApply(t, a, b.Objects())
	want = map[string]map[apply.Outcome]int{
		"Namespace": {apply.Unchanged: 1}, "Service": {apply.Unchanged: 2},
		"Secret": {apply.Unchanged: 6}, "VirtualMachine": {apply.Unchanged: 12},
	}
	if diff := cmp.Diff(want, counts(second)); diff != "" {
		t.Errorf("re-apply (-want +got):\n%s", diff)
	}
	if got := len(e.list(t, vmGVR, ns, b.RunID)); got != 12 {
		t.Errorf("%d VMs in the cluster, want 12", got)
	}
}

// TestChangedInputsUpdateInPlace: new params change the Secrets that carry
// them, in place; nothing else moves.
func TestChangedInputsUpdateInPlace(t *testing.T) {
	e := newEnv(t)
	ns := e.freshNamespace(t)
	args := []string{"--workloads", "cpu,memory", "--vm-count", "3", "--run-id", "aaaaaaaa-1111-4111-8111-111111111111"}
	a := e.applier(t, apply.Options{})
	mustApply(t, a, runs.Bundle(t, ns, args...).Objects())
	before := e.list(t, secretGVR, ns, "aaaaaaaa-1111-4111-8111-111111111111")

	changed := runs.Bundle(t, ns, append(args, "--params", "cpu.load-percent=40")...)
	rep := mustApply(t, a, changed.Objects())
	want := map[string]map[apply.Outcome]int{
		"Namespace": {apply.Unchanged: 1}, "Secret": {apply.Configured: 1, apply.Unchanged: 1},
		"VirtualMachine": {apply.Unchanged: 6},
	}
	if diff := cmp.Diff(want, counts(rep)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	after := e.list(t, secretGVR, ns, "aaaaaaaa-1111-4111-8111-111111111111")
	for i := range before {
		if before[i].GetUID() != after[i].GetUID() {
			t.Errorf("Secret %s was replaced, not updated", before[i].GetName())
		}
	}
}

// TestDryRunServerChangesNothing: a server dry run reports what would
// happen and leaves the cluster as it was.
func TestDryRunServerChangesNothing(t *testing.T) {
	e := newEnv(t)
	ns := e.freshNamespace(t)
	args := []string{"--workloads", "cpu,network", "--run-id", "bbbbbbbb-1111-4111-8111-111111111111"}
	b := runs.Bundle(t, ns, args...)

	// The namespace must exist for namespaced dry runs to be checked.
	mustApply(t, e.applier(t, apply.Options{}), onlyKind(b.Objects(), "Namespace"))
	rep := mustApply(t, e.applier(t, apply.Options{DryRun: true}), b.Objects())
	want := map[string]map[apply.Outcome]int{
		"Namespace": {apply.Unchanged: 1}, "Service": {apply.Created: 1},
		"Secret": {apply.Created: 3}, "VirtualMachine": {apply.Created: 3},
	}
	if diff := cmp.Diff(want, counts(rep)); diff != "" {
		t.Errorf("dry run on an empty namespace (-want +got):\n%s", diff)
	}
	if n := len(e.list(t, vmGVR, ns, b.RunID)) + len(e.list(t, secretGVR, ns, b.RunID)); n != 0 {
		t.Fatalf("dry run created %d objects", n)
	}

	mustApply(t, e.applier(t, apply.Options{}), b.Objects())
	before := e.list(t, secretGVR, ns, b.RunID)
	changed := runs.Bundle(t, ns, append(args, "--params", "network.parallel=9")...)
	rep = mustApply(t, e.applier(t, apply.Options{DryRun: true}), changed.Objects())
	if got := rep.Counts()["Secret"]; got[apply.Configured] != 1 || got[apply.Unchanged] != 2 {
		t.Errorf("dry run of a changed param: Secrets %v, want 1 configured, 2 unchanged", got)
	}
	after := e.list(t, secretGVR, ns, b.RunID)
	for i := range before {
		if before[i].GetResourceVersion() != after[i].GetResourceVersion() {
			t.Errorf("dry run changed Secret %s", before[i].GetName())
		}
	}
}

// TestConflictNamesFieldAndFlag: a field another manager owns stops the
// apply with a message naming the object, the field and --force-conflicts;
// with Force the apply takes it over.
func TestConflictNamesFieldAndFlag(t *testing.T) {
	e := newEnv(t)
	ns := e.freshNamespace(t)
	b := runs.Bundle(t, ns, "--workloads", "network", "--run-id", "cccccccc-1111-4111-8111-111111111111")
	mustApply(t, e.applier(t, apply.Options{}), b.Objects())

	svcName := "virtwork-network-cccccccc-0"
	other := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": svcName, "namespace": ns},
		"spec":     map[string]any{"type": "NodePort"},
	}}
	if _, err := e.client.Resource(svcGVR).Namespace(ns).Apply(t.Context(), svcName, other, metav1.ApplyOptions{FieldManager: "someone-else", Force: true}); err != nil {
		t.Fatal(err)
	}
	rep, err := e.applier(t, apply.Options{}).Apply(t.Context(), b.Objects())
	if err == nil || !apply.IsConflict(err) {
		t.Fatalf("want a conflict, got %v", err)
	}
	for _, want := range []string{"applying Service " + ns + "/" + svcName, ".spec.type", "someone-else", "--force-conflicts"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("conflict error %q lacks %q", err, want)
		}
	}
	if rep.NotAttempted == 0 {
		t.Error("a hard error must stop new work")
	}
	rep = mustApply(t, e.applier(t, apply.Options{Force: true}), b.Objects())
	if got := rep.Counts()["Service"][apply.Configured]; got != 1 {
		t.Errorf("forced apply: Service outcomes %v", rep.Counts()["Service"])
	}
}

// TestExistingNamespaceIsNotClaimed: a namespace that was there before is
// used as it is.
func TestExistingNamespaceIsNotClaimed(t *testing.T) {
	e := newEnv(t)
	ns := e.c.Namespace(t)
	b := runs.Bundle(t, ns, "--workloads", "cpu")
	rep := mustApply(t, e.applier(t, apply.Options{}), b.Objects())
	if got := rep.Counts()["Namespace"]; got[apply.Existing] != 1 {
		t.Errorf("namespace outcome %v, want existing", got)
	}
	obj, err := e.client.Resource(nsGVR).Get(t.Context(), ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if obj.GetAnnotations()[labels.CreatedByRun] != "" || obj.GetLabels()[labels.RunID] != "" {
		t.Errorf("pre-existing namespace was claimed: labels %v annotations %v", obj.GetLabels(), obj.GetAnnotations())
	}
}

// TestTwoRunsInOneNamespace: runs never touch each other's objects, and a
// delete by one run's label removes exactly that run.
func TestTwoRunsInOneNamespace(t *testing.T) {
	e := newEnv(t)
	ns := e.c.Namespace(t)
	one := runs.Bundle(t, ns, "--workloads", "all")
	two := runs.Bundle(t, ns, "--workloads", "all")
	a := e.applier(t, apply.Options{})
	mustApply(t, a, one.Objects())
	rep := mustApply(t, a, two.Objects())
	for kind, c := range rep.Counts() {
		if kind != "Namespace" && (c[apply.Created] == 0 || len(c) != 1) {
			t.Errorf("second run %s outcomes %v: want only created", kind, c)
		}
	}
	for _, gvr := range []schema.GroupVersionResource{vmGVR, secretGVR, svcGVR} {
		err := e.client.Resource(gvr).Namespace(ns).DeleteCollection(t.Context(), metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: labels.Selector(one.RunID)})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.list(t, vmGVR, ns, one.RunID)); n != 0 {
		t.Errorf("%d VMs of the deleted run remain", n)
	}
	if n := len(e.list(t, vmGVR, ns, two.RunID)); n != len(two.VMNames()) {
		t.Errorf("the other run has %d VMs, want %d", n, len(two.VMNames()))
	}
}

// TestInvalidObjectIsAHardError: an object the schema rejects fails at
// once (no retries on a 500 that will never pass) and names the object.
func TestInvalidObjectIsAHardError(t *testing.T) {
	e := newEnv(t)
	ns := e.freshNamespace(t)
	b := runs.Bundle(t, ns, "--workloads", "cpu", "--vm-count", "3")
	broken := func(yield func(*unstructured.Unstructured) bool) {
		for obj := range b.Objects() {
			if obj.GetKind() == "VirtualMachine" {
				_ = unstructured.SetNestedField(obj.Object, "two", "spec", "template", "spec", "domain", "cpu", "cores")
			}
			if !yield(obj) {
				return
			}
		}
	}
	start := time.Now()
	_, err := e.applier(t, apply.Options{Concurrency: 1}).Apply(t.Context(), broken)
	if err == nil || !strings.Contains(err.Error(), "applying VirtualMachine "+ns+"/virtwork-cpu-") {
		t.Fatalf("want an error naming the VM, got %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a schema error took %s: it was retried", took)
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		t.Errorf("the API error is not wrapped: %v", err)
	}
}

// TestNameTakenByAnotherRun: run ids that share their first 8 characters
// would give the same names; the second run fails instead of taking the
// first run's objects over.
func TestNameTakenByAnotherRun(t *testing.T) {
	e := newEnv(t)
	ns := e.c.Namespace(t)
	a := e.applier(t, apply.Options{})
	mustApply(t, a, runs.Bundle(t, ns, "--workloads", "cpu", "--run-id", "12345678-1111-4111-8111-111111111111").Objects())
	_, err := a.Apply(t.Context(), runs.Bundle(t, ns, "--workloads", "cpu", "--run-id", "12345678-2222-4222-8222-222222222222").Objects())
	if !errors.Is(err, apply.ErrNameTaken) || !strings.Contains(err.Error(), "belongs to run 12345678-1111-4111-8111-111111111111") {
		t.Fatalf("want ErrNameTaken naming the other run, got %v", err)
	}
	if got := e.list(t, secretGVR, ns, "12345678-1111-4111-8111-111111111111"); len(got) != 1 {
		t.Errorf("the first run's Secret was taken over (%d left)", len(got))
	}
}

func onlyKind(objs iter.Seq[*unstructured.Unstructured], kind string) iter.Seq[*unstructured.Unstructured] {
	return func(yield func(*unstructured.Unstructured) bool) {
		for o := range objs {
			if o.GetKind() == kind && !yield(o) {
				return
			}
		}
	}
}
