package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"sigs.k8s.io/yaml"
)

// TestMonitoring: monitoring takes render's run flags and prints the run's
// PrometheusRule as YAML or JSON; --promtool-tests also writes the two
// files and says so on stderr.
func TestMonitoring(t *testing.T) {
	args := []string{"monitoring", "--workloads", "cpu,database", "--run-id", runID, "-n", "load",
		"--profile", "cpu=square:high=90,low=10,period=10m"}
	for _, format := range []string{"yaml", "json"} {
		r := execute(t, nil, nil, append(args, "-o", format)...)
		if r.code != ExitOK {
			t.Fatalf("-o %s: exit %d: %s", format, r.code, r.stderr)
		}
		var rule monitoringv1.PrometheusRule
		if err := yaml.UnmarshalStrict([]byte(r.stdout), &rule); err != nil {
			t.Fatalf("-o %s: %v\n%s", format, err, r.stdout)
		}
		if format == "json" && !json.Valid([]byte(r.stdout)) {
			t.Errorf("-o json is not JSON:\n%s", r.stdout)
		}
		if rule.Kind != "PrometheusRule" || rule.Name != "virtwork-3f2b6c1e" || rule.Namespace != "load" ||
			rule.Labels["virtwork/run-id"] != runID || len(rule.Spec.Groups) != 1 || rule.Spec.Groups[0].Rules[0].Alert != "VirtworkCpuVcpusBusyHigh" {
			t.Errorf("-o %s: %+v", format, rule)
		}
		if want := "note: database: runs without a level (its rate is 0: unlimited); give it a level or a profile\n"; r.stderr != want {
			t.Errorf("stderr %q, want %q", r.stderr, want)
		}
	}

	dir := filepath.Join(t.TempDir(), "tests")
	r := execute(t, nil, nil, append(args, "--promtool-tests", dir, "--window", "30m")...)
	if r.code != ExitOK || !strings.Contains(r.stderr, "wrote "+filepath.Join(dir, "rules.yaml")+" (1 alert rules) and "+filepath.Join(dir, "tests.yaml")+" (1 VMs, ") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	for _, f := range []string{"rules.yaml", "tests.yaml"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || !strings.Contains(string(data), "VirtworkCpuVcpusBusyHigh") {
			t.Errorf("%s: %v\n%s", f, err, data)
		}
	}
}

// TestMonitoringBadInput: a bad flag or file is one line, exit 2, and
// nothing written.
func TestMonitoringBadInput(t *testing.T) {
	files := map[string]string{
		"rules.yaml":  "groups:\n  - name: g\n    rules:\n      - {alert: Busy, expr: vector(1), for: 1m}\n",
		"alerts.yaml": "- {alert: Bsy, workload: cpu, fires_above: 70}\n",
	}
	const cpu = "--workloads cpu --profile cpu=square:high=90,low=10,period=10m "
	for _, tc := range []struct{ args, want string }{
		{cpu + "-o table", `--output must be yaml or json, got "table"`},
		{cpu + "--rate-window 2s", "--rate-window must be whole seconds between 4s and 1h, got 2s"},
		{cpu + "--rate-window 1500ms", "--rate-window must be whole seconds between 4s and 1h, got 1.5s"},
		{cpu + "--window 10s", `--window must be between 1m and 30d, got "10s"`},
		{cpu + "--rules rules.yaml --promtool-tests DIR", "--rules and --alerts-file go together"},
		{cpu + "--rules rules.yaml --alerts-file alerts.yaml", "--rules is tested with --promtool-tests DIR"},
		{cpu + "--rules missing.yaml --alerts-file alerts.yaml --promtool-tests DIR", "--rules: open missing.yaml: no such file or directory"},
		{cpu + "--rules rules.yaml --alerts-file alerts.yaml --promtool-tests DIR", `alerts.yaml:1: [0]: alert "Bsy" is not an alerting rule of --rules rules.yaml (its alerts: Busy)`},
		{cpu + "--rate-window 5m --promtool-tests DIR", "cpu vcpus-busy: its shortest stretch beyond the threshold (5m) is not longer than --rate-window 5m"},
		{"--workloads tps", "no workload of the run has a signal whose expected value moves with a level"},
	} {
		dir := filepath.Join(t.TempDir(), "tests")
		args := append([]string{"monitoring"}, strings.Fields(strings.ReplaceAll(tc.args, "DIR", dir))...)
		r := execute(t, nil, files, args...)
		if r.code != ExitUsage || r.stdout != "" || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("monitoring %s: exit %d, stdout %q, stderr %q", tc.args, r.code, r.stdout, r.stderr)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("monitoring %s wrote %s", tc.args, dir)
		}
	}
}

func TestMonitoringCompletion(t *testing.T) {
	for args, want := range map[string]string{"monitoring --workloads c": "\ncpu\n", "monitoring -o ": "yaml\njson\n"} {
		r := execute(t, nil, nil, append([]string{"__complete"}, strings.Split(args, " ")...)...)
		if !strings.Contains("\n"+r.stdout, want) {
			t.Errorf("__complete %s:\n%s", args, r.stdout)
		}
	}
}
