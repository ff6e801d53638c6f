package workloads

import (
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/virtwork/kubectl-virtwork/pkg/yamlfile"
)

// SignalSeries is one raw KubeVirt series that a signal's first query
// reads, as a function of a VM's level and resources, chosen so that the
// query over it gives exactly the signal's expected value. kubectl
// virtwork monitoring --promtool-tests feeds these to promtool as each
// VM's input series, so alert rules can be tested against a run's load
// shape before any VM boots.
type SignalSeries struct {
	Metric string `json:"metric"`
	// Counter: Value is a rate a second and the series adds it up over
	// time from 0; otherwise Value is the series' value at each instant.
	Counter bool `json:"counter,omitempty"`
	Value   Expr `json:"-"`
	// Labels are the series' labels besides KubeVirt's namespace and
	// name; a value may be $drive or $mount.
	Labels map[string]string `json:"labels,omitempty"`
}

var (
	seriesKeys = []string{"metric", "counter", "value", "labels"}
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	// labelValue keeps a value plain in a series selector: no quotes or
	// backslashes to escape.
	labelValue = regexp.MustCompile(`^(\$drive|\$mount|[a-zA-Z0-9_./:-]{1,63})$`)
)

// readSeries reads a signal's series list against its first query.
func (l *loader) readSeries(n yamlfile.Node, sig Signal) ([]SignalSeries, error) {
	if !n.IsList() || n.Len() == 0 {
		return nil, n.Errorf("must be a list of at least one series, such as {metric: NAME, counter: true, value: level}")
	}
	if len(sig.Queries) == 0 {
		return nil, n.Errorf("needs queries: the series are what the first query reads")
	}
	first := sig.Queries[0]
	var out []SignalSeries
	err := n.List(func(_ int, v yamlfile.Node) error {
		s, err := l.readOneSeries(v, first)
		out = append(out, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, m := range first.Metrics {
		if !slices.ContainsFunc(out, func(s SignalSeries) bool { return s.Metric == m }) {
			return nil, n.Errorf("no series of %s, which the first query reads: give one so the query has a value", m)
		}
	}
	if r, _ := l.d.spec.Role(sig.Role); r.DataDisk == nil {
		for i, s := range out {
			for _, v := range s.Labels {
				if v == "$drive" || v == "$mount" {
					return nil, n.Errorf("[%d] uses $drive or $mount, but role %s has no data disk", i, sig.Role)
				}
			}
		}
	}
	return out, nil
}

func (l *loader) readOneSeries(v yamlfile.Node, first SignalQuery) (SignalSeries, error) {
	var s SignalSeries
	var value *yamlfile.Node
	err := v.Mapping(seriesKeys, func(k string, n yamlfile.Node) error {
		var err error
		switch k {
		case "metric":
			s.Metric, err = n.String()
			if err == nil && !slices.Contains(first.Metrics, s.Metric) {
				err = n.Errorf("%q is not one of the first query's metrics (%s)", s.Metric, strings.Join(first.Metrics, ", "))
			}
		case "counter":
			s.Counter, err = n.Bool()
		case "value":
			value = &n
		case "labels":
			s.Labels, err = readSeriesLabels(n)
		}
		return err
	})
	if err != nil {
		return s, err
	}
	if err := v.Require("metric", "value"); err != nil {
		return s, err
	}
	s.Value, err = l.expr(value)
	return s, err
}

// readSeriesLabels reads {drive: $drive}: label names as Prometheus
// spells them, besides namespace and name, which every series has.
func readSeriesLabels(n yamlfile.Node) (map[string]string, error) {
	out := map[string]string{}
	err := n.Each(func(k, v yamlfile.Node) error {
		name := k.Value()
		if !labelName.MatchString(name) || strings.HasPrefix(name, "__") || name == "namespace" || name == "name" {
			return k.Errorf("%q must be a label name (letters, digits, _), not namespace or name, which every series has", name)
		}
		val, err := v.String()
		if err != nil {
			return err
		}
		if !labelValue.MatchString(val) {
			return v.Errorf("%q must be $drive, $mount or 1-63 letters, digits and . _ - / :", val)
		}
		out[name] = val
		return nil
	})
	return out, err
}

// LabelNames lists the series' label names, sorted.
func (s SignalSeries) LabelNames() []string {
	names := make([]string, 0, len(s.Labels))
	for k := range s.Labels {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Label is a label's value with $drive and $mount filled in.
func (s SignalSeries) Label(name string, a QueryArgs) string {
	return strings.NewReplacer("$drive", a.Drive, "$mount", a.Mount).Replace(s.Labels[name])
}
