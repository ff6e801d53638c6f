package monitoring

import (
	"regexp"
	"slices"
	"strings"

	"github.com/virtwork/kubectl-virtwork/pkg/verify"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// userAlerts turns the alerts file's entries into alerts the tests check,
// each with the for: and keep_firing_for of the user's rule.
func userAlerts(o Options, ws []*workload, rules *userRules, exp []verify.Alert) ([]*alert, error) {
	var out []*alert
	for _, e := range exp {
		rule, ok := rules.alerts[e.Alert]
		if !ok {
			return nil, e.Errorf("alert %q is not an alerting rule of --rules %s (its alerts: %s)", e.Alert, o.User.RulesPath, strings.Join(rules.names(), ", "))
		}
		w, err := expectedWorkload(o, ws, e)
		if err != nil {
			return nil, err
		}
		labels := map[string]bool{"namespace": true, "name": true}
		for _, sig := range w.spec.Signals {
			for _, s := range sig.Series {
				for _, l := range s.LabelNames() {
					labels[l] = true
				}
			}
		}
		for _, b := range e.By {
			if !labels[b] {
				return nil, e.Errorf("by: %s is not a label of %s's series (namespace, name, or one its signals' series declare)", b, w.name)
			}
		}
		a := &alert{name: e.Alert, w: w, hold: rule.hold, keep: rule.keep, delay: rules.delayOf(rule.expr, 0),
			concerns:    func(v vmRun) bool { return hasSeries(w, v.ref.Role) },
			above:       func(v vmRun, s span) bool { return float64(v.levelOf(s)) > e.FiresAbove },
			annotations: func(vmRun) map[string]string { return nil }}
		a.labels, err = userLabels(o, e, rule, w)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// expectedWorkload finds the entry's workload among those with a level.
func expectedWorkload(o Options, ws []*workload, e verify.Alert) (*workload, error) {
	for _, w := range ws {
		if w.name == e.Workload {
			for _, v := range w.vms {
				if hasSeries(w, v.ref.Role) {
					return w, nil
				}
			}
			return nil, e.Errorf("workload %s declares no series for its signals, so the tests have no input for its VMs", w.name)
		}
	}
	var names []string
	for _, wc := range o.Config.Workloads {
		if wc.Name == e.Workload {
			return nil, e.Errorf("workload %s has no level in this run (none declared, or unlimited), so no load shape says when the alert should fire; give it a profile", e.Workload)
		}
		names = append(names, wc.Name)
	}
	return nil, e.Errorf("workload %q is not in the run (its workloads: %s)", e.Workload, strings.Join(names, ", "))
}

func hasSeries(w *workload, role string) bool {
	return slices.ContainsFunc(w.spec.Signals, func(s workloads.Signal) bool { return s.Role == role && len(s.Series) > 0 })
}

var labelRef = regexp.MustCompile(`\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)

// userLabels are a firing alert's labels for a VM: the by labels of its
// series and the rule's labels, whose templates may read $labels only.
func userLabels(o Options, e verify.Alert, rule userRule, w *workload) (func(vmRun) map[string]string, error) {
	for k, v := range rule.labels {
		if strings.Contains(labelRef.ReplaceAllString(v, ""), "{{") {
			return nil, e.Errorf("alert %s: label %s is a template the tests cannot expand (only {{ $labels.NAME }}), %q", e.Alert, k, v)
		}
	}
	seriesLabels := map[string]string{}
	for _, sig := range w.spec.Signals {
		args := verify.QueryArgs(o.Bundle.Namespaces, o.Config.RunID, w.spec, sig, o.RateWindow)
		for _, s := range sig.Series {
			for _, l := range s.LabelNames() {
				seriesLabels[l] = s.Label(l, args)
			}
		}
	}
	return func(v vmRun) map[string]string {
		by := map[string]string{}
		for _, b := range e.By {
			switch b {
			case "namespace":
				by[b] = o.Bundle.Namespace
			case "name":
				by[b] = v.ref.Name
			default:
				by[b] = seriesLabels[b]
			}
		}
		out := map[string]string{}
		for k, val := range by {
			out[k] = val
		}
		for k, val := range rule.labels {
			out[k] = labelRef.ReplaceAllStringFunc(val, func(m string) string { return by[labelRef.FindStringSubmatch(m)[1]] })
		}
		return out
	}, nil
}
