package simulator

import (
	"encoding/base64"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/virtwork/kubectl-virtwork/pkg/lint"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/test/runs"
)

// t0 is the --start-at of the runs below, an hour ahead (render wants the
// future); each guest boots 10s before it. The tests read the metrics at
// instants they choose, never at the clock's.
var t0 = time.Now().Add(time.Hour).Truncate(time.Minute).UTC()

// guestsOf renders a run (run id 3f2b6c1e-...) with args and builds the guest of each of its VMs
// as the simulator would once the VMI runs, with the faults given by name.
func guestsOf(t *testing.T, m *metrics, faults map[string]MetricsFault, args ...string) map[string]*guest {
	t.Helper()
	b := runs.Bundle(t, "ns", append([]string{"--start-at", t0.Format(time.RFC3339), "--run-id", "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93"}, args...)...)
	userData, services := map[string][]byte{}, map[string]map[string]string{}
	var vms []*unstructured.Unstructured
	for o := range b.Objects() {
		switch o.GetKind() {
		case "Secret":
			enc, _, _ := unstructured.NestedString(o.Object, "data", "userdata")
			data, err := base64.StdEncoding.DecodeString(enc)
			if err != nil {
				t.Fatal(err)
			}
			userData[o.GetName()] = data
		case "Service":
			services[o.GetName()], _, _ = unstructured.NestedStringMap(o.Object, "spec", "selector")
		case "VirtualMachine":
			vms = append(vms, o)
		}
	}
	resolve := func(ns, host string) *serviceRef {
		ns, name := serviceName(ns, host)
		if sel, ok := services[name]; ok {
			return &serviceRef{namespace: ns, selector: sel}
		}
		return nil
	}
	opts := Options{}.withDefaults()
	out := map[string]*guest{}
	for _, u := range vms {
		vm := &kubevirtv1.VirtualMachine{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, vm); err != nil {
			t.Fatal(err)
		}
		vmi := &kubevirtv1.VirtualMachineInstance{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: vm.Name, UID: types.UID("uid-" + vm.Name), Labels: vm.Spec.Template.ObjectMeta.Labels},
			Spec:       vm.Spec.Template.Spec,
			Status: kubevirtv1.VirtualMachineInstanceStatus{NodeName: opts.nodeFor(vm.Name, faults[vm.Name]), Phase: kubevirtv1.Running,
				PhaseTransitionTimestamps: []kubevirtv1.VirtualMachineInstancePhaseTransitionTimestamp{
					{Phase: kubevirtv1.Running, PhaseTransitionTimestamp: metav1.NewTime(t0.Add(-10 * time.Second))}}},
		}
		cc, err := lint.Parse(userData[vmi.Spec.Volumes[1].CloudInitNoCloud.UserDataSecretRef.Name])
		if err != nil {
			t.Fatal(err)
		}
		g := newGuest(u, vmi, cc, resolve, t.Logf)
		g.fault = faults[vm.Name]
		m.put(g)
		out[vm.Name] = g
	}
	return out
}

// only returns the one guest whose name contains part.
func only(t *testing.T, gs map[string]*guest, part string) *guest {
	t.Helper()
	var found *guest
	for name, g := range gs {
		if strings.Contains(name, part) {
			if found != nil {
				t.Fatalf("more than one guest named *%s*", part)
			}
			found = g
		}
	}
	if found == nil {
		t.Fatalf("no guest named *%s*", part)
	}
	return found
}

// rate is how fast f of g's values grew per second from a to b seconds
// after t0.
func rate(m *metrics, g *guest, a, b float64, f func(values) float64) float64 {
	at := func(s float64) float64 { return f(m.valuesAt(g, t0.Add(time.Duration(s*float64(time.Second))))) }
	va := at(a)
	return (at(b) - va) / (b - a)
}

// near: within 10% of want plus slack, the band the issue gives verify.
func near(t *testing.T, what string, got, want, slack float64) {
	t.Helper()
	if math.Abs(got-want) > 0.1*want+slack {
		t.Errorf("%s = %.4g, want %.4g within 10%% + %.3g", what, got, want, slack)
	}
}

func cpuSeconds(v values) float64 { return v.acc.cpu }

// TestModelRows: every built-in workload has a row, and a row's level
// variable is the one the workload's definition declares for its level.
func TestModelRows(t *testing.T) {
	reg, models := workloads.Builtin(), workloadModels()
	for _, name := range reg.Names() {
		w, _ := reg.Get(name)
		spec := w.Spec()
		row, ok := models[name]
		if !ok {
			t.Errorf("workload %s has no row in workloadModels", name)
			continue
		}
		want := ""
		if spec.Level != nil {
			p, _ := spec.Param(spec.Level.Param)
			want = p.Env
		}
		if row.levelEnv != want {
			t.Errorf("workload %s: levelEnv %q, want %q (its level param's variable)", name, row.levelEnv, want)
		}
	}
	for name := range models {
		if _, ok := reg.Get(name); !ok {
			t.Errorf("workloadModels has a row for %s, which is not a built-in workload", name)
		}
	}
}

// TestCPUFollowsSchedule: a cpu guest's CPU time grows at vCPUs x level
// in each segment of its square profile, and its counters never go back,
// sampled at fractions of seconds.
func TestCPUFollowsSchedule(t *testing.T) {
	m := newMetrics(1)
	g := only(t, guestsOf(t, m, nil, "--workloads", "cpu", "--cpu-cores", "4", "--profile", "cpu=square:high=80,low=20,period=30s"), "cpu")
	near(t, "idle before the start", rate(m, g, -8, -1, cpuSeconds), 0, 0.05)
	near(t, "high", rate(m, g, 2, 13, cpuSeconds), 4*0.8, 0.05)
	near(t, "low", rate(m, g, 17, 28, cpuSeconds), 4*0.2, 0.05)
	near(t, "high again", rate(m, g, 32, 43, cpuSeconds), 4*0.8, 0.05)
	vcpu := func(v values) float64 {
		var sum float64
		for _, s := range v.acc.vcpu {
			sum += s
		}
		return sum
	}
	near(t, "vCPUs high", rate(m, g, 2, 13, vcpu), 4*0.8, 0.05)

	fresh := newMetrics(1)
	var last values
	for i := range 200 {
		at := t0.Add(time.Duration(i) * 230 * time.Millisecond)
		v := m.valuesAt(g, at)
		if i > 0 && (v.acc.cpu < last.acc.cpu || v.acc.rx < last.acc.rx || v.acc.drives["rootdisk"].writes < last.acc.drives["rootdisk"].writes) {
			t.Fatalf("a counter went back at %s: %+v after %+v", at, v.acc, last.acc)
		}
		last = v
	}
	g2 := only(t, guestsOf(t, fresh, nil, "--workloads", "cpu", "--cpu-cores", "4", "--profile", "cpu=square:high=80,low=20,period=30s"), "cpu")
	if a, b := m.valuesAt(g, t0.Add(40*time.Second)).acc.cpu, fresh.valuesAt(g2, t0.Add(40*time.Second)).acc.cpu; a != b {
		t.Errorf("the same seed gave %v and %v", a, b)
	}
	other := newMetrics(2)
	g3 := only(t, guestsOf(t, other, nil, "--workloads", "cpu", "--cpu-cores", "4", "--profile", "cpu=square:high=80,low=20,period=30s"), "cpu")
	if a, b := m.valuesAt(g, t0.Add(40*time.Second)).acc.cpu, other.valuesAt(g3, t0.Add(40*time.Second)).acc.cpu; a == b {
		t.Errorf("seeds 1 and 2 gave the same CPU time %v", a)
	}
}

// TestNetworkPair: the server receives what its client sends, the
// client's Mbit/s plus TCP's headers, and the client gets the ACKs.
func TestNetworkPair(t *testing.T) {
	m := newMetrics(1)
	gs := guestsOf(t, m, nil, "--workloads", "network", "--profile", "network=square:high=400,low=100,period=30s")
	server, client := only(t, gs, "server"), only(t, gs, "client")
	rx := func(v values) float64 { return v.acc.rx * 8 / 1e6 }
	tx := func(v values) float64 { return v.acc.tx * 8 / 1e6 }
	near(t, "server receives (high)", rate(m, server, 2, 13, rx), 400, 0)
	near(t, "server receives (low)", rate(m, server, 17, 28, rx), 100, 0)
	near(t, "client sends (high)", rate(m, client, 2, 13, tx), 400, 0)
	if got := rate(m, client, 2, 13, rx); got > 0.05*400 {
		t.Errorf("client receives %.1f Mbit/s, want only ACKs", got)
	}
}

// TestDiskAndDatabase: disk's IOPS level splits by read-percent on the
// data disk's drive; database's I/O there is above 0 and rises with its
// transaction rate.
func TestDiskAndDatabase(t *testing.T) {
	m := newMetrics(1)
	gs := guestsOf(t, m, nil, "--workloads", "disk,database", "--params", "disk.read-percent=70",
		"--profile", "disk=constant:level=1000", "--profile", "database=square:high=400,low=50,period=30s")
	disk := only(t, gs, "disk")
	reads := func(v values) float64 { return v.acc.drives["datadisk"].reads }
	writes := func(v values) float64 { return v.acc.drives["datadisk"].writes }
	near(t, "disk reads", rate(m, disk, 2, 13, reads), 700, 0)
	near(t, "disk writes", rate(m, disk, 2, 13, writes), 300, 0)
	db := only(t, gs, "database")
	iops := func(v values) float64 { return reads(v) + writes(v) }
	if high, low := rate(m, db, 2, 13, iops), rate(m, db, 17, 28, iops); !(low > 0 && high > 2*low) {
		t.Errorf("database IOPS %.1f at 400 tps, %.1f at 50 tps: want > 0 and rising with the rate", high, low)
	}
}

// TestMemoryAndChaosDisk: memory's used memory rises by the level's share
// of MemTotal; chaos-disk fills the data disk's file system to
// fill-percent for hold seconds, then releases it for pause seconds.
func TestMemoryAndChaosDisk(t *testing.T) {
	m := newMetrics(1)
	gs := guestsOf(t, m, nil, "--workloads", "memory,chaos-disk", "--memory", "4Gi", "--profile", "memory=square:high=60,low=10,period=30s",
		"--params", "chaos-disk.fill-percent=90,chaos-disk.hold=20,chaos-disk.pause=10", "--profile", "chaos-disk=constant:level=1")
	mem := only(t, gs, "memory")
	used := func(s float64) float64 {
		v := m.valuesAt(mem, t0.Add(time.Duration(s)*time.Second))
		return v.memAvailable - v.memUsable
	}
	near(t, "used memory, high minus low", used(10)-used(25), 0.5*memTotal(mem), 0)
	if domain := mem.memory; domain != 4<<30 {
		t.Errorf("domain memory %v, want 4Gi", domain)
	}
	cd := only(t, gs, "chaos-disk")
	fill := func(s float64) float64 {
		v := m.valuesAt(cd, t0.Add(time.Duration(s)*time.Second))
		fs := cd.filesystems(v)
		if len(fs) != 2 || fs[1].mount != "/var/lib/virtwork/chaos-disk" || fs[1].disk != "vdc" {
			t.Fatalf("file systems %+v, want / and the data disk's", fs)
		}
		return fs[1].used / fs[1].capacity
	}
	near(t, "filled", fill(5), 0.9, 0)
	near(t, "released", fill(25), 0, 0.01)
	near(t, "filled again", fill(35), 0.9, 0)
}

// gather collects node's series through a registry, as a scrape would.
func gather(t *testing.T, m *metrics, node string) map[string][]*dto.Metric {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(nodeCollector{m: m, node: node})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]*dto.Metric{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf.GetMetric()
	}
	return out
}

// seriesOf keeps the series of the VM named name (name label), with their
// labels as a map.
func seriesOf(fams map[string][]*dto.Metric, name string) map[string][]map[string]string {
	out := map[string][]map[string]string{}
	for fam, ms := range fams {
		for _, mt := range ms {
			labels := map[string]string{}
			for _, l := range mt.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["name"] == name {
				out[fam] = append(out[fam], labels)
			}
		}
	}
	return out
}

// TestFaultSeries: each metrics fault changes what a scrape of the VM's
// node gets, and only for that VM.
func TestFaultSeries(t *testing.T) {
	m := newMetrics(1)
	m.now = func() time.Time { return t0.Add(5 * time.Second) }
	faults := map[MetricsFault]string{}
	names := map[string]MetricsFault{}
	for i, f := range append([]MetricsFault{MetricsFaultNone}, MetricsFaults()...) {
		name := fmt.Sprintf("virtwork-cpu-3f2b6c1e-%d", i)
		faults[f], names[name] = name, f
	}
	gs := guestsOf(t, m, names, "--workloads", "cpu", "--vm-count", "6")
	if len(gs) != len(names) {
		t.Fatalf("rendered %d VMs, want %d", len(gs), len(names))
	}
	series := func(f MetricsFault) map[string][]map[string]string {
		return seriesOf(gather(t, m, gs[faults[f]].node), faults[f])
	}
	ok := series(MetricsFaultNone)
	for _, fam := range []string{"kubevirt_vmi_cpu_usage_seconds_total", "kubevirt_vmi_vcpu_seconds_total", "kubevirt_vmi_memory_usable_bytes",
		"kubevirt_vmi_storage_iops_read_total", "kubevirt_vmi_network_receive_bytes_total", "kubevirt_vmi_filesystem_used_bytes"} {
		if len(ok[fam]) == 0 {
			t.Errorf("healthy VM has no %s", fam)
		}
	}
	if l := ok["kubevirt_vmi_cpu_usage_seconds_total"][0]; l["namespace"] != "ns" || l["node"] != gs[faults[MetricsFaultNone]].node ||
		l["kubernetes_vmi_label_virtwork_run_id"] != "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93" {
		t.Errorf("healthy VM's labels %v", l)
	}
	if got := series(MetricsFaultNoSeries); len(got) != 0 {
		t.Errorf("no-series VM has series %v", slices.Sorted(maps.Keys(got)))
	}
	if l := series(MetricsFaultWrongLabels)["kubevirt_vmi_cpu_usage_seconds_total"]; len(l) != 1 || l[0]["namespace"] != "kubevirt" || l[0]["exported_namespace"] != "ns" {
		t.Errorf("wrong-labels VM's labels %v, want namespace kubevirt and exported_namespace ns", l)
	}
	old := series(MetricsFaultOldNames)
	for _, fam := range []string{"kubevirt_vmi_vcpu_seconds", "kubevirt_vmi_storage_iops_total", "kubevirt_vmi_network_traffic_bytes_total", "kubevirt_vmi_memory_unused_bytes"} {
		if len(old[fam]) == 0 {
			t.Errorf("old-names VM has no %s", fam)
		}
	}
	for _, fam := range []string{"kubevirt_vmi_cpu_usage_seconds_total", "kubevirt_vmi_vcpu_seconds_total", "kubevirt_vmi_network_receive_bytes_total", "kubevirt_vmi_memory_usable_bytes", "kubevirt_vmi_storage_iops_read_total"} {
		if len(old[fam]) != 0 {
			t.Errorf("old-names VM has today's %s", fam)
		}
	}

	down := gs[faults[MetricsFaultTargetDown]].node
	if want := (Options{}).NodeNames()[3]; down != want {
		t.Errorf("target-down VM on %s, want %s", down, want)
	}
	h := m.handler(Options{}.NodeNames(), infoCollector{vmis: cache.NewStore(cache.MetaNamespaceKeyFunc)})
	for node, want := range map[string]int{down: http.StatusInternalServerError, gs[faults[MetricsFaultNone]].node: http.StatusOK} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, NodeMetricsPath(node), nil))
		if rec.Code != want {
			t.Errorf("GET %s: %d, want %d", NodeMetricsPath(node), rec.Code, want)
		}
	}
}
