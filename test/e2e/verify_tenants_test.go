package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/virtwork/kubectl-virtwork/pkg/verify"
	"github.com/virtwork/kubectl-virtwork/test/prom"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// TestVerifyTenants: verify, given the run id alone, checks a run spread
// over two namespaces against the metrics of both (a simulator each,
// scraped by a real Prometheus): every VM of the run is checked, in its
// own namespace, and passes.
func TestVerifyTenants(t *testing.T) {
	e := newEnv(t)
	prefix := e.ns
	tenants := []string{prefix + "-0", prefix + "-1"}
	var jobs []prom.Job
	for i, ns := range tenants {
		t.Cleanup(func() { _ = e.client.Resource(namespaceGVR).Delete(context.Background(), ns, metav1.DeleteOptions{}) })
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		opts := simulator.Options{Namespace: ns, StepDelay: 100 * time.Millisecond, MetricsListener: l, Seed: uint64(20 + i),
			NodePrefix: fmt.Sprintf("tenant%d-node", i)}
		simulator.Start(t, e.cfg, opts)
		for _, j := range simulator.ScrapeJobs(l.Addr(), opts) {
			j.Name += fmt.Sprintf("-%d", i)
			jobs = append(jobs, j)
		}
	}
	p := prom.Require(t, prom.Options{Jobs: jobs})
	plug := newPlugin(t)

	id := "7f000000-1111-4111-8111-111111111111"
	t0 := time.Now().Add(20 * time.Second).Truncate(time.Second)
	mustRun(t, plug.run(t.Context(), "apply", "--namespaces", "2", "--namespace-prefix", prefix, "--run-id", id, "--workloads", "cpu",
		"--vm-count", "4", "--cpu-cores", "2", "--timeout", "2m", "--start-at", t0.UTC().Format(time.RFC3339),
		"--profile", "cpu=square:high=80,low=20,period=30s"), "apply")
	// Two periods played and scraped: the profile's own time, not a
	// synchronisation.
	time.Sleep(time.Until(t0.Add(63 * time.Second)))

	out := plug.run(t.Context(), "verify", "--run-id", id, "--prometheus", p.URL(), "--rate-window", "5s", "--settle", "3s", "--step", "1s", "-o", "json")
	if out.code != 0 {
		t.Fatalf("verify exit %d, want 0\nstdout:\n%s\nstderr:\n%s", out.code, out.stdout, out.stderr)
	}
	var res verify.Result
	if err := json.Unmarshal([]byte(out.stdout), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Namespaces) != 2 || res.Namespaces[0] != tenants[0] || res.Namespaces[1] != tenants[1] {
		t.Errorf("verify's namespaces %v, want %v", res.Namespaces, tenants)
	}
	passed := map[string]int{}
	for _, c := range res.Checks {
		if c.Outcome == verify.Passed {
			passed[c.VM]++
		}
	}
	for i := range 4 {
		if vm := fmt.Sprintf("virtwork-cpu-7f000000-%d", i); passed[vm] == 0 {
			t.Errorf("no passed check of %s (in %s): %+v", vm, tenants[i%2], res.Checks)
		}
	}
}
