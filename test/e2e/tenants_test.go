package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/status"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

var namespaceGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// TestTenants: a run spread over three namespaces (--namespaces 3) puts 4
// cpu and 4 network instances round-robin over them (a network instance's
// server, client and Service in one), and wait, status, history and
// cleanup --delete-namespace, given only the run id, follow it across all
// three; afterwards the namespaces are gone and status finds nothing.
func TestTenants(t *testing.T) {
	e := newEnv(t)
	prefix := e.ns // unique per test, and short enough for <prefix>-2
	tenants := []string{prefix + "-0", prefix + "-1", prefix + "-2"}
	for _, ns := range tenants {
		t.Cleanup(func() { _ = e.client.Resource(namespaceGVR).Delete(context.Background(), ns, metav1.DeleteOptions{}) })
		opts := simulatorOptions()
		opts.Namespace = ns
		simulator.Start(t, e.cfg, opts)
	}
	p := newPlugin(t)
	id := "7e000000-1111-4111-8111-111111111111"

	a := mustRun(t, p.run(t.Context(), "apply", "--namespaces", "3", "--namespace-prefix", prefix, "--workloads", "cpu,network",
		"--vm-count", "4", "--run-id", id, "--timeout", "2m"), "apply")
	if !strings.Contains(a.stdout, "in 3 namespaces ("+strings.Join(tenants, ", ")+")") {
		t.Errorf("the apply summary does not name the three namespaces:\n%s", a.stdout)
	}
	// Instances in order cpu 0-3, network 0-3, dealt over tenant 0, 1, 2:
	// tenant 0 holds cpu 0 and 3 and network 2 (server and client).
	wantVMs := map[string]int{tenants[0]: 4, tenants[1]: 5, tenants[2]: 3}
	wantServices := map[string]int{tenants[0]: 1, tenants[1]: 2, tenants[2]: 1}
	sel := labels.Selector(id)
	if got := e.perNamespace(t, vmGVR, sel); !equalCounts(got, wantVMs) {
		t.Errorf("VMs per namespace %v, want %v", got, wantVMs)
	}
	if got := e.perNamespace(t, schema.GroupVersionResource{Version: "v1", Resource: "services"}, sel); !equalCounts(got, wantServices) {
		t.Errorf("Services per namespace %v, want %v", got, wantServices)
	}
	for _, ns := range tenants {
		obj, err := e.client.Resource(namespaceGVR).Get(t.Context(), ns, metav1.GetOptions{})
		if err != nil || obj.GetLabels()[labels.RunID] != id || obj.GetAnnotations()[labels.CreatedByRun] != id {
			t.Errorf("namespace %s is not marked as the run's (%v): %v %v", ns, err, obj.GetLabels(), obj.GetAnnotations())
		}
	}

	w := mustRun(t, p.run(t.Context(), "wait", "--run-id", id, "--timeout", "1m"), "wait")
	if !strings.Contains(w.stdout, "in 3 namespaces") || !strings.Contains(w.stdout, "VMs: 12 ready (workload active), 0 failed, 0 still waiting (of 12)") {
		t.Errorf("wait does not follow the 12 VMs over the three namespaces:\n%s", w.stdout)
	}

	st := mustRun(t, p.run(t.Context(), "status", "--run-id", id, "-o", "json"), "status")
	var runs []status.Run
	if err := json.Unmarshal([]byte(st.stdout), &runs); err != nil {
		t.Fatalf("status -o json: %v\n%s", err, st.stdout)
	}
	if len(runs) != 1 || runs[0].VMs != 12 || runs[0].Ready != 12 || strings.Join(runs[0].Namespaces, ",") != strings.Join(tenants, ",") {
		t.Fatalf("status of the spread run: %+v", runs)
	}
	byNS := map[string]int{}
	for _, m := range runs[0].Machines {
		byNS[m.Namespace]++
	}
	if !equalCounts(byNS, wantVMs) {
		t.Errorf("status's VMs per namespace %v, want %v", byNS, wantVMs)
	}

	h := mustRun(t, p.run(t.Context(), "history", id), "history")
	if !strings.Contains(h.stdout, "3 namespaces "+strings.Join(tenants, ", ")) {
		t.Errorf("history does not show the run's namespaces:\n%s", h.stdout)
	}

	c := mustRun(t, p.run(t.Context(), "cleanup", "--run-id", id, "--yes", "--delete-namespace", "--timeout", "1m"), "cleanup")
	for _, ns := range tenants {
		if !strings.Contains(c.stdout, "deleted namespace "+ns) {
			t.Errorf("cleanup --delete-namespace kept %s:\n%s%s", ns, c.stdout, c.stderr)
		}
		if _, err := e.client.Resource(namespaceGVR).Get(t.Context(), ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("namespace %s after cleanup: %v, want NotFound", ns, err)
		}
	}
	if left := e.perNamespace(t, vmiGVR, sel); len(left) != 0 {
		t.Errorf("VMIs left after cleanup: %v", left)
	}
	after := p.run(t.Context(), "status", "--run-id", id)
	if after.code == 0 || !strings.Contains(after.stderr, "has no VirtualMachines in namespaces "+strings.Join(tenants, ", ")) {
		t.Errorf("status after cleanup: exit %d\n%s%s", after.code, after.stdout, after.stderr)
	}
}

// perNamespace counts the objects of gvr carrying selector in every
// namespace, by namespace.
func (e *env) perNamespace(t *testing.T, gvr schema.GroupVersionResource, selector string) map[string]int {
	t.Helper()
	l, err := e.client.Resource(gvr).List(t.Context(), metav1.ListOptions{LabelSelector: selector})
	must(t, err)
	out := map[string]int{}
	for _, item := range l.Items {
		out[item.GetNamespace()]++
	}
	return out
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
