package wait_test

import (
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/virtwork/kubectl-virtwork/pkg/report"
	"github.com/virtwork/kubectl-virtwork/test/runs"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// withDelays gives the named VMs of objs a simulator step delay each.
func withDelays(objs iter.Seq[*unstructured.Unstructured], delays map[string]time.Duration) iter.Seq[*unstructured.Unstructured] {
	return func(yield func(*unstructured.Unstructured) bool) {
		for o := range objs {
			if d, ok := delays[o.GetName()]; ok && o.GetKind() == "VirtualMachine" {
				o.SetAnnotations(map[string]string{simulator.StartDelayAnnotation: d.String()})
			}
			if !yield(o) {
				return
			}
		}
	}
}

// TestLatenciesFollowTheSimulatorsDelays: 20 VMs, ten with 1s steps, nine
// with 2s and one with 3s. The simulator stamps each phase a step after
// the one before (Pending at the VM's creation, then Scheduling,
// Scheduled, Running, and Ready a step after Running), so the quantiles
// are known exactly: created → ready is 4 steps, whose nearest-rank p50
// is the 10th value (4s), p95 the 19th (8s), p99 and max the 20th (12s).
func TestLatenciesFollowTheSimulatorsDelays(t *testing.T) {
	e := newEnv(t, simulator.Options{Workers: 8})
	b := runs.Bundle(t, e.ns, "--workloads", "cpu", "--vm-count", "20")
	delays := map[string]time.Duration{}
	for i, name := range b.VMNames() {
		switch {
		case i < 10:
			delays[name] = time.Second
		case i < 19:
			delays[name] = 2 * time.Second
		default:
			delays[name] = 3 * time.Second
		}
	}
	e.deploy(t, withDelays(b.Objects(), delays))
	res := e.wait(t, b, time.Minute)
	if !res.Done || res.Counts().Reached != 20 {
		t.Fatalf("done %v, counts %+v", res.Done, res.Counts())
	}
	var timelines []report.Timeline
	for _, vm := range res.VMs {
		timelines = append(timelines, report.TimelineOf(vm))
	}
	got := report.LatenciesOf(timelines)
	// steps: the quantiles of N steps of each VM's delay.
	steps := func(from, to string, n float64) report.Latency {
		return report.Latency{From: from, To: to, Percentiles: &report.Percentiles{P50: n, P95: 2 * n, P99: 3 * n, Max: 3 * n, Count: 20}}
	}
	want := &report.Latencies{Phases: []report.Latency{
		steps(report.PhaseCreated, report.PhaseScheduled, 2),
		steps(report.PhaseCreated, report.PhaseRunning, 3),
		steps(report.PhaseCreated, report.PhaseReady, 4),
		steps(report.PhaseScheduled, report.PhaseRunning, 1),
		steps(report.PhaseRunning, report.PhaseReady, 1),
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		for _, vm := range res.VMs {
			t.Log(fmt.Sprintf("%s (step %s): created %s scheduled %s running %s ready %s", vm.Name, delays[vm.Name],
				vm.Created.Format(time.TimeOnly), vm.ScheduledAt.Format(time.TimeOnly), vm.RunningAt.Format(time.TimeOnly), vm.ReadyAt.Format(time.TimeOnly)))
		}
		t.Errorf("latencies (-want +got):\n%s", diff)
	}
}
