package monitoring

import (
	"fmt"
	"sort"
	"time"

	"github.com/prometheus/common/model"
)

// testFile is a promtool rule unit-test file.
type testFile struct {
	RuleFiles          []string    `yaml:"rule_files"`
	EvaluationInterval string      `yaml:"evaluation_interval"`
	Tests              []testGroup `yaml:"tests"`
}

// testGroup is one VM's series and the checks of its alerts.
type testGroup struct {
	Name        string        `yaml:"name"`
	Interval    string        `yaml:"interval"`
	InputSeries []inputSeries `yaml:"input_series"`
	AlertTests  []alertTest   `yaml:"alert_rule_test"`
}

type alertTest struct {
	EvalTime  string     `yaml:"eval_time"`
	Alertname string     `yaml:"alertname"`
	ExpAlerts []expAlert `yaml:"exp_alerts"`
}

type expAlert struct {
	ExpLabels      map[string]string `yaml:"exp_labels"`
	ExpAnnotations map[string]string `yaml:"exp_annotations,omitempty"`
}

// check is an instant at which an alert's state for a VM is certain.
type check struct {
	at     time.Duration
	firing bool
}

// maxRuns bounds the runs of each VM and alert that get checks, so a long
// window of short cycles stays a test promtool runs in seconds.
const maxRuns = 24

// checksOf places checks for one alert and VM where its state does not
// depend on exactly when, within its delay and the evaluation grid, the
// expression crosses the threshold:
//
//   - above the threshold from S to E, it fires from the first evaluation
//     after S+delay, plus for:, until the last evaluation before E;
//   - below from S to E, it has resolved by the first evaluation after
//     S+delay plus keep_firing_for (if that is before E), and it cannot
//     fire again before E+for:, as it becomes active at E at the earliest.
//
// Each set gets a check at its start, middle and end, so a threshold or
// for: that differs from the rule's fails one of them.
func checksOf(a *alert, v vmRun, g grid) []check {
	var out []check
	add := func(lo, hi time.Duration, firing bool) {
		hi = min(hi, g.end())
		if lo > hi {
			return
		}
		mid := lo + (hi-lo)/2/g.step*g.step
		for _, t := range []time.Duration{lo, mid, hi} {
			if n := len(out); n == 0 || out[n-1].at < t {
				out = append(out, check{at: t, firing: firing})
			}
		}
	}
	runs := runsOf(v, func(s span) bool { return a.above(v, s) })
	if len(runs) > 0 && runs[0].above {
		// Nothing was active before the start.
		add(0, g.before(a.hold), false)
	}
	for i, r := range runs {
		if i == maxRuns {
			break
		}
		if r.above {
			add(g.ceil(g.ceil(r.from+a.delay)+a.hold), g.before(r.to), true)
			continue
		}
		resolved := g.ceil(g.ceil(r.from+a.delay) + a.keep)
		if i == 0 {
			resolved = 0
		} else if resolved >= r.to {
			continue
		}
		add(resolved, g.before(r.to+a.hold), false)
	}
	return out
}

// group is one VM's test: its series and the checks of every alert about
// it.
func group(o Options, w *workload, v vmRun, alerts []*alert, g grid) (testGroup, error) {
	tg := testGroup{Name: w.name + " " + v.ref.Name, Interval: model.Duration(g.step).String()}
	var err error
	if tg.InputSeries, err = seriesOf(o, w, v, g); err != nil || len(tg.InputSeries) == 0 {
		return tg, err
	}
	for _, a := range alerts {
		if a.w != w || !a.concerns(v) {
			continue
		}
		for _, c := range checksOf(a, v, g) {
			at := alertTest{EvalTime: model.Duration(c.at).String(), Alertname: a.name, ExpAlerts: []expAlert{}}
			if c.firing {
				at.ExpAlerts = append(at.ExpAlerts, expAlert{ExpLabels: a.labels(v), ExpAnnotations: a.annotations(v)})
			}
			tg.AlertTests = append(tg.AlertTests, at)
		}
	}
	return tg, nil
}

// stepFor picks the tests' sampling and evaluation step: 15s, or finer so
// that the rate window holds at least four samples (and a whole number of
// them) and the shortest stretch of a level at least four.
func stepFor(o Options, ws []*workload, alerts []*alert) time.Duration {
	shortest := o.Window
	for _, w := range ws {
		for _, v := range w.vms {
			for _, s := range v.spans {
				// Spans the window's edges cut short do not count.
				if s.from > 0 && s.to < o.Window {
					shortest = min(shortest, s.to-s.from)
				}
			}
		}
	}
	for _, sec := range []int{15, 10, 5, 3, 2} {
		step := time.Duration(sec) * time.Second
		ok := o.RateWindow%step == 0 && o.RateWindow >= 4*step && shortest >= 4*step
		for _, a := range alerts {
			ok = ok && (a.delay == 0 || a.delay >= 4*step)
		}
		if ok {
			return step
		}
	}
	return time.Second
}

// buildTests makes the test file: one group per VM that an alert is about.
func buildTests(o Options, ws []*workload, alerts []*alert, rulesFile string) (*testFile, grid, error) {
	step := stepFor(o, ws, alerts)
	g := grid{step: step, n: int(o.Window / step)}
	if g.n > MaxSamples {
		return nil, g, fmt.Errorf("--window %s at a %s step is %d samples per series, more than %d; give a shorter --window",
			model.Duration(o.Window), model.Duration(step), g.n, MaxSamples)
	}
	tf := &testFile{RuleFiles: []string{rulesFile}, EvaluationInterval: model.Duration(step).String()}
	for _, w := range ws {
		for _, v := range w.vms {
			tg, err := group(o, w, v, alerts, g)
			if err != nil {
				return nil, g, err
			}
			if len(tg.AlertTests) > 0 {
				sort.SliceStable(tg.AlertTests, func(i, j int) bool {
					return evalOrder(tg.AlertTests[i]) < evalOrder(tg.AlertTests[j])
				})
				tf.Tests = append(tf.Tests, tg)
			}
		}
	}
	return tf, g, nil
}

func evalOrder(t alertTest) time.Duration {
	d, _ := model.ParseDuration(t.EvalTime)
	return time.Duration(d)
}
