package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// TestThresholds: with 1s simulator steps every VM is created → running in
// exactly 3s and created → ready in 4s (the simulator stamps each phase a
// step after the one before), so a 2s running threshold is exceeded and a
// 5s ready one is not. apply exits 3 naming the quantile, its value and
// the limit; -o json and history carry the same figures; wait judges the
// same run by its own --threshold.
func TestThresholds(t *testing.T) {
	e := newEnv(t)
	e.simulate(t, simulator.Options{StepDelay: time.Second})
	p := newPlugin(t)
	runID := "a7777777-7777-4777-8777-777777777777"
	applied := p.run(t.Context(), "apply", "-n", e.ns, "--workloads", "cpu", "--vm-count", "3", "--run-id", runID,
		"--threshold", "running:p95=2s", "--threshold", "ready:p99=5s", "-o", "json")
	if applied.code != 3 || !strings.Contains(applied.stderr, "latency threshold exceeded: running p95 (created → running) 3s exceeds the limit 2s") ||
		strings.Contains(applied.stderr, "ready p99") {
		t.Fatalf("apply: exit %d, stderr:\n%s", applied.code, applied.stderr)
	}
	var sum struct {
		VMs struct {
			Latencies struct {
				Phases []struct {
					From, To      string
					P50, P99, Max float64
					Count         int
				}
			}
			Thresholds []struct {
				Phase, Quantile string
				Limit           float64 `json:"limitSeconds"`
				Measured        float64 `json:"measuredSeconds"`
				Exceeded        bool
			}
		}
	}
	if err := json.Unmarshal([]byte(applied.stdout), &sum); err != nil {
		t.Fatalf("%v:\n%s", err, applied.stdout)
	}
	want := map[string]float64{"created→scheduled": 2, "created→running": 3, "created→ready": 4, "scheduled→running": 1, "running→ready": 1}
	for _, r := range sum.VMs.Latencies.Phases {
		if w, ok := want[r.From+"→"+r.To]; !ok || r.P50 != w || r.Max != w || r.Count != 3 {
			t.Errorf("latency %s → %s: %+v, want %vs for all 3 VMs", r.From, r.To, r, w)
		}
	}
	if th := sum.VMs.Thresholds; len(th) != 2 || !th[0].Exceeded || th[0].Measured != 3 || th[0].Limit != 2 || th[1].Exceeded || th[1].Measured != 4 {
		t.Errorf("thresholds %+v", th)
	}

	h := mustRun(t, p.run(t.Context(), "history", runID), "history RUN")
	for _, s := range []string{"— threshold exceeded", "threshold=running:p95=2s,ready:p99=5s", "created → running            3    3s   3s   3s   3s"} {
		if !strings.Contains(h.stdout, s) {
			t.Errorf("history lacks %q:\n%s", s, h.stdout)
		}
	}

	mustRun(t, p.run(t.Context(), "wait", "-n", e.ns, "--run-id", runID, "--threshold", "running:max=3s"), "wait within the threshold")
	w := p.run(t.Context(), "wait", "-n", e.ns, "--run-id", runID, "--threshold", "scheduled:p50=1s")
	if w.code != 3 || !strings.Contains(w.stderr, "scheduled p50 (created → scheduled) 2s exceeds the limit 1s") ||
		!strings.Contains(w.stdout, "Threshold EXCEEDED: scheduled p50") {
		t.Errorf("wait: exit %d\n%s%s", w.code, w.stdout, w.stderr)
	}
}
