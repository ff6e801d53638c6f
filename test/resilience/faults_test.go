package resilience

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/test/faultproxy"
)

// counted wraps a fault and counts the requests it did something to, so a
// test can tell that the fault was played at all.
func counted(f faultproxy.Fault, n *atomic.Int64) faultproxy.Fault {
	return func(r faultproxy.Request) faultproxy.Action {
		a := f(r)
		if a != (faultproxy.Action{}) {
			n.Add(1)
		}
		return a
	}
}

// TestApplyUnderAPIServerFaults: under each fault, a 200-VM apply through
// the proxy ends with exit 0, every object of the run present exactly
// once, and a summary that counts each object once as created. Under
// connection resets, which also cut the wait's watches, the apply waits
// too and every VM must be seen ready.
func TestApplyUnderAPIServerFaults(t *testing.T) {
	modes := []struct {
		name  string
		fault faultproxy.Fault
		wait  bool
	}{
		{"throttled with Retry-After", faultproxy.Throttle(7, time.Second), false},
		{"bursts of 500 and 503", faultproxy.ServerErrors(40, 6), false},
		// The first namespace create is answered by nobody after the
		// server made the namespace: a retry meets AlreadyExists.
		{"connection resets", resetNamespaceCreate(faultproxy.Resets(11)), true},
		{"latency of 2s", faultproxy.Latency(2 * time.Second), false},
	}
	for i, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel() // they mostly wait: on Retry-After, backoff or latency
			e := newEnv(t)
			ns := e.freshNamespace(t, fmt.Sprintf("vw-fault-%d", i))
			runID := fmt.Sprintf("fa%d11111-1111-4111-8111-111111111111", i)
			args := append([]string{"apply", "-n", ns, "--run-id", runID, "--timeout", "4m", "-o", "json"}, run200...)
			if m.wait {
				e.simulate(t, ns)
			} else {
				args = append(args, "--no-wait")
			}
			b := bundle(t, ns, runID, run200...)
			var played atomic.Int64
			e.proxy.SetFault(counted(m.fault, &played))

			o := e.run(t, args...)
			t.Logf("%s: exit %d in %s; %d of %d requests faulted", m.name, o.code, o.took.Round(time.Millisecond), played.Load(), len(e.proxy.Requests()))
			if played.Load() == 0 {
				t.Fatal("the fault was never played; the test proved nothing")
			}
			if o.code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", o.code, o.stdout, lastLines(o.stderr, 30))
			}
			sum := parseSummary(t, o)
			for kind, n := range b.Counts() {
				want := map[string]int{"created": n}
				if got := nonZero(sum.Objects[kind]); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("summary for %s: %v, want %v", kind, got, want)
				}
			}
			if len(sum.ApplyErrors) > 0 || sum.NotAttempted > 0 {
				t.Errorf("summary reports errors %v, %d not attempted", sum.ApplyErrors, sum.NotAttempted)
			}
			if m.wait && (sum.VMs == nil || sum.VMs.Total != 200 || sum.VMs.Ready != 200) {
				t.Errorf("summary VMs: %+v", sum.VMs)
			}
			e.proxy.SetFault(nil)
			e.assertExactly(t, b)
		})
	}
}

// resetNamespaceCreate plays a reset after the server acted on the first
// namespace create, and f on everything else.
func resetNamespaceCreate(f faultproxy.Fault) faultproxy.Fault {
	var once atomic.Bool
	return func(r faultproxy.Request) faultproxy.Action {
		if r.Verb == "create" && r.Resource == "namespaces" && once.CompareAndSwap(false, true) {
			return faultproxy.Action{ResetAfter: true}
		}
		return f(r)
	}
}

func nonZero(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// TestServerGoneForGood: the API server goes away in the middle of the
// VirtualMachines and never comes back. Apply gives up within --timeout,
// exits 1, and its summary names the objects it knows are in the cluster:
// each of them is there, and anything else there is one whose request
// failed (and is reported as such).
func TestServerGoneForGood(t *testing.T) {
	e := newEnv(t)
	ns := e.freshNamespace(t, "vw-gone")
	runID := "90e11111-1111-4111-8111-111111111111"
	var vmPatches atomic.Int64
	e.proxy.SetFault(func(r faultproxy.Request) faultproxy.Action {
		if r.Verb == "patch" && r.Resource == "virtualmachines" && vmPatches.Add(1) == 60 {
			go e.proxy.Stop()
			return faultproxy.Action{ResetBefore: true}
		}
		return faultproxy.Action{}
	})
	const timeout = 10 * time.Second
	o := e.run(t, append([]string{"apply", "-n", ns, "--run-id", runID, "--timeout", timeout.String(), "-o", "json"}, run200...)...)
	t.Logf("exit %d after %s", o.code, o.took.Round(time.Millisecond))
	if o.code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", o.code, o.stdout, lastLines(o.stderr, 20))
	}
	// The deadline runs from the first apply request; start-up, the
	// checks before it and the summary get a little on top.
	if o.took > timeout+5*time.Second {
		t.Errorf("apply took %s with --timeout %s", o.took, timeout)
	}
	if !strings.Contains(o.stderr, "--timeout 10s passed") {
		t.Errorf("stderr does not say the timeout passed:\n%s", lastLines(o.stderr, 5))
	}
	sum := parseSummary(t, o)
	if sum.Present == nil {
		t.Fatalf("the summary does not say what is in the cluster:\n%s", o.stdout)
	}
	failed := strings.Join(sum.ApplyErrors, "\n")
	for kind, gvr := range gvrOf {
		inCluster := e.labelled(t, gvr, ns, runID)
		known := map[string]bool{}
		for _, n := range sum.Present[kind] {
			known[n] = true
		}
		for _, n := range inCluster {
			if !known[n] && !strings.Contains(failed, kind+" "+ns+"/"+n+":") && !strings.Contains(failed, kind+" "+n+":") {
				t.Errorf("%s %s is in the cluster, but the summary neither lists it present nor failed", kind, n)
			}
			delete(known, n)
		}
		for n := range known {
			t.Errorf("the summary lists %s %s present, but it is not in the cluster", kind, n)
		}
	}
	if n := len(sum.Present["VirtualMachine"]); n == 0 || n >= 60 {
		t.Errorf("%d VMs present; the server went at the 60th patch, with up to 32 in flight", n)
	}
}
