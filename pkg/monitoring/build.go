package monitoring

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/verify"
)

// The files --promtool-tests writes, side by side.
const (
	RulesFile = "rules.yaml"
	TestsFile = "tests.yaml"
)

// Result is what monitoring writes for a run.
type Result struct {
	// Rule holds the example rules; nil with the user's own.
	Rule *monitoringv1.PrometheusRule
	// Rules is RulesFile: the example rules' groups as a Prometheus rule
	// file, or the user's file without its alerts' annotations.
	Rules []byte
	// Tests is TestsFile, with Options.Tests.
	Tests []byte
	// Notes say what has no rule or test, and why.
	Notes   []string
	Summary Summary
}

// Summary counts what the files hold.
type Summary struct {
	Rules  int
	VMs    int
	Checks int
	Step   time.Duration
}

// Build makes the run's example rules, or reads the user's, and with
// Options.Tests the promtool tests of those rules. Every error is about
// the input: the run, the flags or the user's files.
func Build(o Options) (*Result, error) {
	ws, notes, err := modelRun(o)
	if err != nil {
		return nil, err
	}
	res := &Result{Notes: notes}
	var alerts []*alert
	if o.User != nil {
		rules, err := readRules(o.User.RulesPath, o.User.Rules)
		if err != nil {
			return nil, err
		}
		exp, err := verify.ParseAlertsFile(o.User.AlertsPath, o.User.Alerts)
		if err != nil {
			return nil, err
		}
		if alerts, err = userAlerts(o, ws, rules, exp); err != nil {
			return nil, err
		}
		res.Rules, res.Summary.Rules = rules.copy, len(rules.alerts)
	} else {
		groups, as, more, err := examples(o, ws)
		if err != nil {
			return nil, err
		}
		if len(groups) == 0 {
			return nil, fmt.Errorf("no workload of the run has a signal whose expected value moves with a level, so there is no example rule to write (%s)", strings.Join(append(notes, more...), "; "))
		}
		alerts, res.Notes = as, append(res.Notes, more...)
		res.Rule = prometheusRule(o, groups)
		if res.Rules, err = rulesFile(o, res.Rule.Spec, res.Notes); err != nil {
			return nil, err
		}
		res.Summary.Rules = len(alerts)
	}
	if o.Tests {
		if err := res.addTests(o, ws, alerts); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (res *Result) addTests(o Options, ws []*workload, alerts []*alert) error {
	tf, g, err := buildTests(o, ws, alerts, RulesFile)
	if err != nil {
		return err
	}
	if len(tf.Tests) == 0 {
		return fmt.Errorf("no instant of the %s window has a certain alert state to check: each level holds too short for the rules' rate windows and for:; give a longer --window or a shorter --rate-window", model.Duration(o.Window))
	}
	res.Summary.Step, res.Summary.VMs = g.step, len(tf.Tests)
	for _, t := range tf.Tests {
		res.Summary.Checks += len(t.AlertTests)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# promtool rule unit tests of virtwork run %s, written by kubectl virtwork monitoring.\n", o.Config.RunID)
	fmt.Fprintf(&buf, "# Each VM's KubeVirt series as its profile makes them, over %s from its workload's start, one\n", model.Duration(o.Window))
	fmt.Fprintf(&buf, "# sample every %s, and whether each alert fires at instants where that is certain.\n", model.Duration(g.step))
	fmt.Fprintf(&buf, "# Run: promtool test rules %s\n", TestsFile)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(tf); err != nil {
		return err
	}
	res.Tests = buf.Bytes()
	return nil
}

// prometheusRule wraps the example groups in a PrometheusRule named after
// the run, in its namespace, with its labels.
func prometheusRule(o Options, groups []monitoringv1.RuleGroup) *monitoringv1.PrometheusRule {
	return &monitoringv1.PrometheusRule{
		TypeMeta: metav1.TypeMeta{APIVersion: monitoringv1.SchemeGroupVersion.String(), Kind: monitoringv1.PrometheusRuleKind},
		ObjectMeta: metav1.ObjectMeta{Name: "virtwork-" + o.Config.RunID[:8], Namespace: o.Bundle.Namespace,
			Labels: map[string]string{labels.ManagedBy: labels.ManagedByValue, labels.RunID: o.Config.RunID}},
		Spec: monitoringv1.PrometheusRuleSpec{Groups: groups},
	}
}

// rulesFile is the example groups as a Prometheus rule file, with a
// header that says what has no rule.
func rulesFile(o Options, spec monitoringv1.PrometheusRuleSpec, notes []string) ([]byte, error) {
	data, err := sigsyaml.Marshal(spec)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Example alert rules of virtwork run %s, written by kubectl virtwork monitoring:\n", o.Config.RunID)
	buf.WriteString("# the PrometheusRule's groups as a Prometheus rule file (promtool check rules).\n")
	for _, n := range notes {
		fmt.Fprintf(&buf, "# No rule: %s\n", strings.ReplaceAll(n, "\n", " "))
	}
	buf.Write(data)
	return buf.Bytes(), nil
}

// WriteRule writes the PrometheusRule as YAML or (json) indented JSON,
// without the empty creationTimestamp the Go types add.
func WriteRule(w io.Writer, rule *monitoringv1.PrometheusRule, format string) error {
	data, err := json.Marshal(rule)
	if err != nil {
		return err
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		return err
	}
	if meta, ok := obj["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	if format == "json" {
		data, err = json.MarshalIndent(obj, "", "    ")
		data = append(data, '\n')
	} else {
		data, err = sigsyaml.Marshal(obj)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}
