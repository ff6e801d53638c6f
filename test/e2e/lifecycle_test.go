package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/cmd"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

var (
	secretGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	svcGVR    = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	nsGVR     = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
)

// labelled lists the objects of gvr in ns carrying selector.
func (e *env) labelled(t *testing.T, gvr schema.GroupVersionResource, selector string) []unstructured.Unstructured {
	t.Helper()
	l, err := e.resource(gvr).List(t.Context(), metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatal(err)
	}
	return l.Items
}

func mustRun(t *testing.T, o outcome, what string) outcome {
	t.Helper()
	if o.code != 0 {
		t.Fatalf("%s: exit %d\n%s%s", what, o.code, o.stdout, o.stderr)
	}
	return o
}

func TestStatus(t *testing.T) {
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	p := newPlugin(t)
	one, two := "e1111111-1111-4111-8111-111111111111", "e2222222-2222-4222-8222-222222222222"
	mustRun(t, p.run(t.Context(), "apply", "-n", e.ns, "--workloads", "cpu,disk", "--run-id", one), "apply one")
	mustRun(t, p.run(t.Context(), "apply", "-n", e.ns, "--workloads", "network", "--vm-count", "2", "--run-id", two), "apply two")

	all := mustRun(t, p.run(t.Context(), "status", "-n", e.ns), "status")
	for _, want := range []string{"RUN ID", one, two, "cpu,disk", "network"} {
		if !strings.Contains(all.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, all.stdout)
		}
	}
	var runs []struct {
		RunID               string
		VMs, Running, Ready int
		Machines            []struct{ Name, State, Node string }
	}
	js := mustRun(t, p.run(t.Context(), "status", "-A", "--run-id", two, "-o", "json"), "status --run-id")
	if err := json.Unmarshal([]byte(js.stdout), &runs); err != nil {
		t.Fatalf("%v\n%s", err, js.stdout)
	}
	if len(runs) != 1 || runs[0].RunID != two || runs[0].VMs != 4 || runs[0].Running != 4 || runs[0].Ready != 4 || len(runs[0].Machines) != 4 {
		t.Fatalf("status --run-id: %+v", runs)
	}
	// apply waited for ready: each VM's workload is active, and status
	// says Ready (it used to say Running for the same VMs).
	for _, m := range runs[0].Machines {
		if m.State != "Ready" || m.Node == "" {
			t.Errorf("machine %+v", m)
		}
	}
	none := p.run(t.Context(), "status", "-n", e.ns, "--run-id", "eeeeeeee-3333-4333-8333-333333333333")
	if none.code != cmd.ExitError || !strings.Contains(none.stderr, "has no VirtualMachines") {
		t.Errorf("status of an unknown run: exit %d %q", none.code, none.stderr)
	}
}

// TestCleanupOneRun: cleanup asks for --yes off a terminal, shows without
// deleting on --dry-run, then removes exactly one run and waits for it.
func TestCleanupOneRun(t *testing.T) {
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	p := newPlugin(t)
	gone, kept := "f1111111-1111-4111-8111-111111111111", "f2222222-2222-4222-8222-222222222222"
	for _, id := range []string{gone, kept} {
		mustRun(t, p.run(t.Context(), "apply", "-n", e.ns, "--workloads", "disk,network", "--run-id", id), "apply")
	}
	sel := "virtwork/run-id=" + gone

	noYes := p.run(t.Context(), "cleanup", "-n", e.ns, "--run-id", gone)
	if noYes.code != cmd.ExitUsage || !strings.Contains(noYes.stderr, "pass --yes") || !strings.Contains(noYes.stdout, "VirtualMachine") {
		t.Errorf("without --yes off a terminal: exit %d\n%s%s", noYes.code, noYes.stdout, noYes.stderr)
	}
	dry := mustRun(t, p.run(t.Context(), "cleanup", "-n", e.ns, "--run-id", gone, "--dry-run"), "dry run")
	if !strings.Contains(dry.stdout, "nothing was deleted") || !strings.Contains(dry.stdout, "DataVolume") {
		t.Errorf("dry run:\n%s", dry.stdout)
	}
	if n := len(e.labelled(t, vmGVR, sel)); n != 3 {
		t.Fatalf("%d VMs after refusals and a dry run, want 3", n)
	}

	out := mustRun(t, p.run(t.Context(), "cleanup", "-n", e.ns, "--run-id", gone, "--yes"), "cleanup")
	if !strings.Contains(out.stderr, "deleted") {
		t.Errorf("cleanup progress: %q", out.stderr)
	}
	for _, gvr := range []schema.GroupVersionResource{vmGVR, dvGVR, secretGVR, svcGVR} {
		if n := len(e.labelled(t, gvr, sel)); n != 0 {
			t.Errorf("%d %s of the run remain", n, gvr.Resource)
		}
		if n := len(e.labelled(t, gvr, "virtwork/run-id="+kept)); n == 0 {
			t.Errorf("cleanup removed the other run's %s", gvr.Resource)
		}
	}
	// The VMIs go with their VMs (garbage collector).
	eventually(t, time.Minute, func() string { return "the run's VMIs to be collected" }, func(ctx context.Context) (bool, error) {
		l, err := e.resource(vmiGVR).List(ctx, metav1.ListOptions{LabelSelector: sel})
		return err == nil && len(l.Items) == 0, err
	})
}

// TestCleanupDeletesOnlyItsOwnNamespaces: --delete-namespace removes a
// namespace apply created, keeps one it did not, and keeps its own when
// something else lives there.
func TestCleanupDeletesOnlyItsOwnNamespaces(t *testing.T) {
	e := newEnv(t)
	p := newPlugin(t)
	own, shared := e.ns+"-own", e.ns+"-shared"
	t.Cleanup(func() {
		for _, ns := range []string{own, shared} {
			_ = e.client.Resource(nsGVR).Delete(context.Background(), ns, metav1.DeleteOptions{})
		}
	})
	for _, ns := range []string{own, shared, e.ns} {
		mustRun(t, p.run(t.Context(), "apply", "-n", ns, "--workloads", "cpu", "--no-wait"), "apply")
	}
	foreign := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "not-virtwork", "namespace": shared},
	}}
	if _, err := e.client.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Namespace(shared).Create(t.Context(), foreign, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{own, shared, e.ns} {
		o := mustRun(t, p.run(t.Context(), "cleanup", "-n", ns, "--all", "--yes", "--delete-namespace"), "cleanup "+ns)
		var want string
		switch ns {
		case own:
			want = "deleted namespace " + own
		case shared:
			want = "kept namespace " + shared + ": it still holds objects virtwork did not create (configmap/not-virtwork)"
		default:
			want = "kept namespace " + e.ns + ": virtwork did not create it"
		}
		if !strings.Contains(o.stdout, want) {
			t.Errorf("cleanup -n %s: want %q in\n%s", ns, want, o.stdout)
		}
	}
	eventually(t, time.Minute, func() string { return "namespace " + own + " to go" }, func(ctx context.Context) (bool, error) {
		obj, err := e.client.Resource(nsGVR).Get(ctx, own, metav1.GetOptions{})
		return err != nil || obj.GetDeletionTimestamp() != nil, nil
	})
}

// TestKillDuringApply: a SIGKILL part-way through a 200-VM apply leaves
// labelled objects that cleanup removes completely, and re-running the
// same apply converges to the full run.
func TestKillDuringApply(t *testing.T) {
	e := newEnv(t)
	p := newPlugin(t)
	bin := tools.Plugin(t)
	for _, then := range []string{"cleanup", "reapply"} {
		t.Run(then, func(t *testing.T) {
			runID := map[string]string{"cleanup": "ab111111-1111-4111-8111-111111111111", "reapply": "ab222222-2222-4222-8222-222222222222"}[then]
			args := []string{"apply", "-n", e.ns, "--workloads", "cpu,memory,database,network,disk", "--vm-count", "34", "--run-id", runID, "--no-wait", "--concurrency", "2", "--kubeconfig", p.kubeconfig}
			c := exec.Command(bin, args...)
			auditDB := filepath.Join(t.TempDir(), "audit.db")
			c.Env = append(os.Environ(), "VIRTWORK_AUDIT_DB="+auditDB)
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { _ = c.Wait(); close(done) }()
			sel := "virtwork/run-id=" + runID
			eventually(t, time.Minute, func() string { return "the first VMs to exist" }, func(ctx context.Context) (bool, error) {
				l, err := e.resource(vmGVR).List(ctx, metav1.ListOptions{LabelSelector: sel})
				return err == nil && len(l.Items) >= 5, nil
			})
			_ = c.Process.Signal(syscall.SIGKILL)
			<-done
			store, err := audit.Open(t.Context(), auditDB)
			if err != nil {
				t.Fatalf("the audit DB is not readable after SIGKILL: %v", err)
			}
			hist, err := store.History(t.Context(), 10)
			store.Close()
			if err != nil || len(hist) != 1 || hist[0].Status != audit.InProgress || hist[0].RunID != runID {
				t.Errorf("history after SIGKILL: %+v (%v)", hist, err)
			}
			if n := len(e.labelled(t, vmGVR, sel)); n == 0 || n >= 204 {
				t.Fatalf("%d VMs when killed; the kill was not part-way", n)
			}
			switch then {
			case "cleanup":
				mustRun(t, p.run(t.Context(), "cleanup", "-n", e.ns, "--run-id", runID, "--yes"), "cleanup")
				for _, gvr := range []schema.GroupVersionResource{vmGVR, dvGVR, secretGVR, svcGVR} {
					if n := len(e.labelled(t, gvr, sel)); n != 0 {
						t.Errorf("%d labelled %s left after cleanup", n, gvr.Resource)
					}
				}
			case "reapply":
				o := mustRun(t, p.run(t.Context(), append(args[:len(args)-2], "-o", "json")...), "re-apply")
				var sum struct{ Objects map[string]map[string]int }
				if err := json.Unmarshal([]byte(o.stdout), &sum); err != nil {
					t.Fatal(err)
				}
				vm := sum.Objects["VirtualMachine"]
				if vm["created"] == 0 || vm["created"]+vm["unchanged"] != 204 {
					t.Errorf("re-apply VM outcomes %v: want the missing ones created and the rest unchanged", vm)
				}
				if n := len(e.labelled(t, vmGVR, sel)); n != 204 {
					t.Errorf("%d VMs after re-apply, want 204", n)
				}
			}
		})
	}
}

// TestApplyAndHistoryAgree: apply's summary and history's detail of the
// same two-VM run print the same latency table. The disk VM
// imports its DataVolume first, so the two reach Running a few steps
// apart: the nearest-rank p50 of the two is the earlier, and history,
// which took the later, used to print a different p50 than apply.
func TestApplyAndHistoryAgree(t *testing.T) {
	e := newEnv(t)
	e.simulate(t, simulator.Options{StepDelay: 300 * time.Millisecond})
	p := newPlugin(t)
	runID := "a2345678-2222-4222-8222-222222222222"
	applied := mustRun(t, p.run(t.Context(), "apply", "-n", e.ns, "--workloads", "cpu,disk", "--run-id", runID), "apply")
	history := mustRun(t, p.run(t.Context(), "history", runID), "history RUN-ID")
	figures := func(out string) string {
		var rows []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "LATENCY ") || strings.Contains(l, " → ") {
				rows = append(rows, l)
			}
		}
		if len(rows) < 2 {
			t.Fatalf("no latency table in:\n%s", out)
		}
		return strings.Join(rows, "\n")
	}
	a, h := figures(applied.stdout), figures(history.stdout)
	t.Logf("apply: %s; history: %s", a, h)
	if a != h {
		t.Errorf("apply printed %q, history %q", a, h)
	}
}

// TestAuditHistory: apply and cleanup are recorded with options but no
// secrets; history lists them newest first and shows a run's details; the
// cleanup is linked to the run it removed.
func TestAuditHistory(t *testing.T) {
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	p := newPlugin(t)
	const pw = "Audit-Secret-77x"
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runID := "a1234567-1111-4111-8111-111111111111"
	mustRun(t, p.run(t.Context(), "apply", "-n", e.ns, "--workloads", "cpu,network", "--run-id", runID,
		"--ssh-user", "ops", "--ssh-password-file", pwFile), "apply")
	mustRun(t, p.run(t.Context(), "cleanup", "-n", e.ns, "--run-id", runID, "--yes"), "cleanup")

	h := mustRun(t, p.run(t.Context(), "history"), "history")
	lines := strings.Split(strings.TrimSpace(h.stdout), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "cleanup") || !strings.Contains(lines[2], "apply") || !strings.Contains(lines[2], "succeeded") {
		t.Errorf("history (newest first):\n%s", h.stdout)
	}
	d := mustRun(t, p.run(t.Context(), "history", runID), "history RUN-ID")
	for _, want := range []string{"apply of run " + runID + " — succeeded", "ssh-auth=true", "VirtualMachine: 3 created", "VMs: 3, 3 reached Running, 3 Ready", "created → running ", "Events:", "Removed by cleanup invocation(s): [2]"} {
		if !strings.Contains(d.stdout, want) {
			t.Errorf("history %s lacks %q:\n%s", runID, want, d.stdout)
		}
	}
	var details []struct {
		Invocation struct{ Command, Status string }
		Objects    []struct{ Kind, Outcome string }
	}
	j := mustRun(t, p.run(t.Context(), "history", runID, "-o", "json"), "history -o json")
	if err := json.Unmarshal([]byte(j.stdout), &details); err != nil || len(details) != 2 ||
		details[1].Invocation.Command != "apply" || len(details[1].Objects) != 8 || details[0].Invocation.Command != "cleanup" {
		t.Errorf("history -o json (%v): %s", err, j.stdout)
	}
	db, err := os.ReadFile(p.auditDB)
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(p.auditDB + "-wal")
	if strings.Contains(string(db)+string(wal), pw) {
		t.Error("the SSH password is in the audit DB")
	}
	if info, err := os.Stat(p.auditDB); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("audit DB mode: %v %v", info.Mode(), err)
	}
	if r := p.run(t.Context(), "render", "--workloads", "cpu"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	again := mustRun(t, p.run(t.Context(), "history"), "history")
	if strings.Count(again.stdout, "\n") != 3 {
		t.Errorf("render touched the audit history:\n%s", again.stdout)
	}
}
