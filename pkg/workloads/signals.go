package workloads

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/virtwork/kubectl-virtwork/pkg/yamlfile"
)

// Signal is what a workload's load is expected to show in KubeVirt's
// metrics, per VM: a PromQL query that gives one series per VM (by its
// namespace and name labels) and the value expected from the VM's level
// and resources. kubectl virtwork verify checks it against a Prometheus,
// and kubectl virtwork monitoring builds alert rules and promtool tests
// from it.
type Signal struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Role is the role whose VMs carry the signal.
	Role string `json:"role"`
	Unit string `json:"unit"`
	// Queries are the same signal under the metric names of different
	// KubeVirt versions, newest first: the first whose metrics the
	// Prometheus has is used.
	Queries []SignalQuery `json:"queries"`
	// Expect is the expected value, within Tolerance; or AtLeast, a lower
	// bound only. Exactly one is set.
	Expect    Expr      `json:"-"`
	AtLeast   Expr      `json:"-"`
	Tolerance Tolerance `json:"tolerance"`
	// Rises: across a VM's segments, a higher level shows a higher value.
	Rises bool `json:"rises,omitempty"`
	// Series, when given, are the raw series the first query reads,
	// synthesized per VM for promtool tests.
	Series []SignalSeries `json:"series,omitempty"`
}

// SignalQuery is one spelling of a signal's query. Its text holds the
// placeholders of QueryPlaceholders, which verify fills in.
type SignalQuery struct {
	Query string `json:"query"`
	// Metrics are the metric names the query reads: all of them must exist
	// for it to be used.
	Metrics []string `json:"metrics"`
	// Names says which KubeVirt versions use these names, for reports.
	Names string `json:"names,omitempty"`
}

// Tolerance is how far an observed value may be from the expected one:
// the larger of Relative × expected and Absolute.
type Tolerance struct {
	Relative float64 `json:"relative"`
	Absolute float64 `json:"absolute"`
}

// Band is the range Tolerance allows around expected.
func (t Tolerance) Band(expected float64) (lo, hi float64) {
	d := math.Max(math.Abs(expected)*t.Relative, t.Absolute)
	return expected - d, expected + d
}

// DefaultTolerance applies when a signal gives none.
var DefaultTolerance = Tolerance{Relative: 0.25}

// QueryPlaceholders are what a signal's query may hold: $selector (the run's
// VMs of the workload and role as label matchers, required), $window (the
// range of rate() and friends), $drive (the data disk's name in the VM,
// KubeVirt's drive label) and $mount (the data disk's mount point in the
// guest).
var QueryPlaceholders = []string{"$selector", "$window", "$drive", "$mount"}

// DataDiskDrive is the name of the data disk in the VMs render writes,
// which KubeVirt's storage metrics carry as the drive label.
const DataDiskDrive = "datadisk"

var (
	signalName       = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)
	metricName       = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	queryPlaceholder = regexp.MustCompile(`\$[a-z]*`)
	signalKeys       = []string{"name", "description", "role", "unit", "queries", "expect", "at_least", "tolerance", "rises", "series"}
	queryKeys        = []string{"query", "metrics", "names"}
)

// readSignals reads the signals list; the expressions and roles are
// checked in checkSignals, once params and roles are known.
func (l *loader) readSignals(n yamlfile.Node) error {
	if !n.IsList() || n.Len() == 0 {
		return n.Errorf("must be a list of at least one signal")
	}
	l.signals = &n
	return nil
}

// checkSignals reads each signal against the workload's roles and params.
func (l *loader) checkSignals() error {
	s := &l.d.spec
	if l.signals != nil && s.Unobservable != "" {
		return l.signals.Errorf("a workload has signals or is unobservable, not both")
	}
	if l.signals == nil {
		return nil
	}
	return l.signals.List(func(_ int, v yamlfile.Node) error {
		sig, err := l.readSignal(v)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(s.Signals, func(o Signal) bool { return o.Name == sig.Name }) {
			return v.Errorf("signal %q is declared twice", sig.Name)
		}
		s.Signals = append(s.Signals, sig)
		return nil
	})
}

func (l *loader) readSignal(v yamlfile.Node) (Signal, error) {
	sig := Signal{Tolerance: DefaultTolerance}
	var expect, atLeast, series *yamlfile.Node
	err := v.Mapping(signalKeys, func(k string, n yamlfile.Node) error {
		var err error
		switch k {
		case "name":
			sig.Name, err = n.String()
			if err == nil && !signalName.MatchString(sig.Name) {
				err = n.Errorf("%q must be lowercase letters, digits and '-', starting with a letter, at most 40", sig.Name)
			}
		case "description":
			sig.Description, err = oneLine(n)
		case "role":
			sig.Role, err = n.String()
		case "unit":
			sig.Unit, err = oneLine(n)
		case "queries":
			err = n.List(func(_ int, q yamlfile.Node) error {
				sq, err := l.readQuery(q)
				sig.Queries = append(sig.Queries, sq)
				return err
			})
		case "expect":
			expect = &n
		case "at_least":
			atLeast = &n
		case "tolerance":
			sig.Tolerance, err = readTolerance(n)
		case "rises":
			sig.Rises, err = n.Bool()
		case "series":
			series = &n
		}
		return err
	})
	if err != nil {
		return sig, err
	}
	if err := v.Require("name", "unit", "queries"); err != nil {
		return sig, err
	}
	if (expect == nil) == (atLeast == nil) {
		return sig, v.Errorf("give the expected value as expect (with tolerance) or as at_least, exactly one of them")
	}
	if sig.Role, err = l.signalRole(v, sig.Role); err != nil {
		return sig, err
	}
	if sig.Expect, err = l.expr(expect); err != nil {
		return sig, err
	}
	if sig.AtLeast, err = l.expr(atLeast); err != nil {
		return sig, err
	}
	for i, q := range sig.Queries {
		if strings.Contains(q.Query, "$drive") || strings.Contains(q.Query, "$mount") {
			r, _ := l.d.spec.Role(sig.Role)
			if r.DataDisk == nil {
				return sig, v.Errorf("queries[%d] uses $drive or $mount, but role %s has no data disk", i, sig.Role)
			}
		}
	}
	if series != nil {
		sig.Series, err = l.readSeries(*series, sig)
	}
	return sig, err
}

// signalRole defaults a signal's role to the level's only role, or the
// workload's only role.
func (l *loader) signalRole(v yamlfile.Node, role string) (string, error) {
	s := l.d.spec
	if role == "" {
		switch {
		case s.Level != nil && len(s.Level.Roles) == 1:
			return s.Level.Roles[0], nil
		case len(s.Roles) == 1:
			return s.Roles[0].Name, nil
		}
		return "", v.Errorf("role is required: the workload has several roles")
	}
	if _, ok := s.Role(role); !ok {
		return "", v.Errorf("role %q is not one of the workload's roles", role)
	}
	return role, nil
}

func (l *loader) expr(n *yamlfile.Node) (Expr, error) {
	if n == nil {
		return Expr{}, nil
	}
	text := n.Value()
	if !n.IsScalar() || strings.TrimSpace(text) == "" {
		return Expr{}, n.Errorf("must be an arithmetic expression such as level / 100 * vcpus")
	}
	e, err := parseExpr(text, func(name string) bool {
		p, ok := l.d.spec.Param(name)
		return ok && (p.Type == Int || p.Type == Size)
	})
	if err != nil {
		return Expr{}, n.Errorf("%v", err)
	}
	if l.d.spec.Level == nil && e.UsesLevel() {
		return Expr{}, n.Errorf("uses the level, but the workload declares none")
	}
	return e, nil
}

func (l *loader) readQuery(n yamlfile.Node) (SignalQuery, error) {
	var q SignalQuery
	err := n.Mapping(queryKeys, func(k string, v yamlfile.Node) error {
		var err error
		switch k {
		case "query":
			q.Query, err = v.String()
		case "metrics":
			q.Metrics, err = v.Strings()
		case "names":
			q.Names, err = oneLine(v)
		}
		return err
	})
	if err != nil {
		return q, err
	}
	if err := n.Require("query", "metrics"); err != nil {
		return q, err
	}
	if !strings.Contains(q.Query, "$selector") {
		return q, n.Errorf("query must select the run's VMs with $selector, as in metric{$selector}")
	}
	for _, p := range queryPlaceholder.FindAllString(q.Query, -1) {
		if !slices.Contains(QueryPlaceholders, p) {
			return q, n.Errorf("query: unknown placeholder %s (known: %s)", p, strings.Join(QueryPlaceholders, ", "))
		}
	}
	if len(q.Metrics) == 0 {
		return q, n.Errorf("metrics must list the metric names the query reads")
	}
	for _, m := range q.Metrics {
		if !metricName.MatchString(m) || !strings.Contains(q.Query, m) {
			return q, n.Errorf("metrics: %q is not a metric name the query reads", m)
		}
	}
	return q, nil
}

// readTolerance reads {relative: 20%, absolute: 0.1} (absolute may be a
// quantity such as 256Mi).
func readTolerance(n yamlfile.Node) (Tolerance, error) {
	var t Tolerance
	err := n.Mapping([]string{"relative", "absolute"}, func(k string, v yamlfile.Node) error {
		text := v.Value()
		switch k {
		case "relative":
			pct, ok := strings.CutSuffix(text, "%")
			f, err := strconv.ParseFloat(pct, 64)
			if !ok || err != nil || f < 0 || f > 100 {
				return v.Errorf("must be a percentage between 0%% and 100%%, such as 20%%, got %q", text)
			}
			t.Relative = f / 100
		case "absolute":
			q, err := resource.ParseQuantity(text)
			if err != nil || q.Sign() < 0 {
				return v.Errorf("must be a number or quantity of at least 0, such as 0.1 or 256Mi, got %q", text)
			}
			t.Absolute = q.AsApproximateFloat64()
		}
		return nil
	})
	return t, err
}

// ObservableSignals says what verify can check of the workload: its
// signals, or why none (Unobservable), or that it declares nothing.
func (s Spec) ObservableSignals() ([]Signal, string) {
	switch {
	case len(s.Signals) > 0:
		return s.Signals, ""
	case s.Unobservable != "":
		return nil, "not observable from KubeVirt metrics: " + s.Unobservable
	}
	return nil, fmt.Sprintf("workload %s declares no signals", s.Name)
}

// QueryArgs are the values of a query's placeholders.
type QueryArgs struct {
	// Selector is label matchers without braces, such as
	// namespace="ns",name=~"virtwork-cpu-0a1b2c3d-.*".
	Selector string
	// Window is a PromQL duration, such as 30s.
	Window       string
	Drive, Mount string
}

// Fill returns the query with its placeholders replaced.
func (q SignalQuery) Fill(a QueryArgs) string {
	return strings.NewReplacer("$selector", a.Selector, "$window", a.Window, "$drive", a.Drive, "$mount", a.Mount).Replace(q.Query)
}
