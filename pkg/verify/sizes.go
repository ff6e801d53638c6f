package verify

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// Size is a VM's vCPUs and guest memory in bytes, as its VMI reports them.
type Size struct{ VCPUs, MemoryBytes float64 }

var vmiResource = schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachineinstances"}

// NeedsSizes reports whether an instance type sizes a workload of cfg whose
// signals read the VMs' vCPUs or memory: only the cluster knows those, so
// verify needs ReadSizes.
func NeedsSizes(cfg *config.Config) bool {
	for _, wc := range cfg.Workloads {
		w, err := cfg.Registry.Lookup(wc.Name)
		if err != nil || wc.Instancetype.Name == "" {
			continue
		}
		for _, sig := range w.Spec().Signals {
			if readsSize(sig) {
				return true
			}
		}
	}
	return false
}

func readsSize(sig workloads.Signal) bool {
	return sig.Expect.Uses(workloads.SizeVars...) || sig.AtLeast.Uses(workloads.SizeVars...)
}

// ReadSizes reads the size of each VMI of the run, by name: the CPU
// topology and memory its status reports (what the guest booted with), or
// else its spec, which KubeVirt filled in from the instance type. A VMI that
// reports neither is left out.
func ReadSizes(ctx context.Context, client dynamic.Interface, ns, runID string) (map[string]Size, error) {
	list, err := client.Resource(vmiResource).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.RunID + "=" + runID})
	if err != nil {
		return nil, fmt.Errorf("listing the run's VirtualMachineInstances in %s: %w", ns, err)
	}
	out := map[string]Size{}
	for _, u := range list.Items {
		var vmi kubevirtv1.VirtualMachineInstance
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &vmi); err != nil {
			return nil, fmt.Errorf("decoding VirtualMachineInstance %s/%s: %w", ns, u.GetName(), err)
		}
		if s, ok := sizeOf(&vmi); ok {
			out[vmi.Name] = s
		}
	}
	return out, nil
}

// sizeOf is the VMI's vCPUs (sockets x cores x threads, each 1 when unset)
// and guest memory.
func sizeOf(vmi *kubevirtv1.VirtualMachineInstance) (Size, bool) {
	topo := vmi.Status.CurrentCPUTopology
	if topo == nil && vmi.Spec.Domain.CPU != nil {
		c := vmi.Spec.Domain.CPU
		topo = &kubevirtv1.CPUTopology{Sockets: c.Sockets, Cores: c.Cores, Threads: c.Threads}
	}
	var mem float64
	switch d := vmi.Spec.Domain; {
	case vmi.Status.Memory != nil && vmi.Status.Memory.GuestCurrent != nil:
		mem = vmi.Status.Memory.GuestCurrent.AsApproximateFloat64()
	case d.Memory != nil && d.Memory.Guest != nil:
		mem = d.Memory.Guest.AsApproximateFloat64()
	}
	if topo == nil || mem == 0 {
		return Size{}, false
	}
	vcpus := max(topo.Sockets, 1) * max(topo.Cores, 1) * max(topo.Threads, 1)
	return Size{VCPUs: float64(vcpus), MemoryBytes: mem}, true
}

// sizedEnv is env with vm's own size when an instance type sizes wc and
// sig reads the size; false when the size is not known (no running VMI).
func sizedEnv(o Options, wc config.Workload, sig workloads.Signal, env workloads.Env, vm string) (workloads.Env, bool) {
	if wc.Instancetype.Name == "" || !readsSize(sig) {
		return env, true
	}
	s, ok := o.Sizes[vm]
	env.VCPUs, env.MemoryBytes = s.VCPUs, s.MemoryBytes
	return env, ok
}
