package simulator

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	kubevirtv1 "kubevirt.io/api/core/v1"
	instancetypev1beta1 "kubevirt.io/api/instancetype/v1beta1"
)

// The instancetype.kubevirt.io resources a VM names.
var (
	instancetypeGroup = instancetypev1beta1.SchemeGroupVersion
	// VirtualMachineClusterInstancetypes and the three below are the
	// instance type and preference resources, cluster-wide and namespaced.
	VirtualMachineClusterInstancetypes = instancetypeGroup.WithResource("virtualmachineclusterinstancetypes")
	VirtualMachineInstancetypes        = instancetypeGroup.WithResource("virtualmachineinstancetypes")
	VirtualMachineClusterPreferences   = instancetypeGroup.WithResource("virtualmachineclusterpreferences")
	VirtualMachinePreferences          = instancetypeGroup.WithResource("virtualmachinepreferences")
)

// missingSizing is a VM's instance type or preference that does not exist;
// KubeVirt's VM controller then makes no VMI (FailedFindInstancetype).
type missingSizing struct{ reason, msg string }

func (m *missingSizing) Error() string { return m.reason + ": " + m.msg }

// sizeVMI applies the VM's instance type to the VMI spec as KubeVirt's VM
// controller does before it creates the VMI: the instance type's vCPUs as
// sockets (or as cores or threads when the preference prefers them) and
// its guest memory. A VM without an instance type keeps its own sizes.
func (s *simulator) sizeVMI(ctx context.Context, vm *kubevirtv1.VirtualMachine, spec map[string]any) error {
	if vm.Spec.Instancetype == nil {
		return nil
	}
	var it instancetypev1beta1.VirtualMachineInstancetype
	if err := s.getSizing(ctx, vm.Namespace, vm.Spec.Instancetype.Kind, vm.Spec.Instancetype.Name, VirtualMachineClusterInstancetypes, VirtualMachineInstancetypes, "FailedFindInstancetype", &it); err != nil {
		return err
	}
	topology := instancetypev1beta1.Sockets
	if p := vm.Spec.Preference; p != nil {
		var pref instancetypev1beta1.VirtualMachinePreference
		if err := s.getSizing(ctx, vm.Namespace, p.Kind, p.Name, VirtualMachineClusterPreferences, VirtualMachinePreferences, "FailedFindPreference", &pref); err != nil {
			return err
		}
		if pref.Spec.CPU != nil && pref.Spec.CPU.PreferredCPUTopology != nil {
			topology = *pref.Spec.CPU.PreferredCPUTopology
		}
	}
	cpu := map[string]any{"sockets": int64(1), "cores": int64(1), "threads": int64(1)}
	switch n := int64(it.Spec.CPU.Guest); topology {
	case instancetypev1beta1.Cores, instancetypev1beta1.DeprecatedPreferCores:
		cpu["cores"] = n
	case instancetypev1beta1.Threads, instancetypev1beta1.DeprecatedPreferThreads:
		cpu["threads"] = n
	default:
		cpu["sockets"] = n
	}
	domain, _ := spec["domain"].(map[string]any)
	if domain == nil {
		domain = map[string]any{}
		spec["domain"] = domain
	}
	domain["cpu"] = cpu
	domain["memory"] = map[string]any{"guest": it.Spec.Memory.Guest.String()}
	return nil
}

// getSizing reads the instance type or preference kind/name (a cluster-wide
// one for an empty kind, as KubeVirt defaults it) into out.
func (s *simulator) getSizing(ctx context.Context, ns, kind, name string, cluster, namespaced schema.GroupVersionResource, reason string, out any) error {
	client, where := s.client.Resource(cluster).Namespace(""), ""
	if strings.EqualFold(kind, "VirtualMachineInstancetype") || strings.EqualFold(kind, "VirtualMachinePreference") {
		client, where = s.client.Resource(namespaced).Namespace(ns), " in namespace "+ns
	}
	u, err := client.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return &missingSizing{reason: reason, msg: fmt.Sprintf("%s %s not found%s", kind, name, where)}
	}
	if err != nil {
		return fmt.Errorf("reading %s %s: %w", kind, name, err)
	}
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out)
}

// sizeStatus is what a running VMI reports of its size: the CPU topology
// and guest memory it booted with.
func sizeStatus(vmi *kubevirtv1.VirtualMachineInstance, status *kubevirtv1.VirtualMachineInstanceStatus) {
	d := vmi.Spec.Domain
	topo := &kubevirtv1.CPUTopology{Sockets: 1, Cores: 1, Threads: 1}
	if d.CPU != nil {
		topo = &kubevirtv1.CPUTopology{Sockets: max(d.CPU.Sockets, 1), Cores: max(d.CPU.Cores, 1), Threads: max(d.CPU.Threads, 1)}
	}
	status.CurrentCPUTopology = topo
	mem := *resource.NewQuantity(int64(memoryOf(d)), resource.BinarySI)
	status.Memory = &kubevirtv1.MemoryStatus{GuestAtBoot: ptr.To(mem.DeepCopy()), GuestCurrent: ptr.To(mem.DeepCopy()), GuestRequested: ptr.To(mem.DeepCopy())}
}
