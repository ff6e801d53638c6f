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
// once, a summary that counts each object once as created, and every VM
// running.
func TestApplyUnderAPIServerFaults(t *testing.T) {
	modes := []struct {
		name  string
		fault faultproxy.Fault
	}{
		{"throttled with Retry-After", faultproxy.Throttle(7, time.Second)},
		{"bursts of 500 and 503", faultproxy.ServerErrors(40, 6)},
		// The first namespace create is answered by nobody after the
		// server made the namespace: a retry meets AlreadyExists.
		{"connection resets", resetNamespaceCreate(faultproxy.Resets(11))},
		{"latency of 2s", faultproxy.Latency(2 * time.Second)},
	}
	for i, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel() // they mostly wait: on Retry-After, backoff or latency
			e := newEnv(t)
			ns := e.freshNamespace(t, fmt.Sprintf("vw-fault-%d", i))
			e.simulate(t, ns)
			runID := fmt.Sprintf("fa%d11111-1111-4111-8111-111111111111", i)
			b := bundle(t, ns, runID, run200...)
			var played atomic.Int64
			e.proxy.SetFault(counted(m.fault, &played))

			o := e.run(t, append([]string{"apply", "-n", ns, "--run-id", runID, "--timeout", "4m", "-o", "json"}, run200...)...)
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
			if sum.VMs == nil || sum.VMs.Total != 200 || sum.VMs.Ready != 200 {
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
