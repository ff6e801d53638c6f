package verify

import (
	"context"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/api/resource"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// constantCPU is a Prometheus that has the cpu workload's metric and
// answers every range query with each VM busy on vcpus vCPUs, all along.
type constantCPU struct {
	promv1.API
	vms   []string
	vcpus float64
}

func (p constantCPU) LabelValues(context.Context, string, []string, time.Time, time.Time, ...promv1.Option) (model.LabelValues, promv1.Warnings, promv1.Infos, error) {
	return model.LabelValues{"kubevirt_vmi_cpu_usage_seconds_total"}, nil, nil, nil
}

func (p constantCPU) QueryRange(_ context.Context, _ string, r promv1.Range, _ ...promv1.Option) (model.Value, promv1.Warnings, promv1.Infos, error) {
	var m model.Matrix
	for _, vm := range p.vms {
		s := &model.SampleStream{Metric: model.Metric{"name": model.LabelValue(vm)}}
		for at := r.Start; !at.After(r.End); at = at.Add(r.Step) {
			s.Values = append(s.Values, model.SamplePair{Timestamp: model.TimeFromUnixNano(at.UnixNano()), Value: model.SampleValue(p.vcpus)})
		}
		m = append(m, s)
	}
	return m, nil, nil, nil
}

// TestInstancetypeSizes: with an instance type, the cpu workload's
// expectation (level / 100 * vcpus) uses the vCPUs each VMI reports: 80% of
// 4 vCPUs is 3.2 busy, which passes with the VMI's size and fails against
// any other; a VM without a size (no running VMI) cannot be checked.
func TestInstancetypeSizes(t *testing.T) {
	cfg, b := run(t, "--workloads", "cpu", "--vm-count", "2", "--instancetype", "u1.xlarge", "--profile", "cpu=constant:level=80")
	if !NeedsSizes(cfg) {
		t.Fatal("NeedsSizes is false for a cpu run an instance type sizes")
	}
	var names []string
	for _, vm := range b.VMsOf("cpu") {
		names = append(names, vm.Name)
	}
	o := Options{Config: cfg, Bundle: b, API: constantCPU{vms: names, vcpus: 3.2}, From: start, To: start.Add(5 * time.Minute),
		RateWindow: time.Minute, Step: 10 * time.Second,
		Sizes: map[string]Size{names[0]: {VCPUs: 4, MemoryBytes: 16 << 30}, names[1]: {VCPUs: 2, MemoryBytes: 8 << 30}}}
	res, _ := Run(t.Context(), o)
	got := map[string]Outcome{}
	for _, c := range res.Checks {
		got[c.VM] = c.Outcome
	}
	if got[names[0]] != Passed || got[names[1]] != Failed {
		t.Errorf("outcomes %v, want %s passed (4 vCPUs) and %s failed (2 vCPUs)", got, names[0], names[1])
	}
	delete(o.Sizes, names[1])
	res, _ = Run(t.Context(), o)
	for _, c := range res.Checks {
		if c.VM == names[1] && (c.Outcome != NoSeries || c.Why != "no running VMI to read the vCPUs and memory the instance type u1.xlarge gives the VM") {
			t.Errorf("unsized VM: %s (%s)", c.Outcome, c.Why)
		}
	}
}

// TestSizeOf: a VMI's size is what its status reports, else its spec;
// vCPUs are sockets x cores x threads.
func TestSizeOf(t *testing.T) {
	gi := func(n int64) *resource.Quantity { return resource.NewQuantity(n<<30, resource.BinarySI) }
	status := kubevirtv1.VirtualMachineInstance{Status: kubevirtv1.VirtualMachineInstanceStatus{
		CurrentCPUTopology: &kubevirtv1.CPUTopology{Sockets: 4, Cores: 1, Threads: 1},
		Memory:             &kubevirtv1.MemoryStatus{GuestCurrent: gi(8)}}}
	spec := kubevirtv1.VirtualMachineInstance{Spec: kubevirtv1.VirtualMachineInstanceSpec{Domain: kubevirtv1.DomainSpec{
		CPU: &kubevirtv1.CPU{Sockets: 2, Threads: 2}, Memory: &kubevirtv1.Memory{Guest: gi(2)}}}}
	for _, c := range []struct {
		name string
		vmi  kubevirtv1.VirtualMachineInstance
		want Size
		ok   bool
	}{
		{"status", status, Size{4, 8 << 30}, true},
		{"spec", spec, Size{4, 2 << 30}, true},
		{"neither", kubevirtv1.VirtualMachineInstance{}, Size{}, false},
	} {
		if got, ok := sizeOf(&c.vmi); got != c.want || ok != c.ok {
			t.Errorf("%s: %+v %v, want %+v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}
