package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/virtwork/kubectl-virtwork/pkg/verify"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/prom"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// verifyRules are the user's rules: one alert that catches the cpu high
// level (2 vCPUs at 80% is 1.6, at 20% 0.4; 1.0 lies between), and one
// whose threshold is too low, so it also fires on the low level.
const verifyRules = `groups:
- name: users-rules
  rules:
  - alert: VirtworkCPUHigh
    expr: sum by (namespace, name) (rate(kubevirt_vmi_cpu_usage_seconds_total[5s])) > 1.0
    for: 3s
    labels: {virtwork_workload: cpu}
    annotations: {virtwork_fires_above: "50"}
  - alert: VirtworkCPUNoisy
    expr: sum by (namespace, name) (rate(kubevirt_vmi_cpu_usage_seconds_total[5s])) > 0.3
    for: 3s
    labels: {virtwork_workload: cpu}
    annotations: {virtwork_fires_above: "50"}
`

// TestVerify applies a run of every built-in workload with the plugin,
// on short square profiles, against the simulator's metrics and a real
// Prometheus, and verifies it: the fault-free VMs of every workload pass,
// each metrics fault fails naming its VM and signal, the alert that
// matches the profile fires and resolves in time while the noisy one's
// false positives are caught, and a run under an old KubeVirt's metric
// names passes with those names.
func TestVerify(t *testing.T) {
	e := newEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	run, oldRun := "e7e7e7e7-1111-4111-8111-111111111111", "0d0d0d0d-1111-4111-8111-111111111111"
	// The faulted VMs; the others are fault-free.
	faults := map[string]simulator.MetricsFault{
		"virtwork-cpu-e7e7e7e7-1":            simulator.MetricsFaultHalf,
		"virtwork-memory-e7e7e7e7-1":         simulator.MetricsFaultNoSeries,
		"virtwork-disk-e7e7e7e7-1":           simulator.MetricsFaultTargetDown,
		"virtwork-network-e7e7e7e7-server-1": simulator.MetricsFaultWrongLabels,
		// Among VMs on today's names, one on v0.40's has none of them.
		"virtwork-database-e7e7e7e7-1": simulator.MetricsFaultOldNames,
	}
	opts := simulator.Options{StepDelay: 100 * time.Millisecond, MetricsListener: l, Seed: 7, MetricsFaults: faults}
	e.simulate(t, opts)
	// A second namespace whose only VM exports an old KubeVirt's names, with
	// a simulator and scrape jobs of its own.
	oldNS := cluster.Shared(t).Namespace(t)
	l2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	oldOpts := simulator.Options{StepDelay: 100 * time.Millisecond, MetricsListener: l2, Seed: 8, NodePrefix: "old-node",
		MetricsFaults: map[string]simulator.MetricsFault{"virtwork-cpu-0d0d0d0d-0": simulator.MetricsFaultOldNames}}
	(&env{cfg: e.cfg, ns: oldNS, client: e.client}).simulate(t, oldOpts)
	jobs := simulator.ScrapeJobs(l.Addr(), opts)
	for _, j := range simulator.ScrapeJobs(l2.Addr(), oldOpts) {
		j.Name += "-old"
		jobs = append(jobs, j)
	}
	rules := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(rules, []byte(verifyRules), 0o644); err != nil {
		t.Fatal(err)
	}
	p := prom.Require(t, prom.Options{Jobs: jobs, RuleFiles: []string{rules}})
	plug := newPlugin(t)

	t0 := time.Now().Add(20 * time.Second).Truncate(time.Second)
	square := "square:high=%d,low=%d,period=30s"
	args := []string{"apply", "-n", e.ns, "--run-id", run, "--vm-count", "2", "--cpu-cores", "2", "--memory", "2Gi", "--timeout", "2m",
		"--workloads", "cpu,memory,disk,database,network,tps,chaos-disk,chaos-process,chaos-network", "--start-at", t0.UTC().Format(time.RFC3339),
		"--profile", "cpu=" + fmt.Sprintf(square, 80, 20), "--profile", "memory=" + fmt.Sprintf(square, 70, 20),
		"--profile", "disk=" + fmt.Sprintf(square, 200, 50), "--profile", "database=" + fmt.Sprintf(square, 40, 10),
		"--profile", "network=" + fmt.Sprintf(square, 400, 100), "--profile", "tps=" + fmt.Sprintf(square, 200, 50),
		"--profile", "chaos-disk=" + fmt.Sprintf(square, 1, 0)}
	mustRun(t, plug.run(t.Context(), args...), "apply")
	mustRun(t, plug.run(t.Context(), "apply", "-n", oldNS, "--run-id", oldRun, "--workloads", "cpu", "--cpu-cores", "2", "--timeout", "2m",
		"--start-at", t0.UTC().Format(time.RFC3339), "--profile", "cpu="+fmt.Sprintf(square, 80, 20)), "apply under old names")
	// Two periods played and scraped.
	time.Sleep(time.Until(t0.Add(63 * time.Second)))

	endpoint := []string{"--prometheus", p.URL(), "--rate-window", "5s", "--settle", "3s", "--step", "1s", "-o", "json"}
	out := plug.run(t.Context(), append([]string{"verify", "-n", e.ns, "--alert", "VirtworkCPUHigh", "--alert", "VirtworkCPUNoisy"}, endpoint...)...)
	if out.code != 3 {
		t.Fatalf("verify exit %d, want 3 (checks failed)\nstdout:\n%s\nstderr:\n%s", out.code, out.stdout, out.stderr)
	}
	var res verify.Result
	if err := json.Unmarshal([]byte(out.stdout), &res); err != nil {
		t.Fatal(err)
	}
	checkVerifyResult(t, &res, faults)
	checkAlertTiming(t, p, e.ns, &res)
	report := filepath.Join(t.TempDir(), "report.html")
	table := plug.run(t.Context(), append([]string{"verify", "-n", e.ns, "--alert", "VirtworkCPUHigh", "--alert", "VirtworkCPUNoisy", "--report", report}, endpoint[:len(endpoint)-2]...)...)
	t.Logf("verify (exit %d):\n%s", table.code, table.stdout)
	// One chart per observable workload: cpu, memory, disk, database,
	// network, tps and chaos-disk.
	if html, err := os.ReadFile(report); err != nil || strings.Count(string(html), `<svg class="chart"`) != 7 || !strings.Contains(table.stderr, "report: "+report) {
		t.Errorf("the report %s: %v, %d charts, want 7; stderr %s", report, err, strings.Count(string(html), `<svg class="chart"`), table.stderr)
	}

	// A Prometheus that does not answer: exit 1, saying so.
	down := plug.run(t.Context(), "verify", "-n", e.ns, "--prometheus", "http://127.0.0.1:1", "--rate-window", "5s")
	if down.code != 1 || !strings.Contains(down.stderr, "cannot query Prometheus") {
		t.Errorf("verify against nothing: exit %d, stderr %s", down.code, down.stderr)
	}

	// The old names: verify picks their spelling and passes.
	old := plug.run(t.Context(), "verify", "-n", oldNS, "--prometheus", p.URL(), "--rate-window", "6s", "--settle", "2s", "--step", "1s")
	if old.code != 0 || !strings.Contains(old.stdout, "kubevirt_vmi_vcpu_seconds (KubeVirt v0.40") || !regexp.MustCompile(`checks: [3-9] passed, 0 failed, 0 without series`).MatchString(old.stdout) {
		t.Errorf("verify under old names: exit %d\n%s\n%s", old.code, old.stdout, old.stderr)
	}
	t.Logf("verify under old names:\n%s", old.stdout)
}

// checkVerifyResult: every check of a fault-free VM passed (or was too
// short: the window ends mid-stretch), and each faulted VM failed as its
// fault makes it.
func checkVerifyResult(t *testing.T, res *verify.Result, faults map[string]simulator.MetricsFault) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range res.Checks {
		seen[c.Workload+"/"+c.Signal] = true
		switch faults[c.VM] {
		case simulator.MetricsFaultNone:
			if c.Outcome != verify.Passed && c.Outcome != verify.TooShort {
				t.Errorf("%s %s %s %s..%s: %s (%s); expected %v, observed %v", c.Workload, c.Signal, c.VM, c.From.Format(time.TimeOnly), c.To.Format(time.TimeOnly), c.Outcome, c.Why, c.Expected, deref(c.Observed))
			}
		case simulator.MetricsFaultHalf:
			if c.Level == 80 && c.Outcome != verify.Failed && c.Outcome != verify.TooShort {
				t.Errorf("the half VM's high stretch %s..%s: %s", c.From.Format(time.TimeOnly), c.To.Format(time.TimeOnly), c.Outcome)
			}
		default:
			if c.Outcome != verify.NoSeries || !strings.Contains(c.Why, "no series for the VM from") {
				t.Errorf("%s (%s): %s %s, want no series", c.VM, faults[c.VM], c.Outcome, c.Why)
			}
		}
	}
	for _, want := range []string{"cpu/vcpus-busy", "memory/memory-used", "disk/data-disk-iops", "database/data-disk-iops", "network/server-received", "tps/server-packets", "chaos-disk/data-disk-full"} {
		if !seen[want] {
			t.Errorf("no check of %s", want)
		}
	}
	why := map[string]string{}
	for _, n := range res.Notes {
		why[n.Workload] = n.Why
	}
	for _, w := range []string{"chaos-process", "chaos-network"} {
		if !strings.HasPrefix(why[w], "not observable from KubeVirt metrics: ") {
			t.Errorf("%s: note %q, want it listed as not observable", w, why[w])
		}
	}
	var high, noisy int
	for _, a := range res.Alerts {
		switch {
		case a.Alert == "VirtworkCPUHigh" && a.VM == "virtwork-cpu-e7e7e7e7-0" && a.Want == "firing":
			if a.Outcome != verify.Passed || a.FiredAfter == nil || *a.FiredAfter < 3*time.Second || *a.FiredAfter > 12*time.Second {
				t.Errorf("VirtworkCPUHigh on the good VM: %s %s, fired after %v", a.Outcome, a.Why, a.FiredAfter)
			}
			high++
		case a.Alert == "VirtworkCPUHigh" && a.VM == "virtwork-cpu-e7e7e7e7-1" && a.Want == "firing":
			if a.Outcome != verify.Failed || a.Why != "never fired" {
				t.Errorf("VirtworkCPUHigh on the half VM: %s %s", a.Outcome, a.Why)
			}
		case a.Alert == "VirtworkCPUNoisy" && a.VM == "virtwork-cpu-e7e7e7e7-0" && a.Want == "quiet" && a.Level == 20:
			if a.Outcome != verify.Failed || !strings.Contains(a.Why, "a false positive") {
				t.Errorf("VirtworkCPUNoisy at level 20: %s %s", a.Outcome, a.Why)
			}
			noisy++
		}
	}
	if high == 0 || noisy == 0 {
		t.Errorf("alert checks: %d high stretches of VirtworkCPUHigh, %d low stretches of VirtworkCPUNoisy: %+v", high, noisy, res.Alerts)
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// checkAlertTiming: when VirtworkCPUHigh fired for the good VM is within
// one evaluation interval (and one step of verify's query) of the truth:
// the first instant its expression held, as the same Prometheus computes
// it, plus its for:.
func checkAlertTiming(t *testing.T, p *prom.Server, ns string, res *verify.Result) {
	t.Helper()
	expr := fmt.Sprintf(`sum by (namespace, name) (rate(kubevirt_vmi_cpu_usage_seconds_total{namespace=%q,name="virtwork-cpu-e7e7e7e7-0"}[5s])) > 1.0`, ns)
	checked := 0
	for _, a := range res.Alerts {
		if a.Alert != "VirtworkCPUHigh" || a.VM != "virtwork-cpu-e7e7e7e7-0" || a.Want != "firing" || a.FiredAfter == nil {
			continue
		}
		v, _, _, err := p.API().QueryRange(t.Context(), expr, promv1.Range{Start: a.From, End: a.To, Step: time.Second})
		m, ok := v.(model.Matrix)
		if err != nil || !ok || len(m) != 1 || len(m[0].Values) == 0 {
			t.Fatalf("%s over %s..%s: %v %v", expr, a.From, a.To, v, err)
		}
		truth := m[0].Values[0].Timestamp.Time().Add(3 * time.Second)
		fired := a.From.Add(*a.FiredAfter)
		if d := fired.Sub(truth); d < -2*time.Second || d > 2*time.Second {
			t.Errorf("VirtworkCPUHigh fired at %s, the truth is %s (expression true from %s, for: 3s): off by %s", fired.Format(time.TimeOnly), truth.Format(time.TimeOnly), m[0].Values[0].Timestamp.Time().Format(time.TimeOnly), d)
		}
		t.Logf("VirtworkCPUHigh fired %s after the level rose; the truth %s; off by %s", *a.FiredAfter, truth.Sub(a.From), fired.Sub(truth))
		checked++
	}
	if checked == 0 {
		t.Errorf("no high stretch of VirtworkCPUHigh to time")
	}
}
