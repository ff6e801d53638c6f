package monitoring

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// userRulesFile is a user's rule file: a recording rule and an alert on
// it at 70% of cpu's 2 vCPUs, and a chaos-disk alert that keeps the
// series' mount_point label.
const userRulesFile = `# my team's rules
groups:
  - name: vmi
    rules:
      - record: vmi:cpu_busy:rate1m
        expr: sum by (namespace, name) (rate(kubevirt_vmi_cpu_usage_seconds_total[1m]))
      - alert: CPUBusy
        expr: vmi:cpu_busy:rate1m > 1.4
        for: 2m
        labels: {severity: warning, vm: "{{ $labels.name }}"}
        annotations: {summary: "{{ $labels.name }} is busy at {{ $value }}"}
      - alert: DataDiskFull
        expr: kubevirt_vmi_filesystem_used_bytes / kubevirt_vmi_filesystem_capacity_bytes > 0.9
        for: 1m
        keep_firing_for: 30s
        labels: {severity: critical}
`

const userAlertsFile = `- {alert: CPUBusy, workload: cpu, fires_above: 70}
- alert: DataDiskFull
  workload: chaos-disk
  fires_above: 0
  by: [namespace, name, mount_point]
`

func userOptions(t *testing.T, rules, alerts string) Options {
	t.Helper()
	o := options(t, "--workloads", "cpu,chaos-disk", "--vm-count", "2", "--profile", "cpu=square:high=90,low=10,period=10m",
		"--profile", "chaos-disk=square:high=1,low=0,period=10m,duty=30")
	o.User = &UserFiles{RulesPath: "rules.yaml", AlertsPath: "alerts.yaml", Rules: []byte(rules), Alerts: []byte(alerts)}
	return o
}

// TestUserRules: the tests of a user's rules pass when the rules fire as
// the alerts file says; the copy in rules.yaml keeps the file but its
// alerts' annotations.
func TestUserRules(t *testing.T) {
	res, err := Build(userOptions(t, userRulesFile, userAlertsFile))
	if err != nil {
		t.Fatal(err)
	}
	if res.Rule != nil || res.Summary.Rules != 2 || res.Summary.VMs != 4 {
		t.Errorf("rule %v, summary %+v", res.Rule, res.Summary)
	}
	rules := string(res.Rules)
	if strings.Contains(rules, "summary") || !strings.Contains(rules, "# my team's rules") || !strings.Contains(rules, "keep_firing_for: 30s") {
		t.Errorf("rules.yaml:\n%s", rules)
	}
	for _, want := range []string{"vm: virtwork-cpu-3f2b6c1e-1", "mount_point: /var/lib/virtwork/chaos-disk", "severity: critical"} {
		if !strings.Contains(string(res.Tests), want) {
			t.Errorf("tests.yaml lacks %q", want)
		}
	}
	dir := write(t, res)
	if out, err := promtool(t, "test", "rules", filepath.Join(dir, TestsFile)); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

// TestUserRulesWrong: tests written for a rule whose threshold does not
// match fires_above fail, and so do the tests of a right rule once its
// for: changes.
func TestUserRulesWrong(t *testing.T) {
	cases := []struct{ name, generated, tested string }{
		{"threshold above the high level", strings.Replace(userRulesFile, "> 1.4", "> 1.9", 1), ""},
		{"threshold below the low level", strings.Replace(userRulesFile, "> 1.4", "> 0.1", 1), ""},
		{"for: longer", userRulesFile, strings.Replace(userRulesFile, "for: 2m", "for: 4m", 1)},
		{"for: shorter", userRulesFile, strings.Replace(userRulesFile, "for: 2m", "for: 30s", 1)},
		{"keep_firing_for: longer", userRulesFile, strings.Replace(userRulesFile, "keep_firing_for: 30s", "keep_firing_for: 3m", 1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res, err := Build(userOptions(t, c.generated, userAlertsFile))
			if err != nil {
				t.Fatal(err)
			}
			dir := write(t, res)
			if c.tested != "" {
				tested, err := readRules("rules.yaml", []byte(c.tested))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, RulesFile), tested.copy, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out, err := promtool(t, "test", "rules", filepath.Join(dir, TestsFile))
			if err == nil || !strings.Contains(out, "FAILED") {
				t.Errorf("promtool test rules passed: %v\n%s", err, out)
			}
		})
	}
}

// TestUserRulesBadInput: each mistake in the user's files is one line
// that names the file, and where it can, the line.
func TestUserRulesBadInput(t *testing.T) {
	cases := []struct{ name, rules, alerts, want string }{
		{"unknown alert", userRulesFile, "- {alert: CPUBusyy, workload: cpu, fires_above: 70}\n",
			`alerts.yaml:1: [0]: alert "CPUBusyy" is not an alerting rule of --rules rules.yaml (its alerts: CPUBusy, DataDiskFull)`},
		{"workload not in the run", userRulesFile, "- {alert: CPUBusy, workload: memory, fires_above: 70}\n",
			`alerts.yaml:1: [0]: workload "memory" is not in the run (its workloads: chaos-disk, cpu)`},
		{"label not in the series", userRulesFile, "- {alert: CPUBusy, workload: cpu, fires_above: 70, by: [name, drive]}\n",
			"alerts.yaml:1: [0]: by: drive is not a label of cpu's series"},
		{"fires_above not a level", userRulesFile, "- {alert: CPUBusy, workload: cpu, fires_above: high}\n",
			`alerts.yaml:1: [0].fires_above: must be a level of at least 0, in the workload's level unit (70 for cpu's 70%), got "high"`},
		{"no fires_above", userRulesFile, "- {alert: CPUBusy, workload: cpu}\n", `missing required key "fires_above"`},
		{"unknown key", userRulesFile, "- {alert: CPUBusy, workload: cpu, fires_above: 70, threshold: 1}\n", "alerts.yaml:1: [0].threshold: unknown key"},
		{"twice", userRulesFile, userAlertsFile + "- {alert: CPUBusy, workload: cpu, fires_above: 50}\n", "alerts.yaml:6: [2]: alert CPUBusy is expected of workload cpu twice"},
		{"not a list", userRulesFile, "alert: CPUBusy\n", "alerts.yaml: must be a list of {alert: NAME, workload: WORKLOAD, fires_above: LEVEL}"},
		{"rules without groups", "rules: []\n", userAlertsFile, "--rules rules.yaml: no list of groups; give a Prometheus rule file (groups: [...]) or a PrometheusRule"},
		{"rules not YAML", "groups: [\n", userAlertsFile, "--rules rules.yaml: not valid YAML"},
		{"bad for", strings.Replace(userRulesFile, "for: 2m", "for: 2 minutes", 1), userAlertsFile, "--rules rules.yaml: alert CPUBusy: for: "},
		{"alert twice", userRulesFile + "      - {alert: CPUBusy, expr: vector(1)}\n", userAlertsFile, "--rules rules.yaml: alert CPUBusy is defined twice"},
		{"label template", strings.Replace(userRulesFile, `vm: "{{ $labels.name }}"`, `vm: "{{ $value }}"`, 1), userAlertsFile,
			`alerts.yaml:1: [0]: alert CPUBusy: label vm is a template the tests cannot expand (only {{ $labels.NAME }}), "{{ $value }}"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Build(userOptions(t, c.rules, c.alerts))
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %v\nwant one line containing %s", err, c.want)
			}
		})
	}
	// A workload of the run without a level.
	o := options(t, "--workloads", "cpu,database")
	o.User = &UserFiles{RulesPath: "rules.yaml", AlertsPath: "alerts.yaml", Rules: []byte(userRulesFile),
		Alerts: []byte("- {alert: CPUBusy, workload: database, fires_above: 70}\n")}
	want := "alerts.yaml:1: [0]: workload database has no level in this run (none declared, or unlimited), so no load shape says when the alert should fire; give it a profile"
	if _, err := Build(o); err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestUserPrometheusRule: --rules may be a PrometheusRule; its spec's
// groups are the rule file.
func TestUserPrometheusRule(t *testing.T) {
	indented := strings.ReplaceAll(strings.TrimPrefix(userRulesFile, "# my team's rules\n"), "\n", "\n  ")
	manifest := "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: mine}\nspec:\n  " + indented
	res, err := Build(userOptions(t, manifest, userAlertsFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(res.Rules), "PrometheusRule") || !strings.Contains(string(res.Rules), "\ngroups:\n  - name: vmi\n") {
		t.Errorf("rules.yaml:\n%s", res.Rules)
	}
	if out, err := promtool(t, "test", "rules", filepath.Join(write(t, res), TestsFile)); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}
