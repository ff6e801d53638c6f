package monitoring

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/verify"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// inputSeries is one promtool input series: a selector and its values in
// promtool's expanding notation.
type inputSeries struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

// grid is the test's sampling: one sample every step from 0 to n steps.
type grid struct {
	step time.Duration
	n    int
}

func (g grid) end() time.Duration { return time.Duration(g.n) * g.step }

// ceil is the first sample at or after t.
func (g grid) ceil(t time.Duration) time.Duration {
	if t <= 0 {
		return 0
	}
	return (t + g.step - 1) / g.step * g.step
}

// before is the last sample before t.
func (g grid) before(t time.Duration) time.Duration { return g.ceil(t) - g.step }

// seriesOf synthesizes the raw series of one VM: every series the
// workload's signals of the VM's role declare, labelled as KubeVirt labels
// them. A series two signals share is written once.
func seriesOf(o Options, w *workload, v vmRun, g grid) ([]inputSeries, error) {
	var out []inputSeries
	seen := map[string]bool{}
	for _, sig := range w.spec.Signals {
		if sig.Role != v.ref.Role {
			continue
		}
		args := verify.QueryArgs(o.Bundle.Namespaces, o.Config.RunID, w.spec, sig, o.RateWindow)
		for _, s := range sig.Series {
			sel := selector(s, args, o.Bundle.Namespace, v.ref.Name)
			if seen[sel] {
				continue
			}
			seen[sel] = true
			vals, err := values(w, v, s, g)
			if err != nil {
				return nil, fmt.Errorf("%s %s: series %s: %w", w.name, sig.Name, s.Metric, err)
			}
			out = append(out, inputSeries{Series: sel, Values: vals})
		}
	}
	return out, nil
}

// seriesLabels are a VM's series' labels: KubeVirt's namespace and name,
// and the series' own.
func seriesLabels(s workloads.SignalSeries, args workloads.QueryArgs, ns, vm string) map[string]string {
	out := map[string]string{"namespace": ns, "name": vm}
	for _, k := range s.LabelNames() {
		out[k] = s.Label(k, args)
	}
	return out
}

func selector(s workloads.SignalSeries, args workloads.QueryArgs, ns, vm string) string {
	labels := seriesLabels(s, args, ns, vm)
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Quote(labels[k])
	}
	return s.Metric + "{" + strings.Join(parts, ",") + "}"
}

// values is a series' samples on the grid: a gauge holds the value of the
// span each sample falls in; a counter adds up the value a second over
// each step, from 0.
func values(w *workload, v vmRun, s workloads.SignalSeries, g grid) (string, error) {
	value := func(sp span) float64 { return s.Value.Eval(w.env(sp)) }
	if !s.Counter {
		samples := make([]float64, g.n+1)
		j := 0
		for k := range samples {
			t := time.Duration(k) * g.step
			for j < len(v.spans)-1 && v.spans[j].to <= t {
				j++
			}
			samples[k] = value(v.spans[j])
		}
		return gaugeText(samples), nil
	}
	for _, sp := range v.spans {
		if r := value(sp); r < 0 {
			return "", fmt.Errorf("a counter's value a second must not be negative, got %s for %s at level %d", number(r), v.ref.Name, v.levelOf(sp))
		}
	}
	return counterText(increments(v.spans, value, g)), nil
}

// increments is what a counter gains over each step (index k: from sample
// k-1 to k). A step inside one span gains the very same float each time,
// so counterText can fold runs of them.
func increments(spans []span, rate func(span) float64, g grid) []float64 {
	d := make([]float64, g.n+1)
	j := 0
	for k := 1; k <= g.n; k++ {
		t0, t1 := time.Duration(k-1)*g.step, time.Duration(k)*g.step
		for j < len(spans) && spans[j].to <= t0 {
			j++
		}
		for i := j; i < len(spans) && spans[i].from < t1; i++ {
			overlap := min(t1, spans[i].to) - max(t0, spans[i].from)
			d[k] += rate(spans[i]) * overlap.Seconds()
		}
	}
	return d
}

// counterText writes a counter in promtool's expanding notation (a+bxN:
// N+1 samples from a, b apart), adding the increments in the order promtool
// adds them when it expands the text, so a term that starts a new run
// continues the last one's value exactly and never looks like a reset.
func counterText(d []float64) string {
	var terms []string
	cur, i, n := 0.0, 0, len(d)-1
	for i <= n {
		if i == n {
			terms = append(terms, number(cur))
			break
		}
		inc, m := d[i+1], 1
		for i+m+1 <= n && d[i+m+1] == inc {
			m++
		}
		terms = append(terms, fmt.Sprintf("%s+%sx%d", number(cur), number(inc), m))
		for range m {
			cur += inc
		}
		i += m + 1
		if i <= n {
			cur += d[i]
		}
	}
	return strings.Join(terms, " ")
}

// gaugeText writes a gauge as runs of one value (axN: N+1 samples of a).
func gaugeText(samples []float64) string {
	var terms []string
	for i := 0; i < len(samples); {
		m := 0
		for i+m+1 < len(samples) && samples[i+m+1] == samples[i] {
			m++
		}
		terms = append(terms, fmt.Sprintf("%sx%d", number(samples[i]), m))
		i += m + 1
	}
	return strings.Join(terms, " ")
}
