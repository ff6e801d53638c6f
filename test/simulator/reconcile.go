package simulator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// reconcile moves one VM and its VMI and DataVolumes one step forward. It
// returns how long to wait before the next step, zero when the VM needs
// nothing until something changes.
func (s *simulator) reconcile(ctx context.Context, key string) (time.Duration, error) {
	if going, after, err := s.terminate(ctx, key); going || err != nil {
		// The VM's next VMI, if it wants one, comes once this one is gone.
		if err == nil {
			err = s.vmStopping(ctx, key)
		}
		return after, err
	}
	obj, exists, err := s.vms.GetIndexer().GetByKey(key)
	if err != nil || !exists {
		return 0, err
	}
	u := obj.(*unstructured.Unstructured)
	vm := &kubevirtv1.VirtualMachine{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, vm); err != nil {
		return 0, fmt.Errorf("decoding VirtualMachine %s: %w", key, err)
	}
	if vm.DeletionTimestamp != nil {
		// Owner references let the garbage collector remove the VMI and
		// DataVolumes, as in a real cluster.
		return 0, nil
	}
	fault, delay := s.plan(vm)
	mfault := s.metricsFault(vm)

	if !runsAlways(vm) {
		if deleted, err := s.deleteVMI(ctx, vm); deleted || err != nil {
			return 0, err // Stopping until the VMI is gone
		}
		return 0, s.setVMStatus(ctx, u, kubevirtv1.VirtualMachineStatusStopped, false, false, "VirtualMachine is not running")
	}

	after, dvState, err := s.reconcileDataVolumes(ctx, u, vm, fault, delay)
	if err != nil {
		return 0, err
	}
	switch dvState {
	case dvsFailed:
		return after, s.setVMStatus(ctx, u, kubevirtv1.VirtualMachineStatusDataVolumeError, false, false, "DataVolume import failed")
	case dvsPending:
		return after, s.setVMStatus(ctx, u, kubevirtv1.VirtualMachineStatusProvisioning, false, false, "DataVolumes are being provisioned")
	}

	vmi, err := s.ensureVMI(ctx, u, vm)
	var missing *missingSizing
	if errors.As(err, &missing) {
		return 0, s.setVMStatus(ctx, u, kubevirtv1.VirtualMachineStatusStopped, false, false, missing.Error())
	}
	if err != nil {
		return 0, err
	}
	// Without DataVolumes to wait for, the VM's first VMI is Pending from
	// the VM's creation, as when virt-controller creates it at once: a
	// run's latencies are then exact multiples of its step delays. A VMI
	// after a restart or a stop and start is Pending from when it is seen:
	// a new object, its stamps owe nothing to the VM's first VMI.
	var pendingAt time.Time
	if len(vm.Spec.DataVolumeTemplates) == 0 && !s.isRestart(vmi.GetUID()) {
		pendingAt = vm.CreationTimestamp.Time
	}
	node, hold := s.opts.nodeFor(vm.Name, mfault), false
	if s.kube != nil {
		if node, hold, err = s.placeVMI(ctx, vmi); err != nil {
			return 0, err
		}
	}
	after, err = s.advanceVMI(ctx, vmi, fault, delay, node, hold, pendingAt)
	if err != nil {
		return 0, err
	}
	if err := s.observeGuest(ctx, u, vmi, mfault); err != nil {
		return 0, err
	}
	status, ready, reason := vmStatusFor(vmi, fault)
	return after, s.setVMStatus(ctx, u, status, true, ready, reason)
}

// plan reads the VM's fault and step delay from its annotations.
func (s *simulator) plan(vm *kubevirtv1.VirtualMachine) (Fault, time.Duration) {
	fault := Fault(vm.Annotations[FaultAnnotation])
	if _, annotated := vm.Annotations[FaultAnnotation]; !annotated {
		fault = s.opts.Faults[vm.Name]
	}
	known := fault == FaultNone
	for _, f := range Faults() {
		known = known || f == fault
	}
	if !known {
		s.logf("%s/%s: ignoring unknown %s %q (known: %v)", vm.Namespace, vm.Name, FaultAnnotation, fault, Faults())
		fault = FaultNone
	}
	delay := s.opts.StepDelay
	if fault == FaultSlowStart {
		delay = s.opts.SlowStartDelay
	}
	if raw, ok := vm.Annotations[StartDelayAnnotation]; ok {
		d, err := time.ParseDuration(raw)
		if err != nil || d < 0 {
			s.logf("%s/%s: ignoring %s %q: want a Go duration such as 3s", vm.Namespace, vm.Name, StartDelayAnnotation, raw)
		} else {
			delay = d
		}
	}
	return fault, delay
}

// runsAlways reports whether the VM asks for a running VMI: runStrategy
// Always, or the older running: true.
func runsAlways(vm *kubevirtv1.VirtualMachine) bool {
	if vm.Spec.RunStrategy != nil {
		return *vm.Spec.RunStrategy == kubevirtv1.RunStrategyAlways
	}
	return vm.Spec.Running != nil && *vm.Spec.Running
}

func ownerReference(vm *kubevirtv1.VirtualMachine) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion:         kubevirtv1.SchemeGroupVersion.String(),
		Kind:               "VirtualMachine",
		Name:               vm.Name,
		UID:                vm.UID,
		Controller:         ptr.To(true),
		BlockOwnerDeletion: ptr.To(true),
	}
}

// ensureVMI returns the VM's VMI, creating it from spec.template.
func (s *simulator) ensureVMI(ctx context.Context, u *unstructured.Unstructured, vm *kubevirtv1.VirtualMachine) (*unstructured.Unstructured, error) {
	obj, exists, err := s.vmis.GetIndexer().GetByKey(vm.Namespace + "/" + vm.Name)
	if err != nil {
		return nil, err
	}
	if exists {
		vmi := obj.(*unstructured.Unstructured)
		if !controlledBy(vmi, vm.UID) {
			return nil, fmt.Errorf("VirtualMachineInstance %s/%s %w", vm.Namespace, vm.Name, errNotOwned)
		}
		s.noteBoot(vm.UID, "")
		return vmi, nil
	}
	spec, _, err := unstructured.NestedMap(u.Object, "spec", "template", "spec")
	if err != nil || spec == nil {
		return nil, fmt.Errorf("VirtualMachine %s/%s has no spec.template.spec", vm.Namespace, vm.Name)
	}
	if err := s.sizeVMI(ctx, vm, spec); err != nil {
		return nil, err
	}
	vmi := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	vmi.SetAPIVersion(kubevirtv1.SchemeGroupVersion.String())
	vmi.SetKind("VirtualMachineInstance")
	vmi.SetNamespace(vm.Namespace)
	vmi.SetName(vm.Name)
	annotations := map[string]string{}
	if vm.Spec.Template != nil {
		vmi.SetLabels(vm.Spec.Template.ObjectMeta.Labels)
		maps.Copy(annotations, vm.Spec.Template.ObjectMeta.Annotations)
	}
	if f := vm.Annotations[FaultAnnotation]; f != "" {
		// The VMI outlives its VM on deletion; it keeps the fault.
		annotations[FaultAnnotation] = f
	}
	if len(annotations) > 0 {
		vmi.SetAnnotations(annotations)
	}
	vmi.SetFinalizers([]string{VMIFinalizer})
	vmi.SetOwnerReferences([]metav1.OwnerReference{ownerReference(vm)})
	created, err := s.client.Resource(VirtualMachineInstances).Namespace(vm.Namespace).Create(ctx, vmi, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating VirtualMachineInstance %s/%s: %w", vm.Namespace, vm.Name, err)
	}
	s.noteBoot(vm.UID, created.GetUID())
	s.logf("created VirtualMachineInstance %s/%s", vm.Namespace, vm.Name)
	return created, nil
}

// deleteVMI removes the VMI of a VM that should not run; it reports
// whether there was one.
func (s *simulator) deleteVMI(ctx context.Context, vm *kubevirtv1.VirtualMachine) (bool, error) {
	obj, exists, err := s.vmis.GetIndexer().GetByKey(vm.Namespace + "/" + vm.Name)
	if err != nil || !exists || !controlledBy(obj.(*unstructured.Unstructured), vm.UID) {
		return false, err
	}
	s.forget(obj.(*unstructured.Unstructured).GetUID())
	err = s.client.Resource(VirtualMachineInstances).Namespace(vm.Namespace).Delete(ctx, vm.Name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return true, fmt.Errorf("deleting VirtualMachineInstance %s/%s: %w", vm.Namespace, vm.Name, err)
	}
	return true, nil
}

// advanceVMI walks a VMI through Pending, Scheduling, Scheduled (on node)
// and Running (or Failed), one step per delay, stopping where the fault
// says, and in Scheduling while hold is set (its Pod is not bound).
// Pending is stamped pendingAt, or now when that is zero; each later phase
// delay after the one before, or when the Pod was bound if that was later.
func (s *simulator) advanceVMI(ctx context.Context, u *unstructured.Unstructured, fault Fault, delay time.Duration, node string, hold bool, pendingAt time.Time) (time.Duration, error) {
	vmi := &kubevirtv1.VirtualMachineInstance{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, vmi); err != nil {
		return 0, fmt.Errorf("decoding VirtualMachineInstance %s/%s: %w", u.GetNamespace(), u.GetName(), err)
	}
	phase := vmi.Status.Phase
	next := kubevirtv1.VmPhaseUnset
	switch phase {
	case kubevirtv1.VmPhaseUnset:
		next = kubevirtv1.Pending
	case kubevirtv1.Pending:
		if fault != FaultErrImagePull {
			next = kubevirtv1.Scheduling
		}
	case kubevirtv1.Scheduling:
		if fault != FaultUnschedulable && !hold {
			next = kubevirtv1.Scheduled
		}
	case kubevirtv1.Scheduled:
		next = kubevirtv1.Running
		if fault == FaultVMIFailed {
			next = kubevirtv1.Failed
		}
	case kubevirtv1.Running:
		return s.probeVMI(ctx, u, vmi, fault, delay)
	}
	if next == kubevirtv1.VmPhaseUnset {
		return 0, nil
	}
	at := s.now()
	if phase != kubevirtv1.VmPhaseUnset {
		if left := delay - s.elapsed(vmi.UID, string(phase)); left > 0 {
			return left, nil
		}
		at = s.leaveAt(vmi.UID, string(phase), delay)
	} else if !pendingAt.IsZero() && pendingAt.Before(at) {
		at = pendingAt
	}

	now := metav1.NewTime(at)
	status := vmi.Status.DeepCopy()
	status.Phase = next
	status.PhaseTransitionTimestamps = append(status.PhaseTransitionTimestamps,
		kubevirtv1.VirtualMachineInstancePhaseTransitionTimestamp{Phase: next, PhaseTransitionTimestamp: now})
	switch next {
	case kubevirtv1.Scheduling:
		if fault == FaultUnschedulable {
			status.Conditions = []kubevirtv1.VirtualMachineInstanceCondition{{
				Type:               kubevirtv1.VirtualMachineInstanceConditionType(corev1.PodScheduled),
				Status:             corev1.ConditionFalse,
				LastTransitionTime: now,
				Reason:             corev1.PodReasonUnschedulable,
				Message:            "0/1 nodes are available: 1 Insufficient memory. (virtwork simulator: fault unschedulable)",
			}}
		}
	case kubevirtv1.Scheduled:
		status.NodeName = node
		status.Conditions = withoutCondition(status.Conditions, podScheduled)
	case kubevirtv1.Running:
		if err := s.runningStatus(ctx, vmi, status, fault, node, now); err != nil {
			return 0, err
		}
	case kubevirtv1.Failed:
		status.Conditions = []kubevirtv1.VirtualMachineInstanceCondition{{
			Type:               kubevirtv1.VirtualMachineInstanceReady,
			Status:             corev1.ConditionFalse,
			LastTransitionTime: now,
			Reason:             "GuestCrashed",
			Message:            "virtwork simulator: fault vmi-failed",
		}}
	}
	// The VMI CRD has no status subresource: the whole object is updated,
	// as virt-controller does.
	if err := s.writeStatus(ctx, VirtualMachineInstances, u, status, false); err != nil {
		return 0, err
	}
	s.markEnteredAt(vmi.UID, string(next), at)
	s.logf("VirtualMachineInstance %s/%s: %s", vmi.Namespace, vmi.Name, next)
	return delay, nil
}

// runningStatus fills the status of a VMI that starts running on node:
// Ready (or not yet, with a readiness probe, or never, for a fault),
// LiveMigratable, its interface and its sizes.
func (s *simulator) runningStatus(ctx context.Context, vmi *kubevirtv1.VirtualMachineInstance, status *kubevirtv1.VirtualMachineInstanceStatus, fault Fault, node string, now metav1.Time) error {
	ip := fakeIP(vmi.UID)
	status.NodeName = node
	status.Conditions = []kubevirtv1.VirtualMachineInstanceCondition{{
		Type:               kubevirtv1.VirtualMachineInstanceReady,
		Status:             corev1.ConditionTrue,
		LastTransitionTime: now,
	}}
	if again := s.notReadyAgain(vmi.UID, fault); vmi.Spec.ReadinessProbe != nil || again {
		// Not Ready until the probe succeeds, a step later.
		msg, _ := notReadyMessage(fault, again)
		status.Conditions = []kubevirtv1.VirtualMachineInstanceCondition{notReady(now, msg)}
	}
	cond, err := s.liveMigratable(ctx, vmi, now)
	if err != nil {
		return err
	}
	status.Conditions = append(status.Conditions, cond)
	status.Interfaces = []kubevirtv1.VirtualMachineInstanceNetworkInterface{{Name: "default", IP: ip, IPs: []string{ip}}}
	sizeStatus(vmi, status)
	return nil
}

// notReady is the VMI Ready condition while its readiness probe fails.
func notReady(now metav1.Time, msg string) kubevirtv1.VirtualMachineInstanceCondition {
	return kubevirtv1.VirtualMachineInstanceCondition{
		Type: kubevirtv1.VirtualMachineInstanceReady, Status: corev1.ConditionFalse,
		LastTransitionTime: now, Reason: "GuestNotReady", Message: msg,
	}
}

// probeVMI plays a Running VMI's readiness probe: it succeeds one step after
// Running (the workload's unit becoming active), or never, for the
// workload-inactive fault.
func (s *simulator) probeVMI(ctx context.Context, u *unstructured.Unstructured, vmi *kubevirtv1.VirtualMachineInstance, fault Fault, delay time.Duration) (time.Duration, error) {
	if _, never := notReadyMessage(fault, s.notReadyAgain(vmi.UID, fault)); vmi.Spec.ReadinessProbe == nil || never || vmiReady(vmi) {
		return 0, nil
	}
	if left := delay - s.elapsed(vmi.UID, string(kubevirtv1.Running)); left > 0 {
		return left, nil
	}
	status := vmi.Status.DeepCopy()
	status.Conditions = append(withoutCondition(status.Conditions, kubevirtv1.VirtualMachineInstanceReady), kubevirtv1.VirtualMachineInstanceCondition{
		Type: kubevirtv1.VirtualMachineInstanceReady, Status: corev1.ConditionTrue,
		LastTransitionTime: metav1.NewTime(s.leaveAt(vmi.UID, string(kubevirtv1.Running), delay)),
	})
	if err := s.writeStatus(ctx, VirtualMachineInstances, u, status, false); err != nil {
		return 0, err
	}
	s.logf("VirtualMachineInstance %s/%s: Ready (readiness probe succeeded)", vmi.Namespace, vmi.Name)
	return 0, nil
}

func vmiReady(vmi *kubevirtv1.VirtualMachineInstance) bool {
	for _, c := range vmi.Status.Conditions {
		if c.Type == kubevirtv1.VirtualMachineInstanceReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
