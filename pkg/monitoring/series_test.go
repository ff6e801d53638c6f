package monitoring

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/virtwork/kubectl-virtwork/pkg/verify"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// promql tests, as promtool reads them.
type exprFile struct {
	EvaluationInterval string      `yaml:"evaluation_interval"`
	Tests              []exprGroup `yaml:"tests"`
}

type exprGroup struct {
	Name        string        `yaml:"name"`
	Interval    string        `yaml:"interval"`
	InputSeries []inputSeries `yaml:"input_series"`
	Exprs       []exprTest    `yaml:"promql_expr_test"`
}

type exprTest struct {
	Expr       string      `yaml:"expr"`
	EvalTime   string      `yaml:"eval_time"`
	ExpSamples []expSample `yaml:"exp_samples"`
}

type expSample struct {
	Labels string  `yaml:"labels"`
	Value  float64 `yaml:"value"`
}

// TestSeriesGiveExpected: for every built-in with series, its first query,
// filled in as verify and the example rules fill it, evaluated by promtool
// on each VM's synthesized series at the end of each stretch gives exactly
// the signal's expected value (or at least its floor); a signal that rises
// with the level shows more at the VM's highest level than at its lowest.
func TestSeriesGiveExpected(t *testing.T) {
	o := options(t, "--workloads", "cpu,memory,disk,database,network,chaos-disk", "--vm-count", "2",
		"--profile", "cpu=square:high=90,low=10,period=4m", "--profile", "memory=steps:levels=20@2m/70@3m/40@2m,repeat=true",
		"--profile", "disk=square:high=300,low=50,period=4m", "--profile", "database=square:high=100,low=10,period=4m",
		"--profile", "network=square:high=40,low=10,period=3m", "--profile", "chaos-disk=square:high=1,low=0,period=5m",
		"--params", "disk.read-percent=70")
	o.Window, o.RateWindow = 20*time.Minute, time.Minute
	ws, notes, err := modelRun(o)
	if err != nil || len(notes) != 0 || len(ws) != 6 {
		t.Fatalf("modelled %d workloads, notes %q, %v", len(ws), notes, err)
	}
	g := grid{step: 15 * time.Second, n: int(o.Window / (15 * time.Second))}
	f := exprFile{EvaluationInterval: "15s"}
	checked := map[string]int{}
	for _, w := range ws {
		for _, sig := range w.spec.Signals {
			if len(sig.Series) == 0 {
				t.Errorf("%s %s declares no series", w.name, sig.Name)
				continue
			}
			for _, v := range w.role(sig.Role) {
				eg := exprGroup{Name: w.name + " " + v.ref.Name, Interval: "15s"}
				if eg.InputSeries, err = seriesOf(o, w, v, g); err != nil {
					t.Fatal(err)
				}
				eg.Exprs = valueChecks(o, w, sig, v, g)
				checked[w.name] += len(eg.Exprs)
				f.Tests = append(f.Tests, eg)
			}
		}
	}
	for _, w := range ws {
		if checked[w.name] < 8 {
			t.Errorf("%s: %d checks", w.name, checked[w.name])
		}
	}
	data, err := yaml.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := promtool(t, "test", "rules", file); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

// valueChecks checks one VM's query at the end of each of its first
// stretches that outlast the rate window: |query - expect| within a
// billionth (or query >= at_least), and for a rising signal, the query at
// its highest level above the query (@ modifier) at its lowest.
func valueChecks(o Options, w *workload, sig workloads.Signal, v vmRun, g grid) []exprTest {
	q := "(" + sig.Queries[0].Fill(verify.QueryArgs(o.Bundle.Namespaces, o.Config.RunID, w.spec, sig, o.RateWindow)) + ")"
	delay := time.Duration(0)
	if strings.Contains(sig.Queries[0].Query, "$window") {
		delay = o.RateWindow
	}
	one := []expSample{{Labels: fmt.Sprintf(`{name=%q,namespace=%q}`, v.ref.Name, o.Bundle.Namespace), Value: 1}}
	var out []exprTest
	var low, high *span
	var lowAt, highAt time.Duration
	for i, s := range v.spans {
		at := g.before(s.to)
		if i == 8 || at < g.ceil(s.from+delay) {
			continue
		}
		var expr string
		if sig.AtLeast.IsZero() {
			want := sig.Expect.Eval(w.env(s))
			expr = fmt.Sprintf("abs(%s - %s) <= bool %s", q, number(want), number(1e-9*math.Max(1, math.Abs(want))))
		} else {
			expr = fmt.Sprintf("%s >= bool %s", q, number(sig.AtLeast.Eval(w.env(s))))
		}
		out = append(out, exprTest{Expr: expr, EvalTime: model.Duration(at).String(), ExpSamples: one})
		if low == nil || v.levelOf(s) < v.levelOf(*low) {
			low, lowAt = &v.spans[i], at
		}
		if high == nil || v.levelOf(s) > v.levelOf(*high) {
			high, highAt = &v.spans[i], at
		}
	}
	if sig.Rises && low != nil && v.levelOf(*high) > v.levelOf(*low) {
		expr := fmt.Sprintf("%s > bool last_over_time(%s[%s:%s] @ %d)", q, q, model.Duration(g.step), model.Duration(g.step), int64(lowAt/time.Second))
		out = append(out, exprTest{Expr: expr, EvalTime: model.Duration(highAt).String(), ExpSamples: one})
	}
	return out
}

// TestExpandingNotation: a counter's terms continue each other exactly
// (no reset where its rate changes), and runs fold.
func TestExpandingNotation(t *testing.T) {
	if got, want := counterText([]float64{0, 1.5, 1.5, 1.5, 0.5, 0, 0}), "0+1.5x3 5+0x2"; got != want {
		t.Errorf("counter %q, want %q", got, want)
	}
	if got, want := counterText([]float64{0, 0.1, 0.1, 0.1, 0.1}), "0+0.1x4"; got != want {
		t.Errorf("counter %q, want %q", got, want)
	}
	// 0.1 added three times is not 0.3 in floating point: the next term
	// starts where promtool's additions end, not below.
	if got, want := counterText([]float64{0, 0.1, 0.1, 0.1, 0}), "0+0.1x3 0.30000000000000004"; got != want {
		t.Errorf("counter %q, want %q", got, want)
	}
	if got, want := gaugeText([]float64{3, 3, 3, 1e9, -2}), "3x2 1000000000x0 -2x0"; got != want {
		t.Errorf("gauge %q, want %q", got, want)
	}
}
