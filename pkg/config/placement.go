package config

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Placement is where a workload's VMs may run: what the VM template's
// nodeSelector, tolerations, topologySpreadConstraints, affinity and
// evictionStrategy say. The zero Placement leaves all of it to the
// cluster, and renders none of those fields.
type Placement struct {
	NodeSelector NodeSelector
	Tolerations  Tolerations
	// Spread is the topology the VMs spread evenly over (maxSkew 1), ""
	// for none.
	Spread Spread
	// VMsPerNode caps the VMs on one node; 0 for no cap.
	VMsPerNode int
	// EvictionStrategy is KubeVirt's spec.template.spec.evictionStrategy,
	// "" for the cluster's default.
	EvictionStrategy string
	// SpreadScope and CapScope say whose VMs the spread and the cap count:
	// the run's when the value was given for the run (a flag, a variable,
	// the file's top level), the workload's alone when it came from the
	// file's workloads.<name> section.
	SpreadScope, CapScope Scope
}

// Scope is the set of VMs a spread or a cap counts.
type Scope int

const (
	// ScopeRun counts every VM of the run that takes the run's value.
	ScopeRun Scope = iota
	// ScopeWorkload counts the workload's VMs alone.
	ScopeWorkload
)

// Label is one KEY=VALUE of a node selector.
type Label struct{ Key, Value string }

// NodeSelector is --node-selector, in the order given.
type NodeSelector []Label

// String is the selector as the flag takes it, comma-separated.
func (s NodeSelector) String() string {
	parts := make([]string, len(s))
	for i, l := range s {
		parts[i] = l.Key + "=" + l.Value
	}
	return strings.Join(parts, ",")
}

// Toleration is one --tolerate: operator Equal with a value, Exists
// without one.
type Toleration struct{ Key, Value, Effect string }

// Exists reports whether the toleration matches any value of its key.
func (t Toleration) Exists() bool { return t.Value == "" }

func (t Toleration) String() string {
	if t.Exists() {
		return t.Key + ":" + t.Effect
	}
	return t.Key + "=" + t.Value + ":" + t.Effect
}

// Tolerations is --tolerate, in the order given.
type Tolerations []Toleration

func (ts Tolerations) String() string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
	}
	return strings.Join(parts, ",")
}

// Spread names the topology of --spread.
type Spread string

// The values of --spread.
const (
	SpreadHostname Spread = "hostname"
	SpreadZone     Spread = "zone"
)

// TopologyKey is the well-known node label of the topology.
func (s Spread) TopologyKey() string {
	if s == SpreadZone {
		return "topology.kubernetes.io/zone"
	}
	return "kubernetes.io/hostname"
}

// The taint effects and eviction strategies the flags take.
var (
	TaintEffects       = []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}
	EvictionStrategies = []string{"LiveMigrate", "None"}
)

// parseNodeSelector reads KEY=VALUE items; a key given twice in one source
// is an error, as a node has one value per label.
func parseNodeSelector(rv rawVal) (NodeSelector, error) {
	var out NodeSelector
	for _, item := range rv.vals {
		item = strings.TrimSpace(item)
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return nil, invalidf("%s: %q must be KEY=VALUE, a node label such as topology.kubernetes.io/zone=zone-a", rv.src, item)
		}
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return nil, invalidf("%s: %q is not a label key (%s); write KEY=VALUE such as node-role.kubernetes.io/worker=", rv.src, k, errs[0])
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return nil, invalidf("%s: %q is not a label value for %s (%s)", rv.src, v, k, errs[0])
		}
		if i := slices.IndexFunc(out, func(l Label) bool { return l.Key == k }); i >= 0 {
			return nil, invalidf("%s gives %s twice (%q and %q); a node has one value per label, give the key once", rv.src, k, out[i].Value, v)
		}
		out = append(out, Label{Key: k, Value: v})
	}
	return out, nil
}

// parseTolerations reads KEY[=VALUE]:EFFECT items.
func parseTolerations(rv rawVal) (Tolerations, error) {
	var out Tolerations
	for _, item := range rv.vals {
		item = strings.TrimSpace(item)
		kv, effect, ok := cutLast(item, ":")
		if !ok {
			return nil, invalidf("%s: %q has no :EFFECT; write KEY[=VALUE]:EFFECT with EFFECT %s, such as dedicated=virt:NoSchedule", rv.src, item, strings.Join(TaintEffects, ", "))
		}
		if !slices.Contains(TaintEffects, effect) {
			return nil, invalidf("%s: %q has the unknown effect %q; use %s", rv.src, item, effect, strings.Join(TaintEffects, ", "))
		}
		k, v, _ := strings.Cut(kv, "=")
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return nil, invalidf("%s: %q is not a taint key (%s); write KEY[=VALUE]:EFFECT such as dedicated=virt:NoSchedule", rv.src, k, errs[0])
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return nil, invalidf("%s: %q is not a taint value for %s (%s)", rv.src, v, k, errs[0])
		}
		t := Toleration{Key: k, Value: v, Effect: effect}
		if slices.Contains(out, t) {
			return nil, invalidf("%s gives %s twice; give each toleration once", rv.src, t)
		}
		out = append(out, t)
	}
	return out, nil
}

// cutLast is strings.Cut at the last sep: a key may have a prefix with
// no ':' but the effect always follows the last one.
func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func parseSpread(v, src string) (Spread, error) {
	switch s := Spread(strings.TrimSpace(v)); s {
	case SpreadHostname, SpreadZone:
		return s, nil
	}
	return "", invalidf("%s must be hostname (evenly over nodes) or zone (evenly over topology.kubernetes.io/zone), got %q", src, v)
}

func parseEvictionStrategy(v, src string) (string, error) {
	for _, s := range EvictionStrategies {
		if strings.EqualFold(strings.TrimSpace(v), s) {
			return s, nil
		}
	}
	return "", invalidf("%s must be LiveMigrate (move the VM off a draining node) or None (stop it), got %q", src, v)
}

// The placement rows: each puts its value in Workload.Placement, and
// placement (below) records whose VMs a spread and a cap count.
var nodeSelectorRow = &setting[NodeSelector]{
	meta: meta{flag: "node-selector", typ: "strings", groups: runFlags, env: "VIRTWORK_NODE_SELECTOR", file: "node_selector", perWorkload: true,
		doc: "run the VMs only on nodes with this label, `KEY=VALUE` (repeatable or comma-separated; a list in the file)"},
	parse:    parseNodeSelector,
	workload: func(w *Workload) *NodeSelector { return &w.Placement.NodeSelector },
}

var tolerateRow = &setting[Tolerations]{
	meta: meta{flag: "tolerate", typ: "strings", groups: runFlags, env: "VIRTWORK_TOLERATE", file: "tolerations", perWorkload: true,
		doc: "let the VMs run on nodes with this taint, `KEY[=VALUE]:EFFECT` with EFFECT NoSchedule, PreferNoSchedule or NoExecute " +
			"(operator Equal with a value, Exists without; repeatable or comma-separated)"},
	parse:    parseTolerations,
	workload: func(w *Workload) *Tolerations { return &w.Placement.Tolerations },
}

var spreadRow = &setting[Spread]{
	meta: meta{flag: "spread", typ: "string", groups: runFlags, env: "VIRTWORK_SPREAD", file: "spread", perWorkload: true, step: "placement",
		doc: "spread the VMs evenly (maxSkew 1, a hard constraint) over `hostname` (nodes) or `zone`; the run's VMs, or in a workloads.<name> section the workload's"},
	parse:    one(parseSpread),
	workload: func(w *Workload) *Spread { return &w.Placement.Spread },
}

var vmsPerNodeRow = &setting[int]{
	meta: meta{flag: "vms-per-node", typ: "int", groups: runFlags, env: "VIRTWORK_VMS_PER_NODE", file: "vms_per_node", perWorkload: true, step: "placement",
		doc: "at most N VMs on one node (1-10000), a hard cap by required pod anti-affinity; the run's VMs, or in a workloads.<name> section the workload's", defDoc: "no cap"},
	parse:    one(intIn(1, MaxVMCount)),
	workload: func(w *Workload) *int { return &w.Placement.VMsPerNode },
}

var evictionStrategyRow = &setting[string]{
	meta: meta{flag: "eviction-strategy", typ: "string", groups: runFlags, env: "VIRTWORK_EVICTION_STRATEGY", file: "eviction_strategy", perWorkload: true,
		doc: "what a node drain does to a VM: `LiveMigrate` or `None`", defDoc: "the cluster's (KubeVirt's spec.configuration.evictionStrategy)"},
	parse:    one(parseEvictionStrategy),
	workload: func(w *Workload) *string { return &w.Placement.EvictionStrategy },
}

// placement records whose VMs the workload's spread and cap count: the
// workload's alone when the value came from its workloads.<name> section.
func (r *resolver) placement(w *Workload) {
	if g, ok := pick(r, spreadRow, w.Name); ok && g.workload != "" {
		w.Placement.SpreadScope = ScopeWorkload
	}
	if g, ok := pick(r, vmsPerNodeRow, w.Name); ok && g.workload != "" {
		w.Placement.CapScope = ScopeWorkload
	}
}
