package monitoring

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/virtwork/kubectl-virtwork/pkg/verify"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// alert is an alerting rule as the tests check it.
type alert struct {
	name string
	w    *workload
	// concerns picks the VMs the alert is about.
	concerns func(vmRun) bool
	// above says whether the alert's condition holds for a VM over a span.
	above func(vmRun, span) bool
	// delay is how long after a change the rule's expression may still
	// show the old level (its rate window); hold is its for:, keep its
	// keep_firing_for.
	delay, hold, keep time.Duration
	// labels and annotations are what a firing alert of the VM carries
	// (besides alertname).
	labels      func(vmRun) map[string]string
	annotations func(vmRun) map[string]string
}

// threshold is an example rule's comparison: the signal's expected value
// halfway between the profile's lowest and highest level.
type threshold struct {
	value            float64
	op               string // > or <
	lowLevel, high   int
	lowValue, hValue float64
}

// thresholdOf is the threshold of sig for the VMs of its role, or ok false
// when the expected value does not move with the level. A constant profile
// is compared with idle (level 0), before its start and after its end.
func thresholdOf(w *workload, sig workloads.Signal, first vmRun) (threshold, bool) {
	lo, hi := w.model.Range()
	if lo == hi {
		lo = 0
	}
	peers := float64(len(w.model.Peers(first.ref)))
	at := func(level int) float64 {
		e := w.base
		if first.follows {
			e.Level = float64(level)
		}
		e.PeersLevel = float64(level) * peers
		return sig.Expect.Eval(e)
	}
	t := threshold{lowLevel: lo, high: hi, lowValue: at(lo), hValue: at(hi)}
	t.value, t.op = (t.lowValue+t.hValue)/2, ">"
	if t.hValue < t.lowValue {
		t.op = "<"
	}
	return t, t.hValue != t.lowValue
}

func (t threshold) holds(v float64) bool {
	if t.op == ">" {
		return v > t.value
	}
	return v < t.value
}

// holdFor is an example rule's for: a third of the shortest run above the
// threshold less the rate window, at most MaxFor, in whole seconds. Runs
// cut by the window's edges count only when there are no others.
func holdFor(vms []vmRun, above func(vmRun, span) bool, window, delay time.Duration) (time.Duration, time.Duration) {
	shortest, cut := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
	for _, v := range vms {
		for _, r := range runsOf(v, func(s span) bool { return above(v, s) }) {
			switch {
			case !r.above:
			case r.from == 0 || r.to >= window:
				cut = min(cut, r.to-r.from)
			default:
				shortest = min(shortest, r.to-r.from)
			}
		}
	}
	if shortest == math.MaxInt64 {
		shortest = min(cut, window)
	}
	return min(MaxFor, ((shortest - delay) / 3).Truncate(time.Second)), shortest
}

// example builds the example alert of one signal with an expected value.
func example(o Options, w *workload, sig workloads.Signal) (*alert, monitoringv1.Rule, string, error) {
	vms := w.role(sig.Role)
	if len(vms) == 0 {
		return nil, monitoringv1.Rule{}, "", nil
	}
	if w.instancetype != "" && sig.Expect.Uses(workloads.SizeVars...) {
		return nil, monitoringv1.Rule{}, fmt.Sprintf("%s %s: its expected value (%s) reads the VMs' vCPUs or memory, which the instance type %s sets on the cluster, so there is no threshold to write offline; `verify` reads them from the VMIs",
			w.name, sig.Name, sig.Expect, w.instancetype), nil
	}
	t, moves := thresholdOf(w, sig, vms[0])
	if !moves {
		return nil, monitoringv1.Rule{}, fmt.Sprintf("%s %s: its expected value does not move with the level, so there is no threshold to alert on", w.name, sig.Name), nil
	}
	q := sig.Queries[0]
	a := &alert{name: alertName(w.name, sig.Name, t.op), w: w,
		concerns: func(v vmRun) bool { return v.ref.Role == sig.Role },
		above:    func(_ vmRun, s span) bool { return t.holds(sig.Expect.Eval(w.env(s))) }}
	if strings.Contains(q.Query, "$window") {
		a.delay = o.RateWindow
	}
	hold, shortest := holdFor(vms, a.above, o.Window, a.delay)
	if shortest <= a.delay {
		return nil, monitoringv1.Rule{}, "", fmt.Errorf("%s %s: its shortest stretch beyond the threshold (%s) is not longer than --rate-window %s, so no alert could tell it; give a shorter --rate-window",
			w.name, sig.Name, model.Duration(shortest), model.Duration(o.RateWindow))
	}
	a.hold = hold
	expr := fmt.Sprintf("(%s) %s %s", q.Fill(verify.QueryArgs(o.Bundle.Namespaces, o.Config.RunID, w.spec, sig, o.RateWindow)), t.op, number(t.value))
	labels := map[string]string{"severity": "info", "workload": w.name, "run": o.Config.RunID}
	verb := map[string]string{">": "above", "<": "below"}[t.op]
	unit := plain(sig.Unit)
	ann := map[string]string{
		"summary": fmt.Sprintf("{{ $labels.name }}: %s %s %s %s", sig.Name, verb, text(t.value), unit),
		"description": fmt.Sprintf("VM {{ $labels.namespace }}/{{ $labels.name }} of virtwork run %s shows %s %s %s %s for %s: "+
			"halfway between %s at level %d and %s at level %d of its profile (%s), so the %s load is at its high level.",
			o.Config.RunID, w.name, sig.Name, verb, text(t.value)+" "+unit, model.Duration(hold), text(t.lowValue), t.lowLevel, text(t.hValue), t.high, w.profile, w.name),
	}
	a.labels = func(v vmRun) map[string]string {
		out := map[string]string{"namespace": o.Bundle.Namespace, "name": v.ref.Name}
		for k, val := range labels {
			out[k] = val
		}
		return out
	}
	a.annotations = func(v vmRun) map[string]string {
		r := strings.NewReplacer("{{ $labels.name }}", v.ref.Name, "{{ $labels.namespace }}", o.Bundle.Namespace)
		return map[string]string{"summary": r.Replace(ann["summary"]), "description": r.Replace(ann["description"])}
	}
	rule := monitoringv1.Rule{Alert: a.name, Expr: intstr.FromString(expr), Labels: labels, Annotations: ann}
	if hold > 0 {
		d := monitoringv1.Duration(model.Duration(hold).String())
		rule.For = &d
	}
	return a, rule, "", nil
}

// examples builds the example rules, one group per workload.
func examples(o Options, ws []*workload) ([]monitoringv1.RuleGroup, []*alert, []string, error) {
	var groups []monitoringv1.RuleGroup
	var alerts []*alert
	var notes []string
	for _, w := range ws {
		g := monitoringv1.RuleGroup{Name: fmt.Sprintf("virtwork-%s-%s", o.Config.RunID[:8], w.name)}
		for _, sig := range w.spec.Signals {
			if sig.Expect.IsZero() {
				notes = append(notes, fmt.Sprintf("%s %s: only a floor is expected (at_least %s), so it has no example alert", w.name, sig.Name, sig.AtLeast))
				continue
			}
			a, rule, note, err := example(o, w, sig)
			if err != nil {
				return nil, nil, nil, err
			}
			if note != "" {
				notes = append(notes, note)
			}
			if a != nil {
				g.Rules = append(g.Rules, rule)
				alerts = append(alerts, a)
			}
		}
		if len(g.Rules) > 0 {
			groups = append(groups, g)
		}
	}
	return groups, alerts, notes, nil
}

// alertName is VirtworkCpuVcpusBusyHigh: the workload and signal in
// CamelCase, and which side of the threshold fires.
func alertName(workload, signal, op string) string {
	var b strings.Builder
	b.WriteString("Virtwork")
	for _, part := range strings.FieldsFunc(workload+"-"+signal, func(r rune) bool { return r == '-' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	if op == ">" {
		b.WriteString("High")
	} else {
		b.WriteString("Low")
	}
	return b.String()
}

// number spells a threshold for PromQL: exact, never an exponent.
func number(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// text spells a value for people: whole above a million, else 4 digits.
func text(v float64) string {
	if math.Abs(v) >= 1e6 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// plain keeps text from a workload definition out of Prometheus's
// template syntax.
func plain(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "{{", "{ {"), "}}", "} }")
}
