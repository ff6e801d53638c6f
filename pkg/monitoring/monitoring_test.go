package monitoring

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const runID = "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93"

// options resolves and renders a run from render's flags, as the command
// does, with a one-hour window and a 20s rate window by default.
func options(t *testing.T, args ...string) Options {
	t.Helper()
	f := config.NewFlags()
	fs := pflag.NewFlagSet("monitoring", pflag.ContinueOnError)
	f.AddFlags(fs)
	if err := fs.Parse(append([]string{"--run-id", runID}, args...)); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	cfg, err := config.Load(workloads.Builtin(), config.Sources{Flags: f, LookupEnv: func(string) (string, bool) { return "", false },
		NewRunID: func() string { return "" }, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	b, err := render.Render(render.Input{Config: cfg, Registry: cfg.Registry})
	if err != nil {
		t.Fatal(err)
	}
	return Options{Config: cfg, Bundle: b, Window: time.Hour, RateWindow: 20 * time.Second, Tests: true}
}

// write puts the result's files in a new directory.
func write(t *testing.T, res *Result) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string][]byte{RulesFile: res.Rules, TestsFile: res.Tests} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// promtool runs the real promtool from another directory, so the test
// file's rule_files must resolve next to it.
func promtool(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(tools.Require(t, "promtool"), args...)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestExampleRulesPassPromtool: for each load shape, the example rules pass
// promtool check rules, and the tests written from them pass promtool test
// rules, with checks of both firing and quiet instants.
func TestExampleRulesPassPromtool(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		rules int
	}{
		{"cpu square", []string{"--workloads", "cpu", "--vm-count", "2", "--profile", "cpu=square:high=90,low=10,period=4m"}, 1},
		{"cpu spread random", []string{"--workloads", "cpu", "--vm-count", "4", "--profile", "cpu=square:high=90,low=10,period=4m,spread=random"}, 1},
		{"memory steps", []string{"--workloads", "memory", "--profile", "memory=steps:levels=20@2m/70@3m/40@2m,repeat=true"}, 1},
		{"network square, 2 pairs", []string{"--workloads", "network", "--vm-count", "2", "--profile", "network=square:high=40,low=10,period=3m"}, 1},
		{"disk constant", []string{"--workloads", "disk", "--params", "disk.iops=200"}, 1},
		{"chaos-disk windows", []string{"--workloads", "chaos-disk", "--profile", "chaos-disk=square:high=1,low=0,period=5m,duty=40"}, 1},
		{"cpu start and end", []string{"--workloads", "cpu", "--profile", "cpu=square:high=80,low=20,period=6m", "--start-at", "2026-03-01T10:05:00Z", "--duration", "20m"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := options(t, c.args...)
			res, err := Build(o)
			if err != nil {
				t.Fatal(err)
			}
			if res.Summary.Rules != c.rules || res.Rule == nil || len(res.Rule.Spec.Groups) != 1 {
				t.Fatalf("summary %+v, rule %v", res.Summary, res.Rule)
			}
			tests := string(res.Tests)
			if !strings.Contains(tests, "exp_alerts: []") || !strings.Contains(tests, "exp_labels:") {
				t.Errorf("the tests check only one state:\n%s", tests)
			}
			dir := write(t, res)
			if out, err := promtool(t, "check", "rules", filepath.Join(dir, RulesFile)); err != nil {
				t.Fatalf("promtool check rules: %v\n%s\n%s", err, out, res.Rules)
			}
			if out, err := promtool(t, "test", "rules", filepath.Join(dir, TestsFile)); err != nil {
				t.Fatalf("promtool test rules: %v\n%s", err, out)
			}
		})
	}
}

// TestExampleRulesCatchChanges: the tests written from the example rules
// fail on a copy of the rules whose threshold or for: is not the one they
// were written for.
func TestExampleRulesCatchChanges(t *testing.T) {
	o := options(t, "--workloads", "cpu", "--profile", "cpu=square:high=90,low=10,period=10m")
	res, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	rules := string(res.Rules)
	// 2 vCPUs, 10% and 90%: halfway is 1; the high half lasts 5m, so for:
	// is a third of 5m less the 20s rate window.
	if !strings.Contains(rules, ")\n      > 1\n") || !strings.Contains(rules, "for: 1m33s\n") {
		t.Fatalf("rules:\n%s", rules)
	}
	for name, broken := range map[string]string{
		"threshold above the high level": strings.Replace(rules, ")\n      > 1\n", ")\n      > 1.9\n", 1),
		"threshold below the low level":  strings.Replace(rules, ")\n      > 1\n", ")\n      > 0.1\n", 1),
		"for: a minute longer":           strings.Replace(rules, "for: 1m33s\n", "for: 2m33s\n", 1),
		"for: a minute shorter":          strings.Replace(rules, "for: 1m33s\n", "for: 33s\n", 1),
	} {
		t.Run(name, func(t *testing.T) {
			dir := write(t, res)
			if err := os.WriteFile(filepath.Join(dir, RulesFile), []byte(broken), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := promtool(t, "test", "rules", filepath.Join(dir, TestsFile))
			if err == nil || !strings.Contains(out, "alertname: VirtworkCpuVcpusBusyHigh") {
				t.Errorf("promtool test rules passed, or failed for another reason: %v\n%s", err, out)
			}
		})
	}
}

// TestPrometheusRuleGolden: the PrometheusRule of a cpu and network run,
// as -o yaml prints it.
func TestPrometheusRuleGolden(t *testing.T) {
	o := options(t, "--workloads", "cpu,network,database", "--vm-count", "2", "--profile", "cpu=square:high=90,low=10,period=10m",
		"--profile", "network=sine:min=10,max=50,period=30m", "--profile", "database=square:high=100,low=10,period=10m")
	o.Tests, o.RateWindow = false, time.Minute
	res, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Tests != nil {
		t.Error("tests written without Options.Tests")
	}
	var buf strings.Builder
	if err := WriteRule(&buf, res.Rule, "yaml"); err != nil {
		t.Fatal(err)
	}
	tools.Golden(t, "testdata/prometheusrule.yaml", []byte(buf.String()), *update, "./pkg/monitoring")
	want := "database data-disk-iops: only a floor is expected (at_least min(level, 1)), so it has no example alert"
	if len(res.Notes) != 1 || res.Notes[0] != want {
		t.Errorf("notes %q, want %q", res.Notes, want)
	}
}

// TestInstancetypeSignals: a signal whose expected value reads the VMs'
// vCPUs or memory gets no example alert when an instance type sizes them,
// with a note saying so; the others keep theirs.
func TestInstancetypeSignals(t *testing.T) {
	o := options(t, "--workloads", "cpu,network", "--vm-count", "2", "--instancetype", "u1.medium",
		"--profile", "cpu=square:high=90,low=10,period=10m", "--profile", "network=sine:min=10,max=50,period=30m")
	o.Tests, o.RateWindow = false, time.Minute
	res, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	var groups []string
	for _, g := range res.Rule.Spec.Groups {
		groups = append(groups, g.Name)
	}
	if len(groups) != 1 || !strings.HasSuffix(groups[0], "-network") {
		t.Errorf("rule groups %v, want only network's", groups)
	}
	want := "cpu vcpus-busy: its expected value (level / 100 * vcpus) reads the VMs' vCPUs or memory, which the instance type u1.medium sets on the cluster"
	if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.HasPrefix(n, want) }) {
		t.Errorf("notes %q, want one starting %q", res.Notes, want)
	}
}
