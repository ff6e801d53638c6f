package resilience

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/test/faultproxy"
)

// TestThrottleStormBoundsRequests: when the API server throttles every
// VirtualMachine patch for good, each VM costs a bounded number of
// requests before apply gives up and says so. A 429 with Retry-After is
// client-go's to retry (its default of 10 retries, waiting as asked):
// 11 requests per object, where a second retry wrapped around client-go's
// would multiply them (8 × 11 = 88 with the old pkg/retry). A 429 without
// Retry-After is not retried by client-go, only by the plugin's backoff.
// Run with -v to see the figures.
func TestThrottleStormBoundsRequests(t *testing.T) {
	modes := []struct {
		name       string
		retryAfter time.Duration
		max        int // requests per object
	}{
		{"429 with Retry-After", time.Second, 1 + 10},
		{"429 without Retry-After", 0, 8},
	}
	for i, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel() // they mostly wait on Retry-After or backoff
			e := newEnv(t)
			ns := e.freshNamespace(t, fmt.Sprintf("vw-storm-%d", i))
			runID := fmt.Sprintf("5a%d11111-1111-4111-8111-111111111111", i)
			stormed := func(r faultproxy.Request) bool {
				return r.Verb == "patch" && r.Resource == "virtualmachines" && r.Namespace == ns
			}
			e.proxy.SetFault(func(r faultproxy.Request) faultproxy.Action {
				if stormed(r) {
					return faultproxy.Action{Status: http.StatusTooManyRequests, RetryAfter: m.retryAfter}
				}
				return faultproxy.Action{}
			})

			const vms = 4
			o := e.run(t, "apply", "-n", ns, "--run-id", runID, "--workloads", "cpu", "--vm-count", fmt.Sprint(vms),
				"--no-wait", "--timeout", "4m", "-o", "json")
			perObject := map[string]int{}
			total := 0
			for _, r := range e.proxy.Requests() {
				if stormed(r) {
					perObject[r.Name]++
					total++
				}
			}
			t.Logf("%s: %d requests for %d VirtualMachines, %.1f per object (bound %d); exit %d in %s",
				m.name, total, len(perObject), float64(total)/float64(max(len(perObject), 1)), m.max, o.code, o.took.Round(time.Millisecond))

			if o.code == 0 {
				t.Fatalf("apply succeeded although every VM patch was throttled\nstdout:\n%s", o.stdout)
			}
			if len(perObject) == 0 {
				t.Fatalf("no VM patch reached the proxy; the test proved nothing\nstderr:\n%s", lastLines(o.stderr, 20))
			}
			names := make([]string, 0, len(perObject))
			for n := range perObject {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				if got := perObject[n]; got > m.max || got < 2 {
					t.Errorf("VirtualMachine %s: %d requests, want 2 to %d", n, got, m.max)
				}
			}
			sum := parseSummary(t, o)
			if failed := strings.Join(sum.ApplyErrors, "\n"); !strings.Contains(failed, "VirtualMachine "+ns+"/") {
				t.Errorf("the summary does not name the throttled VMs: %v", sum.ApplyErrors)
			}
		})
	}
}
