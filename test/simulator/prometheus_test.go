package simulator_test

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilwait "k8s.io/apimachinery/pkg/util/wait"

	"github.com/virtwork/kubectl-virtwork/pkg/apply"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/prom"
	"github.com/virtwork/kubectl-virtwork/test/runs"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

// rules are a recording rule as KubeVirt's operator installs one, and an
// alert on a cpu VM's load.
const rules = `groups:
- name: virtwork-test
  rules:
  - record: vmi:kubevirt_vmi_memory_used_bytes:sum
    expr: kubevirt_vmi_memory_available_bytes - kubevirt_vmi_memory_usable_bytes
  - alert: VirtworkTestCPUBusy
    expr: rate(kubevirt_vmi_cpu_usage_seconds_total[5s]) > 1.2
    for: 2s
`

// promEnv is a simulator with its metrics endpoint and a real Prometheus
// scraping it, over a fresh namespace of the shared control plane.
type promEnv struct {
	ns  string
	api promv1.API
	run func(faults map[string]simulator.MetricsFault, args ...string) []string
}

func newPromEnv(t *testing.T) *promEnv {
	t.Helper()
	c := cluster.Shared(t)
	client, mapper := c.Clients(t)
	ns := c.Namespace(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := simulator.Options{Namespace: ns, StepDelay: 50 * time.Millisecond, MetricsListener: l, Seed: 1}
	simulator.Start(t, c.Config(), opts)
	ruleFile := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(ruleFile, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	p := prom.Require(t, prom.Options{Jobs: simulator.ScrapeJobs(l.Addr(), opts), RuleFiles: []string{ruleFile}})
	e := &promEnv{ns: ns, api: p.API()}
	// run renders and applies a run, the named VMs with a metrics fault,
	// and returns the VM names.
	e.run = func(faults map[string]simulator.MetricsFault, args ...string) []string {
		b := runs.Bundle(t, ns, args...)
		objs := func(yield func(*unstructured.Unstructured) bool) {
			for o := range b.Objects() {
				if f, ok := faults[o.GetName()]; ok && o.GetKind() == "VirtualMachine" {
					a := maps.Clone(o.GetAnnotations())
					if a == nil {
						a = map[string]string{}
					}
					a[simulator.MetricsFaultAnnotation] = string(f)
					o.SetAnnotations(a)
				}
				if !yield(o) {
					return
				}
			}
		}
		if _, err := apply.New(client, mapper, apply.Options{Concurrency: 4}).Apply(t.Context(), iter.Seq[*unstructured.Unstructured](objs)); err != nil {
			t.Fatal(err)
		}
		return b.VMNames()
	}
	return e
}

// query evaluates q at instant at and returns its samples.
func (e *promEnv) query(t *testing.T, q string, at time.Time) model.Vector {
	t.Helper()
	v, _, _, err := e.api.Query(t.Context(), q, at)
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		t.Fatalf("query %s gave a %s, want a vector", q, v.Type())
	}
	return vec
}

// value is the one sample of q at at.
func (e *promEnv) value(t *testing.T, q string, at time.Time) float64 {
	t.Helper()
	vec := e.query(t, q, at)
	if len(vec) != 1 {
		t.Fatalf("query %s at %s: %d samples (%v), want 1", q, at.Format(time.TimeOnly), len(vec), vec)
	}
	return float64(vec[0].Value)
}

// waitScraped waits until Prometheus holds a sample of q at or after at.
func (e *promEnv) waitScraped(t *testing.T, q string, at time.Time) {
	t.Helper()
	err := utilwait.PollUntilContextTimeout(t.Context(), 250*time.Millisecond, time.Until(at)+30*time.Second, true, func(ctx context.Context) (bool, error) {
		v, _, _, err := e.api.Query(ctx, "max(timestamp("+q+"))", time.Now())
		vec, ok := v.(model.Vector)
		return err == nil && ok && len(vec) == 1 && float64(vec[0].Value) >= float64(at.Unix()), nil
	})
	if err != nil {
		t.Fatalf("Prometheus has no sample of %s at %s: %v", q, at.Format(time.TimeOnly), err)
	}
}

// near: within 10% of want plus slack, the band the issue gives verify.
func near(t *testing.T, what string, got, want, slack float64) {
	t.Helper()
	if math.Abs(got-want) > 0.1*want+slack {
		t.Errorf("%s = %.4g, want %.4g within 10%% + %.3g", what, got, want, slack)
	}
	t.Logf("%s = %.4g (want %.4g)", what, got, want)
}

// TestPrometheusSeesTheLoad: a real Prometheus scraping the simulator sees
// a cpu VM's square profile (vCPUs x level in each segment) and a network
// server receive its client's Mbit/s, fires and resolves an alert with the
// load, and sees each metrics fault.
func TestPrometheusSeesTheLoad(t *testing.T) {
	e := newPromEnv(t)
	t0 := time.Now().Add(5 * time.Second).Truncate(time.Second)
	start := []string{"--start-at", t0.UTC().Format(time.RFC3339), "--cpu-cores", "2"}
	faults := []simulator.MetricsFault{simulator.MetricsFaultNone}
	faults = append(faults, simulator.MetricsFaults()...)
	cpuRun := "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93"
	byName := map[string]simulator.MetricsFault{}
	for i, f := range faults {
		byName[fmt.Sprintf("virtwork-cpu-3f2b6c1e-%d", i)] = f
	}
	cpuVMs := e.run(byName, append(start, "--run-id", cpuRun, "--workloads", "cpu", "--vm-count", fmt.Sprint(len(faults)),
		"--profile", "cpu=square:high=80,low=20,period=30s")...)
	netVMs := e.run(nil, append(start, "--workloads", "network", "--profile", "network=square:high=400,low=100,period=30s")...)
	vm := func(f simulator.MetricsFault) string { return cpuVMs[slices.Index(faults, f)] }
	sel := func(name string) string { return fmt.Sprintf(`{namespace=%q,name=%q}`, e.ns, name) }
	ok, server := vm(simulator.MetricsFaultNone), netVMs[len(netVMs)-1]

	high, low := t0.Add(13*time.Second), t0.Add(28*time.Second)
	e.waitScraped(t, "kubevirt_vmi_cpu_usage_seconds_total"+sel(ok), high)
	cpuRate := func(name string, at time.Time) float64 {
		return e.value(t, "rate(kubevirt_vmi_cpu_usage_seconds_total"+sel(name)+"[9s])", at)
	}
	near(t, "cpu VM, high segment", cpuRate(ok, high), 2*0.8, 0.05)
	near(t, "half VM, high segment", cpuRate(vm(simulator.MetricsFaultHalf), high), 2*0.8/2, 0.05)
	near(t, "network server, Mbit/s received, high segment",
		e.value(t, "rate(kubevirt_vmi_network_receive_bytes_total"+sel(server)+"[9s]) * 8 / 1e6", high), 400, 0)
	if used := e.value(t, "vmi:kubevirt_vmi_memory_used_bytes:sum"+sel(ok), high); used <= 0 {
		t.Errorf("recorded used memory %v, want > 0", used)
	}
	alert := func(name string) string {
		return fmt.Sprintf(`ALERTS{alertname="VirtworkTestCPUBusy",alertstate="firing",namespace=%q,name=%q}`, e.ns, name)
	}
	if n := len(e.query(t, alert(ok), high)); n != 1 {
		t.Errorf("VirtworkTestCPUBusy firing for %s in the high segment: %d series, want 1", ok, n)
	}
	if n := len(e.query(t, alert(vm(simulator.MetricsFaultHalf)), high)); n != 0 {
		t.Errorf("VirtworkTestCPUBusy firing for the half VM below its threshold")
	}
	checkFaults(t, e, vm, high)

	e.waitScraped(t, "kubevirt_vmi_cpu_usage_seconds_total"+sel(ok), low)
	near(t, "cpu VM, low segment", cpuRate(ok, low), 2*0.2, 0.05)
	near(t, "network server, Mbit/s received, low segment",
		e.value(t, "rate(kubevirt_vmi_network_receive_bytes_total"+sel(server)+"[9s]) * 8 / 1e6", low), 100, 0)
	if n := len(e.query(t, alert(ok), low)); n != 0 {
		t.Errorf("VirtworkTestCPUBusy still firing for %s in the low segment", ok)
	}
}

// checkFaults: each faulty VM's metrics are wrong in its own way at at.
func checkFaults(t *testing.T, e *promEnv, vm func(simulator.MetricsFault) string, at time.Time) {
	t.Helper()
	count := func(q string) int { return len(e.query(t, q, at)) }
	sel := func(f simulator.MetricsFault, extra string) string {
		return fmt.Sprintf(`{namespace=%q,name=%q%s}`, e.ns, vm(f), extra)
	}
	if n := count("kubevirt_vmi_cpu_usage_seconds_total" + sel(simulator.MetricsFaultNoSeries, "")); n != 0 {
		t.Errorf("no-series VM has %d CPU series", n)
	}
	if n := count("kubevirt_vmi_info" + sel(simulator.MetricsFaultNoSeries, `,phase="running"`)); n != 1 {
		t.Errorf("no-series VM: kubevirt_vmi_info has %d running series, want 1", n)
	}
	wrong := vm(simulator.MetricsFaultWrongLabels)
	if n := count("kubevirt_vmi_cpu_usage_seconds_total" + sel(simulator.MetricsFaultWrongLabels, "")); n != 0 {
		t.Errorf("wrong-labels VM has %d series under its namespace", n)
	}
	if n := count(fmt.Sprintf(`kubevirt_vmi_cpu_usage_seconds_total{namespace="kubevirt",exported_namespace=%q,name=%q}`, e.ns, wrong)); n != 1 {
		t.Errorf("wrong-labels VM: %d series with exported_namespace, want 1", n)
	}
	info := e.query(t, "kubevirt_vmi_info"+sel(simulator.MetricsFaultTargetDown, ""), at)
	if len(info) != 1 {
		t.Fatalf("target-down VM: kubevirt_vmi_info %v, want one series", info)
	}
	node := string(info[0].Metric["node"])
	if up := e.value(t, fmt.Sprintf(`up{job="kubevirt-handler",node=%q}`, node), at); up != 0 {
		t.Errorf("up of the target-down VM's node %s = %v, want 0", node, up)
	}
	if n := count("kubevirt_vmi_cpu_usage_seconds_total" + sel(simulator.MetricsFaultTargetDown, "")); n != 0 {
		t.Errorf("target-down VM has %d CPU series", n)
	}
	if n := count(`up{job="kubevirt-handler"} == 0`); n != 1 {
		t.Errorf("%d handler targets down, want only the target-down VM's node", n)
	}
	// Old names present, today's absent; the healthy VM has today's.
	for _, c := range []struct {
		fault  simulator.MetricsFault
		family string
		want   int
	}{
		{simulator.MetricsFaultOldNames, "kubevirt_vmi_vcpu_seconds", 2},
		{simulator.MetricsFaultOldNames, "kubevirt_vmi_network_traffic_bytes_total", 2},
		{simulator.MetricsFaultOldNames, "kubevirt_vmi_storage_iops_total", 4},
		{simulator.MetricsFaultOldNames, "kubevirt_vmi_cpu_usage_seconds_total", 0},
		{simulator.MetricsFaultOldNames, "kubevirt_vmi_vcpu_seconds_total", 0},
		{simulator.MetricsFaultOldNames, "kubevirt_vmi_network_receive_bytes_total", 0},
		{simulator.MetricsFaultOldNames, "kubevirt_vmi_memory_usable_bytes", 0},
		{simulator.MetricsFaultOldNames, "kubevirt_vmi_storage_iops_read_total", 0},
		{simulator.MetricsFaultNone, "kubevirt_vmi_vcpu_seconds_total", 2},
		{simulator.MetricsFaultNone, "kubevirt_vmi_vcpu_seconds", 0},
	} {
		if n := count(c.family + sel(c.fault, "")); n != c.want {
			t.Errorf("%s VM: %d %s series, want %d", c.fault, n, c.family, c.want)
		}
	}
}
