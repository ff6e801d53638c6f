package resilience

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/test/faultproxy"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// signalAt returns a fault that sends sig to the process *p at the nth
// request that matches, and, for a SIGKILL, drops that request so the
// server never sees it. then, when set, runs instead of signalling right
// away and signals when it returns.
func signalAt(p **os.Process, sig os.Signal, nth int64, match func(faultproxy.Request) bool, then func()) (faultproxy.Fault, *atomic.Bool) {
	var seen atomic.Int64
	var fired atomic.Bool
	return func(r faultproxy.Request) faultproxy.Action {
		if !match(r) || seen.Add(1) != nth {
			return faultproxy.Action{}
		}
		send := func() {
			fired.Store(true)
			_ = (*p).Signal(sig)
		}
		if then != nil {
			go func() { then(); send() }()
			return faultproxy.Action{}
		}
		send()
		if sig == syscall.SIGKILL {
			return faultproxy.Action{ResetBefore: true}
		}
		return faultproxy.Action{}
	}, &fired
}

func is(verb, resource string) func(faultproxy.Request) bool {
	return func(r faultproxy.Request) bool { return r.Verb == verb && r.Resource == resource }
}

// started is a plugin process running in the background.
type started struct {
	proc           *os.Process
	done           chan struct{}
	code           int
	stdout, stderr tools.Buffer
}

// start runs the plugin in the background; the fault, built from the
// process, is set on the proxy before the process sends anything.
func (e *env) start(t *testing.T, fault func(**os.Process) (faultproxy.Fault, *atomic.Bool), args ...string) (*started, *atomic.Bool) {
	t.Helper()
	s := &started{done: make(chan struct{})}
	c := e.command(context.Background(), args...)
	c.Stdout, c.Stderr = &s.stdout, &s.stderr
	f, fired := fault(&s.proc)
	var mu sync.Mutex
	mu.Lock()
	e.proxy.SetFault(nil)
	if f != nil {
		e.proxy.SetFault(func(r faultproxy.Request) faultproxy.Action {
			mu.Lock() // s.proc is set
			mu.Unlock()
			return f(r)
		})
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	s.proc = c.Process
	mu.Unlock()
	go func() {
		_ = c.Wait()
		s.code = c.ProcessState.ExitCode()
		if ws, ok := c.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			s.code = 128 + int(ws.Signal())
		}
		close(s.done)
	}()
	t.Cleanup(func() { _ = s.proc.Kill(); <-s.done })
	return s, fired
}

// wait waits for the process to end, at most two minutes.
func (s *started) wait(t *testing.T) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the plugin did not end within two minutes\nstderr:\n%s", lastLines(s.stderr.String(), 20))
	}
}

// killPoint is one place in an apply where the process is killed.
type killPoint struct {
	name  string
	nth   int64
	match func(faultproxy.Request) bool
	// inWait: kill once this many VMIs run while the tool watches them.
	runningVMIs int
}

// killPoints are ten fixed points of a 200-VM apply, in the order the
// apply reaches them. A point is "the nth request of this kind reached
// the proxy"; that request is dropped, and requests already in flight
// finish or not, as they would after a real crash.
var killPoints = []killPoint{
	{name: "first request", nth: 1, match: func(faultproxy.Request) bool { return true }},
	{name: "namespace create", nth: 1, match: is("create", "namespaces")},
	{name: "after the namespace", nth: 1, match: is("list", "services")},
	{name: "mid Services", nth: 25, match: is("patch", "services")},
	{name: "mid Secrets", nth: 2, match: is("patch", "secrets")}, // of 4, one per role
	{name: "first VM", nth: 1, match: is("patch", "virtualmachines")},
	{name: "mid VMs", nth: 100, match: is("patch", "virtualmachines")},
	{name: "last VM", nth: 200, match: is("patch", "virtualmachines")},
	// client-go's informers list through a watch (sendInitialEvents), so
	// the wait's first request is a watch.
	{name: "wait starts", nth: 1, match: is("watch", "virtualmachineinstances")},
	{name: "during the wait", nth: 1, match: is("watch", "virtualmachineinstances"), runningVMIs: 10},
}

// TestKillAtTenPoints: SIGKILL at each point of a 200-VM apply. From the
// state each kill leaves, `cleanup --run-id` (the run id is the one given,
// and the audit history shows it in progress) leaves no labelled object of
// any kind, the namespace the run made included; and from the same state
// again, re-running the apply converges: every object exactly once, the
// missing ones created and the rest unchanged.
func TestKillAtTenPoints(t *testing.T) {
	for i, kp := range killPoints {
		for _, then := range []string{"cleanup", "reapply"} {
			t.Run(fmt.Sprintf("%02d %s/%s", i+1, kp.name, then), func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				ns := e.freshNamespace(t, fmt.Sprintf("vw-kill-%d-%s", i+1, then))
				if kp.runningVMIs > 0 {
					e.simulate(t, ns) // VMs start only for the point that needs them running
				}
				runID := fmt.Sprintf("%08d-1111-4111-8111-%s", i+1, map[string]string{"cleanup": "111111111111", "reapply": "222222222222"}[then])
				args := append([]string{"apply", "-n", ns, "--run-id", runID, "--timeout", "2m"}, run200...)
				var afterMatch func()
				if kp.runningVMIs > 0 {
					afterMatch = func() { e.waitRunningVMIs(t, ns, runID, kp.runningVMIs) }
				}
				p, fired := e.start(t, func(p **os.Process) (faultproxy.Fault, *atomic.Bool) {
					return signalAt(p, syscall.SIGKILL, kp.nth, kp.match, afterMatch)
				}, args...)
				p.wait(t)
				if !fired.Load() || p.code != 128+int(syscall.SIGKILL) {
					t.Fatalf("the kill point was not reached (exit %d)\nstderr:\n%s", p.code, lastLines(p.stderr.String(), 20))
				}
				e.proxy.SetFault(nil)
				e.assertInProgress(t, runID)

				switch then {
				case "cleanup":
					mustRun(t, e.run(t, "cleanup", "-n", ns, "--run-id", runID, "--yes", "--delete-namespace"), "cleanup")
					e.assertNothingLeft(t, ns, runID)
				case "reapply":
					o := mustRun(t, e.run(t, append(args, "--no-wait", "-o", "json")...), "re-apply")
					b := bundle(t, ns, runID, run200...)
					sum := parseSummary(t, o)
					for kind, n := range b.Counts() {
						got := sum.Objects[kind]
						if got["created"]+got["unchanged"] != n || got["configured"] != 0 || got["failed"] != 0 || got["existing"] != 0 {
							t.Errorf("re-apply %s outcomes %v; want %d created or unchanged", kind, nonZero(got), n)
						}
					}
					e.assertExactly(t, b)
				}
			})
		}
	}
}

// assertInProgress checks that the audit history knows the killed run,
// where it stays "in progress": that is how to find its run id after a
// crash. A kill before the first write of the apply leaves no entry.
func (e *env) assertInProgress(t *testing.T, runID string) {
	t.Helper()
	if _, err := os.Stat(e.auditDB); os.IsNotExist(err) {
		return
	}
	store, err := audit.Open(t.Context(), e.auditDB)
	if err != nil {
		t.Fatalf("the audit history is not readable after SIGKILL: %v", err)
	}
	defer store.Close()
	hist, err := store.History(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range hist {
		if inv.RunID == runID && inv.Status == audit.InProgress {
			return
		}
	}
	t.Errorf("the audit history does not show run %s in progress: %+v", runID, hist)
}

// waitRunningVMIs waits until n of the run's VMIs are Running.
func (e *env) waitRunningVMIs(t *testing.T, ns, runID string, n int) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		l, err := e.client.Resource(vmiGVR).Namespace(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "virtwork/run-id=" + runID})
		if err == nil {
			running := 0
			for _, o := range l.Items {
				if phase, _, _ := unstructured.NestedString(o.Object, "status", "phase"); phase == "Running" {
					running++
				}
			}
			if running >= n {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}
