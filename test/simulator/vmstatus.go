package simulator

import (
	"context"
	"fmt"
	"hash/fnv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// vmStatusFor derives the VM's printable status and readiness from its VMI,
// as virt-controller does.
func vmStatusFor(u *unstructured.Unstructured, fault Fault) (kubevirtv1.VirtualMachinePrintableStatus, bool, string) {
	phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
	switch kubevirtv1.VirtualMachineInstancePhase(phase) {
	case kubevirtv1.Running:
		// status.ready mirrors the VMI's Ready condition, which a
		// readiness probe holds False until it succeeds. A VMI whose
		// migration started and has not ended shows Migrating.
		printable := kubevirtv1.VirtualMachineStatusRunning
		_, started, _ := unstructured.NestedString(u.Object, "status", "migrationState", "startTimestamp")
		_, ended, _ := unstructured.NestedString(u.Object, "status", "migrationState", "endTimestamp")
		if started && !ended {
			printable = kubevirtv1.VirtualMachineStatusMigrating
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == string(kubevirtv1.VirtualMachineInstanceReady) && m["status"] != string(corev1.ConditionTrue) {
				msg, _ := m["message"].(string)
				return printable, false, msg
			}
		}
		return printable, true, ""
	case kubevirtv1.Failed:
		return kubevirtv1.VirtualMachineStatusCrashLoopBackOff, false, "VirtualMachineInstance failed"
	case kubevirtv1.Pending:
		if fault == FaultErrImagePull {
			return kubevirtv1.VirtualMachineStatusErrImagePull, false, "failed to pull image (virtwork simulator: fault err-image-pull)"
		}
	case kubevirtv1.Scheduling:
		// KubeVirt shows ErrorUnschedulable while the VMI's PodScheduled
		// condition is False for reason Unschedulable, and carries the
		// scheduler's message.
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == string(podScheduled) && m["status"] == string(corev1.ConditionFalse) && m["reason"] == corev1.PodReasonUnschedulable {
				msg, _ := m["message"].(string)
				return kubevirtv1.VirtualMachineStatusUnschedulable, false, msg
			}
		}
	}
	return kubevirtv1.VirtualMachineStatusStarting, false, "VirtualMachineInstance is starting"
}

// setVMStatus writes the VM's status when it differs from what is there.
func (s *simulator) setVMStatus(ctx context.Context, u *unstructured.Unstructured, printable kubevirtv1.VirtualMachinePrintableStatus, created, ready bool, reason string) error {
	vm := &kubevirtv1.VirtualMachine{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, vm); err != nil {
		return fmt.Errorf("decoding VirtualMachine %s/%s: %w", u.GetNamespace(), u.GetName(), err)
	}
	status := vm.Status.DeepCopy()
	status.PrintableStatus = printable
	status.Created = created
	status.Ready = ready
	cond := kubevirtv1.VirtualMachineCondition{Type: kubevirtv1.VirtualMachineReady, Status: corev1.ConditionFalse, Reason: "NotReady", Message: reason}
	if ready {
		cond = kubevirtv1.VirtualMachineCondition{Type: kubevirtv1.VirtualMachineReady, Status: corev1.ConditionTrue}
	}
	var conditions []kubevirtv1.VirtualMachineCondition
	for _, c := range status.Conditions {
		if c.Type != kubevirtv1.VirtualMachineReady {
			conditions = append(conditions, c)
			continue
		}
		if c.Status == cond.Status && c.Reason == cond.Reason && c.Message == cond.Message {
			cond.LastTransitionTime = c.LastTransitionTime
		}
	}
	if cond.LastTransitionTime.IsZero() {
		cond.LastTransitionTime = metav1.Now()
	}
	status.Conditions = append(conditions, cond)
	if equality.Semantic.DeepEqual(status, &vm.Status) {
		return nil
	}
	if err := s.writeStatus(ctx, VirtualMachines, u, status, true); err != nil {
		return err
	}
	s.logf("VirtualMachine %s/%s: %s", vm.Namespace, vm.Name, printable)
	return nil
}

// writeStatus replaces the status of a copy of u, leaving every other field
// exactly as read, and writes it through the status subresource or, for
// resources without one, with a plain update.
func (s *simulator) writeStatus(ctx context.Context, gvr schema.GroupVersionResource, u *unstructured.Unstructured, status any, subresource bool) error {
	raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(status)
	if err != nil {
		return fmt.Errorf("encoding status of %s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	obj := u.DeepCopy()
	obj.Object["status"] = raw
	client := s.client.Resource(gvr).Namespace(obj.GetNamespace())
	if subresource {
		_, err = client.UpdateStatus(ctx, obj, metav1.UpdateOptions{})
	} else {
		_, err = client.Update(ctx, obj, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("updating status of %s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

// fakeIP derives a stable pod-network-looking address from a UID.
func fakeIP(uid types.UID) string {
	h := fnv.New32a()
	h.Write([]byte(uid))
	sum := h.Sum32()
	return fmt.Sprintf("10.244.%d.%d", (sum>>8)&0xff, sum&0xfe+1)
}
