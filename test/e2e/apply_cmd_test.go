package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/cmd"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
)

// plugin runs kubectl-virtwork in-process against the shared control
// plane, as a user would with --kubeconfig.
type plugin struct {
	kubeconfig string
	auditDB    string
}

type outcome struct {
	code           int
	stdout, stderr string
}

// newPlugin keeps the test's audit history in its own temporary file.
func newPlugin(t *testing.T) plugin {
	return plugin{kubeconfig: cluster.Shared(t).KubeconfigPath(), auditDB: filepath.Join(t.TempDir(), "audit.db")}
}

func (p plugin) run(ctx context.Context, args ...string) outcome {
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	deps := cmd.Deps{
		Registry: workloads.Builtin(),
		LookupEnv: func(k string) (string, bool) {
			if k == "VIRTWORK_AUDIT_DB" {
				return p.auditDB, true
			}
			return "", false
		},
		ReadFile: os.ReadFile,
		NewRunID: uuid.NewString,
	}
	code := cmd.Execute(ctx, streams, deps, append(args, "--kubeconfig", p.kubeconfig))
	return outcome{code, out.String(), errOut.String()}
}

// TestApplyCommand: apply deploys, waits and reports; re-applying is a
// no-op; wait re-attaches; the run alias is the same command.
func TestApplyCommand(t *testing.T) {
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	p := newPlugin(t)
	runID := "dddddddd-1111-4111-8111-111111111111"
	args := []string{"apply", "-n", e.ns, "--workloads", "cpu,network", "--vm-count", "2", "--run-id", runID, "--timeout", "2m"}

	first := p.run(t.Context(), args...)
	if first.code != 0 {
		t.Fatalf("apply exit %d\nstdout:\n%s\nstderr:\n%s", first.code, first.stdout, first.stderr)
	}
	for _, want := range []string{"Run " + runID + " in namespace " + e.ns, "VirtualMachine  6", "VMs: 6 ready (workload active), 0 failed, 0 still waiting (of 6)", "LATENCY (server timestamps)  VMS  P50  P95  P99  MAX", "created → ready              6  "} {
		if !strings.Contains(first.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, first.stdout)
		}
	}
	if !strings.Contains(first.stderr, "applied 12/12 objects") {
		t.Errorf("progress on stderr: %q", first.stderr)
	}

	again := p.run(t.Context(), append(args, "-o", "json")...)
	if again.code != 0 {
		t.Fatalf("re-apply exit %d: %s", again.code, again.stderr)
	}
	var sum struct {
		Objects map[string]map[string]int
		VMs     struct{ Ready int }
	}
	if err := json.Unmarshal([]byte(again.stdout), &sum); err != nil {
		t.Fatalf("-o json: %v\n%s", err, again.stdout)
	}
	if sum.Objects["VirtualMachine"]["unchanged"] != 6 || sum.Objects["Secret"]["unchanged"] != 3 || sum.VMs.Ready != 6 {
		t.Errorf("re-apply summary %+v", sum)
	}

	w := p.run(t.Context(), "wait", "-n", e.ns, "--run-id", runID)
	if w.code != 0 || !strings.Contains(w.stdout, "VMs: 6 ready") {
		t.Errorf("wait exit %d:\n%s%s", w.code, w.stdout, w.stderr)
	}
	alias := p.run(t.Context(), "run", "-n", e.ns, "--workloads", "cpu", "--run-id", runID, "--no-wait")
	if alias.code != 0 || !strings.Contains(alias.stdout, "VirtualMachine  0") {
		t.Errorf("run alias exit %d:\n%s%s", alias.code, alias.stdout, alias.stderr)
	}
}

// TestApplyNotReadyExitCode: applied, but the VMs never run (no simulator)
// and --timeout passes: exit 3, with the waiting VMs listed.
func TestApplyNotReadyExitCode(t *testing.T) {
	e := newEnv(t)
	p := newPlugin(t)
	o := p.run(t.Context(), "apply", "-n", e.ns, "--workloads", "cpu", "--vm-count", "2", "--timeout", "10s")
	if o.code != cmd.ExitNotReady {
		t.Fatalf("exit %d, want %d\n%s%s", o.code, cmd.ExitNotReady, o.stdout, o.stderr)
	}
	if !strings.Contains(o.stdout, "VMs: 0 ready (workload active), 0 failed, 2 still waiting") || !strings.Contains(o.stdout, "WAITING VM") {
		t.Errorf("summary:\n%s", o.stdout)
	}
}

// TestDryRuns: client prints the bundle and sends nothing; server reports
// and changes nothing.
func TestDryRuns(t *testing.T) {
	e := newEnv(t)
	p := newPlugin(t)
	client := p.run(t.Context(), "apply", "-n", e.ns, "--workloads", "disk", "--dry-run=client")
	if client.code != 0 || !strings.Contains(client.stdout, "kind: VirtualMachine") {
		t.Fatalf("client dry run exit %d:\n%s", client.code, client.stderr)
	}
	server := p.run(t.Context(), "apply", "-n", e.ns, "--workloads", "disk", "--dry-run=server")
	if server.code != 0 || !strings.Contains(server.stdout, "server dry run: nothing was changed") {
		t.Fatalf("server dry run exit %d:\n%s%s", server.code, server.stdout, server.stderr)
	}
	for _, want := range []string{"OBJECT", "WOULD BE", "secret/virtwork-disk-", "virtualmachine/virtwork-disk-", "created"} {
		if !strings.Contains(server.stdout, want) {
			t.Errorf("server dry run does not report each object (%q missing):\n%s", want, server.stdout)
		}
	}
	list, err := e.resource(vmGVR).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 0 {
		t.Errorf("dry runs created %d VMs", len(list.Items))
	}
	// Into a namespace that does not exist yet, everything would be created.
	fresh := p.run(t.Context(), "apply", "-n", e.ns+"-new", "--workloads", "disk", "--dry-run=server", "-o", "json")
	var sum struct{ Objects map[string]map[string]int }
	if fresh.code != 0 || json.Unmarshal([]byte(fresh.stdout), &sum) != nil || sum.Objects["VirtualMachine"]["created"] != 1 || sum.Objects["Namespace"]["created"] != 1 {
		t.Errorf("server dry run into a new namespace: exit %d\n%s%s", fresh.code, fresh.stdout, fresh.stderr)
	}
	if _, err := e.client.Resource(nsGVR).Get(t.Context(), e.ns+"-new", metav1.GetOptions{}); err == nil {
		t.Error("a server dry run created the namespace")
	}
}

// TestInterruptPrintsWorkingCleanup: Ctrl-C during apply exits 130 and
// prints a cleanup command that, run as printed, removes the run.
func TestInterruptPrintsWorkingCleanup(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed")
	}
	e := newEnv(t)
	p := newPlugin(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// Interrupt once the first VM exists: mid-apply, by a condition.
	go func() {
		for ctx.Err() == nil {
			l, err := e.resource(vmGVR).List(ctx, metav1.ListOptions{Limit: 1})
			if err == nil && len(l.Items) > 0 {
				cancel()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	o := p.run(ctx, "apply", "-n", e.ns, "--workloads", "all", "--vm-count", "150", "--concurrency", "2")
	if o.code != cmd.ExitInterrupted {
		t.Fatalf("exit %d, want %d\n%s%s", o.code, cmd.ExitInterrupted, o.stdout, o.stderr)
	}
	if !strings.Contains(o.stdout, "Interrupted.") {
		t.Errorf("summary does not say it was interrupted:\n%s", o.stdout)
	}
	if h := p.run(t.Context(), "history"); !strings.Contains(h.stdout, "interrupted") {
		t.Errorf("the audit history does not record the interrupt:\n%s%s", h.stdout, h.stderr)
	}
	_, line, ok := strings.Cut(o.stderr, "to remove what was applied: ")
	if !ok {
		t.Fatalf("no cleanup command on stderr:\n%s", o.stderr)
	}
	line, _, _ = strings.Cut(line, "\n")
	fields := strings.Fields(line)
	if len(fields) < 3 || fields[0] != "kubectl" || fields[1] != "virtwork" {
		t.Fatalf("cleanup command %q", line)
	}
	// Run it as printed (the plugin in-process stands for kubectl's dispatch).
	if c := p.run(t.Context(), fields[2:]...); c.code != 0 {
		t.Fatalf("%s: exit %d\n%s%s", line, c.code, c.stdout, c.stderr)
	}
	for _, gvr := range []string{"virtualmachines", "secrets", "services"} {
		out, err := exec.Command(kubectl, "get", gvr, "-n", e.ns, "-l", "app.kubernetes.io/managed-by=virtwork", "-o", "name", "--kubeconfig", p.kubeconfig).Output()
		if err != nil {
			t.Fatal(err)
		}
		if s := strings.TrimSpace(string(out)); s != "" {
			t.Errorf("left after cleanup: %s", s)
		}
	}
}

// TestRenderedBundleAppliesWithKubectl: every workload's rendered bundle
// applies with kubectl's server-side apply, and applying it again changes
// no object.
func TestRenderedBundleAppliesWithKubectl(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed")
	}
	e := newEnv(t)
	p := newPlugin(t)
	ns := e.ns + "-k"
	r := p.run(t.Context(), "render", "-n", ns, "--workloads", "cpu,memory,database,network,disk", "--vm-count", "2", "--ssh-user", "ops",
		"--ssh-key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b")
	if r.code != 0 {
		t.Fatalf("render: %s", r.stderr)
	}
	file := filepath.Join(t.TempDir(), "run.yaml")
	if err := os.WriteFile(file, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = exec.Command(kubectl, "delete", "namespace", ns, "--kubeconfig", p.kubeconfig, "--wait=false").Run()
	})
	versions := func() string {
		out, err := exec.Command(kubectl, "get", "-f", file, "--kubeconfig", p.kubeconfig,
			"-o", "jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{\"\\n\"}{end}").CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl get: %v\n%s", err, out)
		}
		return string(out)
	}
	apply := func() string {
		out, err := exec.Command(kubectl, "apply", "--server-side", "--field-manager", "kubectl-virtwork", "-f", file, "--kubeconfig", p.kubeconfig).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl apply --server-side: %v\n%s", err, out)
		}
		return string(out)
	}
	out := apply()
	// The Namespace, 2 Services, a Secret per role (6) and 12 VMs.
	if n := strings.Count(out, "serverside-applied"); n != 1+2+6+12 {
		t.Errorf("kubectl applied %d objects, want 21:\n%s", n, out)
	}
	before := versions()
	apply()
	if after := versions(); after != before {
		t.Errorf("re-applying changed objects:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
