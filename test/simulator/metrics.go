package simulator

import (
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/apimachinery/pkg/types"
)

// MetricsFaultAnnotation selects a MetricsFault for one VM: what goes
// wrong between its guest and a Prometheus, while the VM itself runs.
const MetricsFaultAnnotation = "virtwork.test/metrics-fault"

// MetricsFault is a way a VM's metrics go wrong.
type MetricsFault string

// Metrics faults, as values of MetricsFaultAnnotation.
const (
	// MetricsFaultNone: the VM's metrics are what its load makes them.
	MetricsFaultNone MetricsFault = ""
	// MetricsFaultNoSeries: virt-handler exports nothing for the VM;
	// virt-controller's kubevirt_vmi_info still shows it running.
	MetricsFaultNoSeries MetricsFault = "no-series"
	// MetricsFaultWrongLabels: the series carry the VM's namespace as
	// exported_namespace and namespace="kubevirt", what a scrape without
	// honor_labels makes of them (a ServiceMonitor missing honorLabels).
	MetricsFaultWrongLabels MetricsFault = "wrong-labels"
	// MetricsFaultHalf: the guest runs its workloads at half their level.
	MetricsFaultHalf MetricsFault = "half"
	// MetricsFaultTargetDown: the VM is scheduled on the node kept for
	// this fault (the last of NodeNames), whose virt-handler answers its
	// scrapes with 500 while such a VM runs there: up is 0.
	MetricsFaultTargetDown MetricsFault = "target-down"
	// MetricsFaultOldNames: the VM's series have the names and labels
	// KubeVirt v0.40.0's virt-handler exported (oldnames.go).
	MetricsFaultOldNames MetricsFault = "old-names"
)

// MetricsFaults lists every metrics fault, for validation and docs.
func MetricsFaults() []MetricsFault {
	return []MetricsFault{MetricsFaultNoSeries, MetricsFaultWrongLabels, MetricsFaultHalf, MetricsFaultTargetDown, MetricsFaultOldNames}
}

// Paths of the metrics endpoints on Options.MetricsListener.
const (
	// ControllerMetricsPath serves what virt-controller exports.
	ControllerMetricsPath = "/controller/metrics"
)

// NodeMetricsPath serves what the virt-handler of node exports.
func NodeMetricsPath(node string) string { return "/nodes/" + node + "/metrics" }

// NodeNames lists the simulated nodes: the registered ones, where
// kube-scheduler places the VMs (the target-down metrics fault then has no
// node of its own); else Nodes of them for VMs by a hash of their name,
// then one more for the VMs with the target-down metrics fault.
func (o Options) NodeNames() []string {
	if len(o.Register) > 0 {
		names := make([]string, len(o.Register))
		for i, n := range o.Register {
			names[i] = n.Name
		}
		return names
	}
	o = o.withDefaults()
	names := make([]string, o.Nodes+1)
	for i := range names {
		names[i] = o.NodePrefix + "-" + strconv.Itoa(i)
	}
	return names
}

// nodeFor is the node a VM is scheduled on.
func (o Options) nodeFor(vmName string, fault MetricsFault) string {
	names := o.NodeNames()
	if fault == MetricsFaultTargetDown {
		return names[len(names)-1]
	}
	h := fnv.New32a()
	h.Write([]byte(vmName))
	return names[int(h.Sum32()%uint32(len(names)-1))]
}

// metrics holds the guests of the running VMIs and serves their metrics.
type metrics struct {
	mu     sync.Mutex
	seed   uint64
	guests map[types.UID]*guest
	now    func() time.Time
}

func newMetrics(seed uint64) *metrics {
	return &metrics{seed: seed, guests: map[types.UID]*guest{}, now: time.Now}
}

func (m *metrics) has(uid types.UID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.guests[uid]
	return ok
}

func (m *metrics) put(g *guest) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.guests[g.uid] = g
}

func (m *metrics) setFault(uid types.UID, f MetricsFault) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if g, ok := m.guests[uid]; ok {
		g.fault = f
	}
}

// migrate moves a guest's series to node, exported by no node until
// pausedUntil: a migration's switch-over. From then on its counters count
// from zero, as the target's new QEMU process and tap device do.
func (m *metrics) migrate(uid types.UID, node string, pausedUntil time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if g, ok := m.guests[uid]; ok {
		g.node, g.pausedUntil, g.base = node, pausedUntil, nil
	}
}

func (m *metrics) drop(uid types.UID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.guests, uid)
}

// handler serves each node's virt-handler metrics and virt-controller's.
func (m *metrics) handler(nodes []string, info prometheus.Collector) http.Handler {
	mux := http.NewServeMux()
	for _, node := range nodes {
		reg := prometheus.NewRegistry()
		reg.MustRegister(nodeCollector{m: m, node: node})
		serve := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		mux.HandleFunc("GET "+NodeMetricsPath(node), func(w http.ResponseWriter, r *http.Request) {
			if m.down(node) {
				http.Error(w, "virt-handler on "+node+" is down (virtwork simulator: metrics fault target-down)", http.StatusInternalServerError)
				return
			}
			serve.ServeHTTP(w, r)
		})
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(info)
	mux.Handle("GET "+ControllerMetricsPath, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}

// down reports whether node runs a VM with the target-down fault.
func (m *metrics) down(node string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, g := range m.guests {
		if g.node == node && g.fault == MetricsFaultTargetDown {
			return true
		}
	}
	return false
}

// nodeCollector is one node's virt-handler. It describes nothing: the
// label names differ between VMIs (one per VMI label), as KubeVirt's do.
type nodeCollector struct {
	m    *metrics
	node string
}

func (nodeCollector) Describe(chan<- *prometheus.Desc) {}

func (c nodeCollector) Collect(ch chan<- prometheus.Metric) {
	for _, metric := range c.m.collect(c.node) {
		ch <- metric
	}
}

// collect computes the metrics of node's guests as of now.
func (m *metrics) collect(node string) []prometheus.Metric {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.now()
	var out []prometheus.Metric
	for _, uid := range slices.Sorted(maps.Keys(m.guests)) {
		g := m.guests[uid]
		if g.node != node || g.fault == MetricsFaultNoSeries || t.Before(g.pausedUntil) {
			continue
		}
		e := &emitter{base: baseLabels(g)}
		if !g.pausedUntil.IsZero() && g.base == nil {
			// Read before t's values: the counters then still stand
			// before the switch-over's end.
			base := m.valuesAt(g, g.pausedUntil).acc
			g.base = &base
		}
		v := m.valuesAt(g, t)
		if g.base != nil {
			v.acc = v.acc.from(*g.base)
		}
		if g.fault == MetricsFaultOldNames {
			e.oldNames(g, v)
		} else {
			e.currentNames(g, v)
		}
		out = append(out, e.out...)
	}
	return out
}

// values are a guest's metrics at one instant.
type values struct {
	acc                                accum
	memAvailable, memUsable, memUnused float64
	memCached, memResident             float64
	dataUsed                           float64
}

// valuesAt brings g's counters up to t, with the running second's share.
func (m *metrics) valuesAt(g *guest, t time.Time) values {
	if t.Before(g.boot) {
		t = g.boot
	}
	now := t.Unix()
	if g.acc.drives != nil && now < g.acc.at {
		// Before what the counters hold (only a test asks): sum again
		// from boot, aside.
		aside := *g
		aside.acc = accum{}
		g = &aside
	}
	m.advance(g, now)
	acc := g.acc
	acc.vcpu = slices.Clone(g.acc.vcpu)
	acc.drives = maps.Clone(g.acc.drives)
	smp := m.sampleAt(g, now, true)
	acc.add(smp, float64(t.Sub(time.Unix(now, 0)))/float64(time.Second))
	mt := memTotal(g)
	return values{
		acc: acc, memAvailable: mt, memUsable: mt - smp.memUsed,
		memUnused: max(0, mt-smp.memUsed-smp.cache), memCached: smp.cache,
		memResident: min(g.memory, smp.memUsed+smp.cache) + qemuOverhead,
		dataUsed:    smp.dataUsed,
	}
}

// labelPair is one label of a series.
type labelPair struct{ name, value string }

// baseLabels are the labels of every series of g: node, namespace, name
// and each VMI label as kubernetes_vmi_label_<key with . / - as _>.
func baseLabels(g *guest) []labelPair {
	ns := []labelPair{{"namespace", g.namespace}}
	if g.fault == MetricsFaultWrongLabels {
		ns = []labelPair{{"namespace", "kubevirt"}, {"exported_namespace", g.namespace}}
	}
	out := append([]labelPair{{"node", g.node}, {"name", g.name}}, ns...)
	for _, k := range slices.Sorted(maps.Keys(g.labels)) {
		out = append(out, labelPair{"kubernetes_vmi_label_" + labelName(k), g.labels[k]})
	}
	return out
}

func labelName(key string) string {
	b := []byte(key)
	for i, c := range b {
		if c == '.' || c == '/' || c == '-' {
			b[i] = '_'
		}
	}
	return string(b)
}

// emitter gathers one guest's series.
type emitter struct {
	base []labelPair
	out  []prometheus.Metric
}

// add appends one series: the base labels and extra name/value pairs.
func (e *emitter) add(name, help string, typ prometheus.ValueType, v float64, extra ...string) {
	names := make([]string, 0, len(e.base)+len(extra)/2)
	vals := make([]string, 0, cap(names))
	for _, l := range e.base {
		names, vals = append(names, l.name), append(vals, l.value)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		names, vals = append(names, extra[i]), append(vals, extra[i+1])
	}
	e.out = append(e.out, prometheus.MustNewConstMetric(prometheus.NewDesc(name, help, names, nil), typ, v, vals...))
}

// guestDevice is the name the guest gives the i-th virtio disk (vda, vdb...).
func guestDevice(i int) string {
	if i < 26 {
		return fmt.Sprintf("vd%c", 'a'+i)
	}
	return fmt.Sprintf("vd%c%c", 'a'+i/26-1, 'a'+i%26)
}
