package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/virtwork/kubectl-virtwork/pkg/apply"
	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

func seconds(ss ...float64) []time.Duration {
	var ds []time.Duration
	for _, s := range ss {
		ds = append(ds, time.Duration(s*float64(time.Second)))
	}
	return ds
}

// TestPercentilesOfIsNearestRank: the smallest value with at least p% of
// the values at or below it; a zero is a measurement (the server's
// timestamps are whole seconds) and a negative one counts as zero.
func TestPercentilesOfIsNearestRank(t *testing.T) {
	var oneToTwenty, oneToHundred []float64
	for i := 1; i <= 100; i++ {
		if i <= 20 {
			oneToTwenty = append(oneToTwenty, float64(i))
		}
		oneToHundred = append(oneToHundred, float64(i))
	}
	tests := []struct {
		name string
		in   []time.Duration
		want *Percentiles
	}{
		{"none", nil, nil},
		{"zeros are measured", seconds(0, 0), &Percentiles{0, 0, 0, 0, 2}},
		{"one", seconds(3), &Percentiles{3, 3, 3, 3, 1}},
		// The case apply and history used to disagree on: floor index gave
		// the larger value as p50.
		{"two", seconds(20, 10), &Percentiles{10, 20, 20, 20, 2}},
		{"three", seconds(3, 1, 2), &Percentiles{2, 3, 3, 3, 3}},
		{"negative is zero", seconds(-1, 4, 0, 8), &Percentiles{0, 8, 8, 8, 4}},
		{"twenty", seconds(oneToTwenty...), &Percentiles{10, 19, 20, 20, 20}},
		{"hundred", seconds(oneToHundred...), &Percentiles{50, 95, 99, 100, 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, PercentilesOf(tt.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if got := (&Percentiles{1.234, 5.005, 7, 61, 3}).String(); got != "p50 1.23s, p95 5.01s, p99 7s, max 1m1s" {
		t.Errorf("String() = %q", got)
	}
}

func TestSortKinds(t *testing.T) {
	kinds := []string{"VirtualMachine", "DataVolume", "Secret", "Namespace", "ConfigMap", "Service"}
	SortKinds(kinds)
	want := []string{"Namespace", "Service", "Secret", "VirtualMachine", "ConfigMap", "DataVolume"}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// run is a two-VM run: created at t0, one VM scheduled after 4s, running
// after 10s and ready after 12s, the other scheduled after 5s, running
// after 25s and still not ready.
func run(target wait.Target) (*apply.Report, *wait.Result) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rep := &apply.Report{Results: []apply.Result{
		{Kind: "Namespace", Name: "ns", Outcome: apply.Existing, At: t0},
		{Kind: "Secret", Namespace: "ns", Name: "s", Outcome: apply.Created, At: t0},
		{Kind: "VirtualMachine", Namespace: "ns", Name: "vm-a", Outcome: apply.Created, At: t0},
		{Kind: "VirtualMachine", Namespace: "ns", Name: "vm-b", Outcome: apply.Created, At: t0},
	}}
	res := &wait.Result{Target: target, VMs: []wait.VM{
		{Name: "vm-a", State: wait.Ready, Reached: true, Created: t0, ScheduledAt: t0.Add(4 * time.Second),
			RunningAt: t0.Add(10 * time.Second), ReadyAt: t0.Add(12 * time.Second)},
		{Name: "vm-b", State: wait.Running, Reached: target == wait.ForRunning, Created: t0, ScheduledAt: t0.Add(5 * time.Second),
			RunningAt: t0.Add(25 * time.Second), Observed: "the VMI's Ready condition had no lastTransitionTime"},
	}}
	if target != wait.ForRunning {
		res.VMs[1].Reason = "Running, workload not active: probe failed"
	}
	return rep, res
}

// TestSummaryTable pins the table apply and wait print.
func TestSummaryTable(t *testing.T) {
	rep, res := run(wait.ForReady)
	s := NewSummary("r1", "ns", "quay.io/img", false)
	s.AddApply(rep, 1500*time.Millisecond)
	s.AddWait(res)
	var out bytes.Buffer
	if err := s.Print(&out, ""); err != nil {
		t.Fatal(err)
	}
	want := `Run r1 in namespace ns
Image: quay.io/img

KIND            CREATED  CONFIGURED  UNCHANGED  EXISTING  FAILED
Namespace       0        0           0          1         0
Secret          1        0           0          0         0
VirtualMachine  2        0           0          0         0

VMs: 1 ready (workload active), 0 failed, 1 still waiting (of 2)

LATENCY (server timestamps)  VMS  P50  P95  P99  MAX
created → scheduled          2    4s   5s   5s   5s
created → running            2    10s  25s  25s  25s
created → ready              1    12s  12s  12s  12s
scheduled → running          2    6s   20s  20s  20s
running → ready              1    2s   2s   2s   2s
1 VMs timed by observation: the VMI's Ready condition had no lastTransitionTime

WAITING VM  REASON
vm-b        Running, workload not active: probe failed
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := s.Counts(); got["vms/ready"] != 1 || got["vms/waiting"] != 1 || got["VirtualMachine/created"] != 2 {
		t.Errorf("counts %v", got)
	}
}

// TestSummaryForRunning: --for=running counts a booted VM whose workload
// is not active as done, and says "running", not "ready".
func TestSummaryForRunning(t *testing.T) {
	_, res := run(wait.ForRunning)
	s := NewSummary("r1", "ns", "", false)
	s.AddWait(res)
	var out bytes.Buffer
	if err := s.Print(&out, ""); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "VMs: 2 running, 0 failed, 0 still waiting (of 2)") || strings.Contains(out.String(), "WAITING") {
		t.Errorf("summary:\n%s", out.String())
	}
}

// TestSummaryJSONKeys: scripts read these names; they stay.
func TestSummaryJSONKeys(t *testing.T) {
	rep, res := run(wait.ForReady)
	rep.Results = append(rep.Results, apply.Result{Kind: "Service", Namespace: "ns", Name: "svc", Outcome: apply.Failed, Err: errors.New("boom")})
	s := NewSummary("r1", "ns", "img", false)
	s.AddApply(rep, time.Second)
	s.Incomplete()
	s.AddWait(res)
	var out bytes.Buffer
	if err := s.Print(&out, "json"); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	vms := got["vms"].(map[string]any)
	for _, k := range []string{"for", "total", "ready", "failed", "waiting", "timeToRunningSeconds", "timeToReadySeconds", "latencies"} {
		if _, ok := vms[k]; !ok {
			t.Errorf("vms lacks %q: %v", k, vms)
		}
	}
	if vms["ready"] != 1.0 || vms["timeToRunningSeconds"].(map[string]any)["p50"] != 10.0 {
		t.Errorf("vms %v", vms)
	}
	for _, k := range []string{"runID", "namespace", "image", "objects", "applySeconds", "applyErrors", "present", "cleanupCommand"} {
		if _, ok := got[k]; !ok {
			t.Errorf("summary lacks %q", k)
		}
	}
}

// TestDetailUsesTheSameFiguresAndKindOrder: history's detail prints time
// to Running with the same function as the summary, and kinds in apply's
// order.
func TestDetailUsesTheSameFiguresAndKindOrder(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	d := audit.Detail{
		Invocation: audit.Invocation{ID: 1, RunID: "r1", Command: audit.CommandApply, Status: audit.Succeeded, StartedAt: t0},
		Objects: []audit.Object{
			{Kind: "VirtualMachine", Name: "vm-a", Outcome: "created"},
			{Kind: "Secret", Name: "s", Outcome: "created"},
			{Kind: "Service", Name: "svc", Outcome: "created"},
			{Kind: "Namespace", Name: "ns", Outcome: "existing"},
		},
		VMs: []audit.VM{
			{Name: "vm-a", CreatedAt: t0, RunningAt: t0.Add(10 * time.Second), ReadyAt: t0.Add(11 * time.Second)},
			{Name: "vm-b", CreatedAt: t0, RunningAt: t0.Add(25 * time.Second)},
		},
	}
	var out bytes.Buffer
	PrintDetail(&out, d)
	for _, want := range []string{
		"  Namespace: 1 existing\n  Service: 1 created\n  Secret: 1 created\n  VirtualMachine: 1 created\n",
		"VMs: 2, 2 reached Running, 1 Ready, 0 failed\n",
		"created → running            2    10s  25s  25s  25s\n",
		"running → ready              1    1s   1s   1s   1s\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("detail lacks %q:\n%s", want, out.String())
		}
	}
}

// TestCheckThresholds: each threshold is judged on the quantile from the
// VM's creation to its phase; one on a phase no VM reached is exceeded.
func TestCheckThresholds(t *testing.T) {
	_, res := run(wait.ForReady)
	s := NewSummary("r1", "ns", "", false)
	s.AddWait(res)
	exceeded := s.CheckThresholds([]config.Threshold{
		{Phase: "running", Quantile: "p50", Limit: 10 * time.Second},
		{Phase: "running", Quantile: "max", Limit: 20 * time.Second},
		{Phase: "ready", Quantile: "p99", Limit: time.Minute},
	})
	if len(exceeded) != 1 || exceeded[0].String() != "running max (created → running) 25s exceeds the limit 20s" {
		t.Errorf("exceeded %v", exceeded)
	}
	if len(s.VMs.Thresholds) != 3 || s.VMs.Thresholds[0].Exceeded || s.VMs.Thresholds[2].Exceeded {
		t.Errorf("results %+v", s.VMs.Thresholds)
	}
	none := NewSummary("r1", "ns", "", false)
	none.AddWait(&wait.Result{VMs: []wait.VM{{Name: "vm-a", State: wait.Pending}}})
	if ex := none.CheckThresholds([]config.Threshold{{Phase: "scheduled", Quantile: "p50", Limit: time.Hour}}); len(ex) != 1 || ex[0].String() != "scheduled p50 (created → scheduled): no VM reached scheduled, the limit is 1h0m0s" {
		t.Errorf("no VM scheduled: %v", ex)
	}
}

// TestDetailListsDisruptions: history of a disrupt invocation lists each
// event with its VM, nodes, duration, downtime and outcome with reason.
func TestDetailListsDisruptions(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	d := audit.Detail{
		Invocation: audit.Invocation{ID: 2, RunID: "r1", Command: audit.CommandDisrupt, Status: audit.Failed, StartedAt: t0},
		Disruptions: []audit.Disruption{
			{RunID: "r1", Namespace: "ns", VM: "vm-a", Kind: "migrate", Start: t0, End: t0.Add(4 * time.Second), SourceNode: "n1", TargetNode: "n2", Outcome: "succeeded"},
			{RunID: "r1", Namespace: "ns", VM: "vm-b", Kind: "restart", Start: t0.Add(time.Second), End: t0.Add(61 * time.Second), SourceNode: "n2",
				Outcome: "timed out", Reason: "not ready again after 1m0s", Downtime: 58 * time.Second},
		},
	}
	var out bytes.Buffer
	PrintDetail(&out, d)
	for _, want := range []string{
		"Disruptions:\n",
		"03:04:05.000  migrate  ns/vm-a  n1    n2  4s    0s         succeeded\n",
		"03:04:06.000  restart  ns/vm-b  n2    -   1m0s  58s        timed out: not ready again after 1m0s\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("detail lacks %q:\n%s", want, out.String())
		}
	}
}
