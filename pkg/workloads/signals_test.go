package workloads

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/virtwork/kubectl-virtwork/templates"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// signalSpec is goodSpec with a level on the clients and a signal on the
// server.
const signalSpec = goodSpec + `level: {param: times, unit: echoes}
signals:
  - name: echoes-received
    role: server
    unit: echoes/s
    queries:
      - query: sum by (namespace, name) (rate(echo_total{$selector,drive="$drive"}[$window]))
        metrics: [echo_total]
        names: current
      - query: sum by (namespace, name) (rate(old_echo{$selector}[$window]))
        metrics: [old_echo]
    expect: peers_level * param("size") / 1024
    tolerance: {relative: 10%, absolute: 0.5}
    series:
      - {metric: echo_total, counter: true, value: peers_level * param("size") / 1024, labels: {drive: $drive, kind: echo}}
`

func signalDir(spec string) fstest.MapFS {
	d := goodDir()
	d["workload.yaml"] = &fstest.MapFile{Data: []byte(spec)}
	return d
}

func TestSignalLoads(t *testing.T) {
	d, err := loadOne(t, signalDir(signalSpec))
	if err != nil {
		t.Fatal(err)
	}
	sigs, why := d.Spec().ObservableSignals()
	if why != "" || len(sigs) != 1 {
		t.Fatalf("signals %v, %q", sigs, why)
	}
	s := sigs[0]
	if s.Role != "server" || s.Unit != "echoes/s" || len(s.Queries) != 2 || s.Queries[0].Names != "current" || !s.AtLeast.IsZero() {
		t.Errorf("signal %+v", s)
	}
	if s.Tolerance != (Tolerance{Relative: 0.1, Absolute: 0.5}) {
		t.Errorf("tolerance %+v", s.Tolerance)
	}
	// Two clients at level 3, size 1Ki: 6 echoes.
	if got := s.Expect.Eval(Env{PeersLevel: 6, Params: map[string]float64{"size": 1024}}); got != 6 {
		t.Errorf("expect = %v, want 6", got)
	}
	if len(s.Series) != 1 || s.Series[0].Metric != "echo_total" || !s.Series[0].Counter ||
		s.Series[0].Value.String() != `peers_level * param("size") / 1024` || s.Series[0].Label("drive", QueryArgs{Drive: "datadisk"}) != "datadisk" ||
		strings.Join(s.Series[0].LabelNames(), ",") != "drive,kind" {
		t.Errorf("series %+v", s.Series)
	}
	q := s.Queries[0].Fill(QueryArgs{Selector: `namespace="ns",name=~"a-.*"`, Window: "30s", Drive: DataDiskDrive})
	if want := `sum by (namespace, name) (rate(echo_total{namespace="ns",name=~"a-.*",drive="datadisk"}[30s]))`; q != want {
		t.Errorf("filled query\n%s\nwant\n%s", q, want)
	}
	// Without a role, a signal belongs to the level's only role (network's
	// clients), or the only role (cpu's worker).
	reg, err := loadBuiltin(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]string{"cpu": "worker", "network": "server"} {
		w, _ := reg.Get(name)
		if r := w.Spec().Signals[0].Role; r != role {
			t.Errorf("%s's signal is on role %q, want %q", name, r, role)
		}
	}
}

// TestSignalRejects: each broken signal is one error naming its line and key.
func TestSignalRejects(t *testing.T) {
	cases := []struct{ name, old, new, want string }{
		{"bad name", "name: echoes-received", "name: Echoes", `workload.yaml:22: signals[0].name: "Echoes" must be lowercase`},
		{"unknown key", "    unit: echoes/s\n", "    unit: echoes/s\n    threshold: 3\n", "signals[0].threshold: unknown key"},
		{"no queries", "    queries:\n", "    queries: []\n    old:\n", "signals[0].old: unknown key"},
		{"no selector", "echo_total{$selector,", "echo_total{", "signals[0].queries[0]: query must select the run's VMs with $selector"},
		{"unknown placeholder", "[$window]))\n        metrics: [echo_total]", "[$range]))\n        metrics: [echo_total]", "signals[0].queries[0]: query: unknown placeholder $range"},
		{"metric not in query", "metrics: [echo_total]", "metrics: [echo_count]", `signals[0].queries[0]: metrics: "echo_count" is not a metric name the query reads`},
		{"metric bad name", "metrics: [echo_total]", "metrics: [echo-total]", `"echo-total" is not a metric name`},
		{"no metrics", "metrics: [old_echo]", "metrics: []", "signals[0].queries[1]: metrics must list the metric names"},
		{"both expect and at_least", "    tolerance:", "    at_least: 1\n    tolerance:", "signals[0]: give the expected value as expect (with tolerance) or as at_least, exactly one of them"},
		{"neither", "    expect: peers_level * param(\"size\") / 1024\n", "", "exactly one of them"},
		{"unknown name in expect", `peers_level * param("size")`, `peer_level * param("size")`, "signals[0].expect: \"peer_level * param(\\\"size\\\") / 1024\": unknown name peer_level"},
		{"param not numeric", `param("size")`, `param("word")`, `param("word"): not a declared int or size param`},
		{"param unknown", `param("size")`, `param("sise")`, `param("sise"): not a declared int or size param`},
		{"param no name", `param("size")`, `param(size)`, `param takes one quoted param name`},
		{"operator", "/ 1024", "% 1024", "operator % is not allowed"},
		{"comparison", "/ 1024", "> 1024", "operator > is not allowed"},
		{"other call", `param("size")`, `sqrt(4)`, "only min, max and param can be called"},
		{"min arity", `param("size")`, `min(1)`, "min takes two arguments"},
		{"string literal", `param("size")`, `"x"`, `"x": only numbers are literals here`},
		{"not an expression", `peers_level * param("size") / 1024`, `peers_level *`, `is not an expression`},
		{"relative not percent", "relative: 10%", "relative: 0.1", `signals[0].tolerance.relative: must be a percentage between 0% and 100%, such as 20%, got "0.1"`},
		{"relative too high", "relative: 10%", "relative: 150%", "must be a percentage between 0% and 100%"},
		{"absolute negative", "absolute: 0.5", "absolute: -1", `signals[0].tolerance.absolute: must be a number or quantity of at least 0`},
		{"role required", "    role: server\n    unit", "    unit", "signals[0]: role is required: the workload has several roles"},
		{"unknown role", "    role: server\n    unit", "    role: db\n    unit", `signals[0]: role "db" is not one of the workload's roles`},
		{"drive without disk", "    role: server\n    unit", "    role: client\n    unit", "signals[0]: queries[0] uses $drive or $mount, but role client has no data disk"},
		{"twice", "signals:\n", "signals:\n  - {name: echoes-received, role: server, unit: x, queries: [{query: 'a{$selector}', metrics: [a]}], at_least: 1}\n", `signals[1]: signal "echoes-received" is declared twice`},
		{"empty list", "signals:\n  - name", "signals: []\nx:\n  - name", "signals: must be a list of at least one signal"},
		{"level without a level", "level: {param: times, unit: echoes}\n", "", "signals[0].expect: uses the level, but the workload declares none"},
		{"series metric not read", "{metric: echo_total, counter", "{metric: old_echo, counter", `signals[0].series[0].metric: "old_echo" is not one of the first query's metrics (echo_total)`},
		{"series without value", `counter: true, value: peers_level * param("size") / 1024,`, "counter: true,", `signals[0].series[0]: missing required key "value"`},
		{"series bad value", `value: peers_level * param("size") / 1024,`, "value: peers_level % 2,", "signals[0].series[0].value: \"peers_level % 2\": operator % is not allowed"},
		{"series unknown key", "counter: true,", "counter: true, rate: 1,", "signals[0].series[0].rate: unknown key"},
		{"series label namespace", "kind: echo", "namespace: echo", `signals[0].series[0].labels.namespace: "namespace" must be a label name`},
		{"series label value", "kind: echo", "kind: 'a\"b'", `signals[0].series[0].labels.kind: "a\"b" must be $drive, $mount or 1-63 letters`},
		{"series empty", "series:\n      - {metric: echo_total, counter: true, value: peers_level * param(\"size\") / 1024, labels: {drive: $drive, kind: echo}}", "series: []", "signals[0].series: must be a list of at least one series"},
		{"series misses a metric", "[$window]))\n        metrics: [echo_total]", "[$window]) + rate(echo_extra{$selector}[$window]))\n        metrics: [echo_total, echo_extra]", "signals[0].series: no series of echo_extra, which the first query reads"},
		{"both signals and unobservable", "signals:\n", "unobservable: no metric\nsignals:\n", "a workload has signals or is unobservable, not both"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(signalSpec, c.old) {
				t.Fatalf("test bug: %q not in the spec", c.old)
			}
			_, err := loadOne(t, signalDir(strings.Replace(signalSpec, c.old, c.new, 1)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant an error containing %s", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("not one line: %q", err)
			}
		})
	}
}

func TestExprEval(t *testing.T) {
	env := Env{Level: 80, PeersLevel: 30, VCPUs: 2, MemoryBytes: 2 << 30, DiskBytes: 10 << 30, Params: map[string]float64{"n": 4}}
	cases := []struct {
		text string
		want float64
	}{
		{"level / 100 * vcpus", 1.6},
		{"peers_level", 30},
		{"level / 100 * memory_bytes", 0.8 * (2 << 30)},
		{"min(level, 1)", 1},
		{"max(level, 1) - -1", 81},
		{"(level + peers_level) * 2", 220},
		{"param(\"n\") * 1.5e2", 600},
		{"disk_bytes / (level - 80)", 0}, // division by zero is 0, never Inf
	}
	numeric := func(name string) bool { return name == "n" }
	for _, c := range cases {
		e, err := parseExpr(c.text, numeric)
		if err != nil {
			t.Fatalf("%s: %v", c.text, err)
		}
		if got := e.Eval(env); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s = %v, want %v", c.text, got, c.want)
		}
	}
	if lo, hi := (Tolerance{Relative: 0.2, Absolute: 0.15}).Band(1.6); math.Abs(lo-1.28) > 1e-9 || math.Abs(hi-1.92) > 1e-9 {
		t.Errorf("band of 1.6: %v..%v", lo, hi)
	}
	if lo, hi := (Tolerance{Relative: 0.2, Absolute: 0.15}).Band(0); lo != -0.15 || hi != 0.15 {
		t.Errorf("band of 0: %v..%v", lo, hi)
	}
}

// TestBuiltinSignals: every built-in says what its load shows or why it
// cannot, and every query of every built-in, filled in as verify fills it,
// is PromQL that promtool accepts (as a recording rule's expression).
func TestBuiltinSignals(t *testing.T) {
	reg, err := loadBuiltin(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: virtwork-signals\n    rules:\n")
	for _, name := range reg.Names() {
		w, _ := reg.Get(name)
		s := w.Spec()
		sigs, why := s.ObservableSignals()
		if len(sigs) == 0 && s.Unobservable == "" {
			t.Errorf("%s: %s; declare signals, or unobservable with the reason", name, why)
		}
		for _, sig := range sigs {
			for i, q := range sig.Queries {
				expr := q.Fill(QueryArgs{Selector: `namespace="virtwork",name=~"virtwork-` + name + `-0a1b2c3d-.*"`, Window: "30s", Drive: DataDiskDrive, Mount: "/var/lib/virtwork/x"})
				fmt.Fprintf(&rules, "      - record: virtwork:%s_%s:%d\n        expr: %q\n", strings.ReplaceAll(name, "-", "_"), strings.ReplaceAll(sig.Name, "-", "_"), i, expr)
			}
		}
	}
	promtool := tools.Require(t, "promtool")
	file := filepath.Join(t.TempDir(), "signals.rules.yaml")
	if err := os.WriteFile(file, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s\n%s", err, out, rules.String())
	}
}
