package monitoring

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// userRule is an alerting rule of the user's file, as far as the tests
// read it.
type userRule struct {
	expr       string
	hold, keep time.Duration
	labels     map[string]string
}

// userRules is the user's rule file as the tests use it.
type userRules struct {
	// copy is the file without its alerts' annotations: promtool compares
	// annotations word for word, and they may show $value, which no test
	// can know in advance.
	copy   []byte
	alerts map[string]userRule
	// recorded maps each recording rule's name to its expression.
	recorded map[string]string
}

// readRules reads a Prometheus rule file, or a PrometheusRule (its spec's
// groups are then the file).
func readRules(path string, data []byte) (*userRules, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("--rules %s: not valid YAML: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var top *yaml.Node
	if len(doc.Content) > 0 {
		top = doc.Content[0]
	}
	if kind := key(top, "kind"); kind != nil && kind.Value == monitoringv1.PrometheusRuleKind {
		top = key(top, "spec")
	}
	groupsKey, groups := keyNode(top, "groups")
	if groups == nil || groups.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("--rules %s: no list of groups; give a Prometheus rule file (groups: [...]) or a PrometheusRule", path)
	}
	for _, g := range groups.Content {
		for _, r := range seq(key(g, "rules")) {
			drop(r, "annotations")
		}
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# %s as given to kubectl virtwork monitoring --rules, without its alerts' annotations:\n", path)
	buf.WriteString("# promtool compares annotations word for word, and they may show $value, which no test can know.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{groupsKey, groups}}); err != nil {
		return nil, fmt.Errorf("--rules %s: %w", path, err)
	}
	var spec monitoringv1.PrometheusRuleSpec
	if err := sigsyaml.Unmarshal(buf.Bytes(), &spec); err != nil {
		return nil, fmt.Errorf("--rules %s: not a rule file: %v", path, err)
	}
	u := &userRules{copy: buf.Bytes(), alerts: map[string]userRule{}, recorded: map[string]string{}}
	for _, g := range spec.Groups {
		for _, r := range g.Rules {
			if err := u.add(path, r); err != nil {
				return nil, err
			}
		}
	}
	return u, nil
}

// add reads one rule.
func (u *userRules) add(path string, r monitoringv1.Rule) error {
	if r.Alert == "" {
		u.recorded[r.Record] = r.Expr.String()
		return nil
	}
	if _, dup := u.alerts[r.Alert]; dup {
		return fmt.Errorf("--rules %s: alert %s is defined twice, so which one a test means is unclear; rename one", path, r.Alert)
	}
	ur := userRule{expr: r.Expr.String(), labels: r.Labels}
	for name, d := range map[string]*string{"for": (*string)(r.For), "keep_firing_for": (*string)(r.KeepFiringFor)} {
		if d == nil {
			continue
		}
		v, err := model.ParseDuration(*d)
		if err != nil {
			return fmt.Errorf("--rules %s: alert %s: %s: %v", path, r.Alert, name, err)
		}
		if name == "for" {
			ur.hold = time.Duration(v)
		} else {
			ur.keep = time.Duration(v)
		}
	}
	u.alerts[r.Alert] = ur
	return nil
}

// names lists the file's alerts, sorted.
func (u *userRules) names() []string {
	var out []string
	for n := range u.alerts {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

var (
	rangeSel  = regexp.MustCompile(`\[\s*([0-9][0-9a-z]*)\s*(:[^\]]*)?\]`)
	offsetMod = regexp.MustCompile(`\boffset\s+([0-9][0-9a-z]*)`)
)

// recordingDelay stands for the evaluation a recorded series may lag
// behind its inputs: the longest step the tests use.
const recordingDelay = 15 * time.Second

// delayOf is how long after a level change an expression may still show
// the old level: its longest range, plus every subquery range and offset,
// and, through a recording rule it reads, that rule's delay and one more
// evaluation.
func (u *userRules) delayOf(expr string, depth int) time.Duration {
	var longest, extra time.Duration
	for _, m := range rangeSel.FindAllStringSubmatch(expr, -1) {
		d, _ := model.ParseDuration(m[1])
		if m[2] != "" {
			extra += time.Duration(d)
		} else {
			longest = max(longest, time.Duration(d))
		}
	}
	for _, m := range offsetMod.FindAllStringSubmatch(expr, -1) {
		d, _ := model.ParseDuration(m[1])
		extra += time.Duration(d)
	}
	delay := longest + extra
	for name, rexpr := range u.recorded {
		if depth < 8 && regexp.MustCompile(`(^|[^a-zA-Z0-9_:])`+regexp.QuoteMeta(name)+`($|[^a-zA-Z0-9_:])`).MatchString(expr) {
			delay = max(delay, u.delayOf(rexpr, depth+1)+recordingDelay)
		}
	}
	return delay
}

// key is a mapping's value at k, or nil.
func key(m *yaml.Node, k string) *yaml.Node {
	_, v := keyNode(m, k)
	return v
}

// keyNode is a mapping's key k (with the comments written above it) and
// its value, or nils.
func keyNode(m *yaml.Node, k string) (*yaml.Node, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// drop removes key k from a mapping.
func drop(m *yaml.Node, k string) {
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

func seq(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}
