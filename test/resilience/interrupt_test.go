package resilience

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	utilwait "k8s.io/apimachinery/pkg/util/wait"

	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/test/faultproxy"
)

// TestInterrupt: SIGINT (Ctrl-C) to the real process while it applies and
// while it waits. It exits 130, says so in the summary, records the run as
// interrupted in the audit history, and prints a cleanup command that, run
// as printed, leaves nothing of the run.
func TestInterrupt(t *testing.T) {
	points := []struct {
		name  string
		nth   int64
		match func(faultproxy.Request) bool
		// want is in the summary: what is in the cluster after an
		// unfinished apply; the VM counts in the wait.
		want string
	}{
		{"during apply", 50, is("patch", "virtualmachines"), "In the cluster: Namespace 1, Service 50, Secret 4, VirtualMachine "},
		{"during wait", 1, is("watch", "virtualmachineinstances"), "still waiting (of 200)"},
	}
	for i, pt := range points {
		t.Run(pt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			// No simulator: VMs that never start keep the wait waiting.
			ns := e.freshNamespace(t, fmt.Sprintf("vw-int-%d", i))
			runID := fmt.Sprintf("1a%d11111-1111-4111-8111-111111111111", i)
			p, fired := e.start(t, func(p **os.Process) (faultproxy.Fault, *atomic.Bool) {
				return signalAt(p, os.Interrupt, pt.nth, pt.match, nil)
			}, append([]string{"apply", "-n", ns, "--run-id", runID, "--timeout", "2m"}, run200...)...)
			p.wait(t)
			stdout, stderr := p.stdout.String(), p.stderr.String()
			if !fired.Load() || p.code != 130 {
				t.Fatalf("exit %d (interrupt sent: %v), want 130\nstdout:\n%s\nstderr:\n%s", p.code, fired.Load(), stdout, lastLines(stderr, 20))
			}
			for _, want := range []string{"Interrupted.", pt.want} {
				if !strings.Contains(stdout, want) {
					t.Errorf("summary lacks %q:\n%s", want, stdout)
				}
			}
			e.assertStatus(t, runID, audit.Interrupted)

			_, line, ok := strings.Cut(stderr, "to remove what was applied: ")
			if !ok {
				t.Fatalf("no cleanup command on stderr:\n%s", stderr)
			}
			line, _, _ = strings.Cut(line, "\n")
			fields := strings.Fields(line)
			if len(fields) < 3 || fields[0] != "kubectl" || fields[1] != "virtwork" {
				t.Fatalf("cleanup command %q", line)
			}
			// Run as printed; the binary stands for kubectl's plugin dispatch.
			mustRun(t, e.run(t, fields[2:]...), line)
			e.assertNothingLeft(t, ns, runID)
		})
	}
}

// TestInterruptWaitCommand: SIGINT to `wait` exits 130 with the summary
// of what it saw.
func TestInterruptWaitCommand(t *testing.T) {
	e := newEnv(t)
	ns := e.freshNamespace(t, "vw-int-wait")
	runID := "1a911111-1111-4111-8111-111111111111"
	mustRun(t, e.run(t, "apply", "-n", ns, "--run-id", runID, "--workloads", "cpu", "--vm-count", "3", "--no-wait"), "apply")
	// No simulator: the VMs never start, so wait only ends on the signal,
	// sent once its first progress line says it follows the VMs.
	p, _ := e.start(t, func(**os.Process) (faultproxy.Fault, *atomic.Bool) { return nil, nil },
		"wait", "-n", ns, "--run-id", runID, "--timeout", "2m")
	err := utilwait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		return strings.Contains(p.stderr.String(), "waiting for run "+runID+": 0/3 ready"), nil
	})
	if err != nil {
		t.Fatalf("wait never reported progress: %v\n%s", err, p.stderr.String())
	}
	if err := p.proc.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	p.wait(t)
	if p.code != 130 || !strings.Contains(p.stdout.String(), "Interrupted.") || !strings.Contains(p.stdout.String(), "3 still waiting") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", p.code, p.stdout.String(), lastLines(p.stderr.String(), 10))
	}
}

// assertStatus checks the audit history's last invocation of runID.
func (e *env) assertStatus(t *testing.T, runID string, want audit.Status) {
	t.Helper()
	store, err := audit.Open(t.Context(), e.auditDB)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	hist, err := store.History(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range hist {
		if inv.RunID == runID && inv.Command == audit.CommandApply {
			if inv.Status != want {
				t.Errorf("audit status of run %s: %q, want %q", runID, inv.Status, want)
			}
			return
		}
	}
	t.Errorf("the audit history has no apply of run %s: %+v", runID, hist)
}
