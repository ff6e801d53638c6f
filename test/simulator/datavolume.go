package simulator

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1beta1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
)

// dvProcess is what CDI does to fill a DataVolume, read from its spec:
// clone a DataSource (sourceRef) or a PVC, or import (registry, http,
// blank).
type dvProcess struct {
	clone bool
	// dataSource is the sourceRef's namespace/name, "" for none.
	dataSource string
}

func processOf(dv *cdiv1beta1.DataVolume) dvProcess {
	if ref := dv.Spec.SourceRef; ref != nil {
		ns := dv.Namespace
		if ref.Namespace != nil && *ref.Namespace != "" {
			ns = *ref.Namespace
		}
		return dvProcess{clone: true, dataSource: ns + "/" + ref.Name}
	}
	return dvProcess{clone: dv.Spec.Source != nil && dv.Spec.Source.PVC != nil}
}

// scheduled is the phase CDI gives the DataVolume once its work is
// scheduled; failReason the reason of its conditions when it fails.
func (p dvProcess) scheduled() cdiv1beta1.DataVolumePhase {
	if p.clone {
		return cdiv1beta1.CloneScheduled
	}
	return cdiv1beta1.ImportScheduled
}

func (p dvProcess) failReason() string {
	if p.clone {
		return "CloneFailed"
	}
	return "ImportFailed"
}

// fails reports whether fault makes the DataVolume fail.
func (p dvProcess) fails(fault Fault) bool {
	return fault == FaultDVFailed || (fault == FaultCloneFailed && p.clone)
}

// advanceDataVolume moves a DataVolume from nothing to CloneScheduled or
// ImportScheduled, and after delay to Succeeded (or Failed for the
// dv-failed and clone-failed faults). With the datasource-missing fault, a
// DataVolume cloned from a DataSource stays Pending.
func (s *simulator) advanceDataVolume(ctx context.Context, u *unstructured.Unstructured, fault Fault, delay time.Duration) (time.Duration, cdiv1beta1.DataVolumePhase, error) {
	dv := &cdiv1beta1.DataVolume{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, dv); err != nil {
		return 0, "", fmt.Errorf("decoding DataVolume %s/%s: %w", u.GetNamespace(), u.GetName(), err)
	}
	p := processOf(dv)
	now := metav1.Now()
	var status *cdiv1beta1.DataVolumeStatus
	switch dv.Status.Phase {
	case cdiv1beta1.Succeeded, cdiv1beta1.Failed:
		return 0, dv.Status.Phase, nil
	case cdiv1beta1.Pending:
		return 0, dv.Status.Phase, nil // a missing DataSource never appears
	case p.scheduled():
		if left := delay - s.elapsed(dv.UID, string(dv.Status.Phase)); left > 0 {
			return left, dv.Status.Phase, nil
		}
		status = finished(p, fault, now)
	default:
		status = started(p, fault, now)
		if status.Phase == p.scheduled() {
			if err := s.createClaim(ctx, dv); err != nil {
				return 0, "", err
			}
		}
	}
	if err := s.writeStatus(ctx, DataVolumes, u, status, true); err != nil {
		return 0, "", err
	}
	s.markEntered(dv.UID, string(status.Phase))
	s.logf("DataVolume %s/%s: %s", dv.Namespace, dv.Name, status.Phase)
	if status.Phase == p.scheduled() {
		return delay, status.Phase, nil
	}
	return 0, status.Phase, nil
}

// started is a new DataVolume's status: its work scheduled, or Pending on
// a DataSource that is missing.
func started(p dvProcess, fault Fault, now metav1.Time) *cdiv1beta1.DataVolumeStatus {
	if fault == FaultDataSourceMissing && p.dataSource != "" {
		msg := fmt.Sprintf("DataSource %s not found (virtwork simulator: fault %s)", p.dataSource, fault)
		return &cdiv1beta1.DataVolumeStatus{Phase: cdiv1beta1.Pending, Progress: "N/A", Conditions: []cdiv1beta1.DataVolumeCondition{
			{Type: cdiv1beta1.DataVolumeBound, Status: corev1.ConditionFalse, LastTransitionTime: now, Reason: "NotFound", Message: msg},
			{Type: cdiv1beta1.DataVolumeReady, Status: corev1.ConditionFalse, LastTransitionTime: now, Reason: "NotFound", Message: msg},
			{Type: cdiv1beta1.DataVolumeRunning, Status: corev1.ConditionFalse, LastTransitionTime: now},
		}}
	}
	return &cdiv1beta1.DataVolumeStatus{Phase: p.scheduled(), Progress: "N/A", Conditions: []cdiv1beta1.DataVolumeCondition{
		{Type: cdiv1beta1.DataVolumeBound, Status: corev1.ConditionFalse, LastTransitionTime: now, Reason: "Pending"},
		{Type: cdiv1beta1.DataVolumeReady, Status: corev1.ConditionFalse, LastTransitionTime: now},
		{Type: cdiv1beta1.DataVolumeRunning, Status: corev1.ConditionFalse, LastTransitionTime: now},
	}}
}

// finished is the status of a DataVolume whose clone or import is over.
func finished(p dvProcess, fault Fault, now metav1.Time) *cdiv1beta1.DataVolumeStatus {
	if p.fails(fault) {
		msg := "virtwork simulator: fault " + string(fault)
		return &cdiv1beta1.DataVolumeStatus{Phase: cdiv1beta1.Failed, Conditions: []cdiv1beta1.DataVolumeCondition{
			{Type: cdiv1beta1.DataVolumeBound, Status: corev1.ConditionTrue, LastTransitionTime: now, Reason: "Bound"},
			{Type: cdiv1beta1.DataVolumeReady, Status: corev1.ConditionFalse, LastTransitionTime: now, Reason: p.failReason(), Message: msg},
			{Type: cdiv1beta1.DataVolumeRunning, Status: corev1.ConditionFalse, LastTransitionTime: now, Reason: p.failReason(), Message: msg},
		}}
	}
	return &cdiv1beta1.DataVolumeStatus{Phase: cdiv1beta1.Succeeded, Progress: "100.0%", Conditions: []cdiv1beta1.DataVolumeCondition{
		{Type: cdiv1beta1.DataVolumeBound, Status: corev1.ConditionTrue, LastTransitionTime: now, Reason: "Bound"},
		{Type: cdiv1beta1.DataVolumeReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: cdiv1beta1.DataVolumeRunning, Status: corev1.ConditionFalse, LastTransitionTime: now, Reason: "Completed"},
	}}
}

// pvcResource is the claims' API; the simulator makes one per DataVolume.
var pvcResource = schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}

// claimSpec is the spec of the claim CDI makes for dv: its pvc, or its
// storage's requests, class and access modes (ReadWriteOnce when it names
// none: the simulated StorageClass has no StorageProfile to say more).
func claimSpec(dv *cdiv1beta1.DataVolume) corev1.PersistentVolumeClaimSpec {
	spec := corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}}
	if st := dv.Spec.Storage; st != nil {
		spec.Resources.Requests = st.Resources.Requests
		spec.StorageClassName = st.StorageClassName
		if len(st.AccessModes) > 0 {
			spec.AccessModes = st.AccessModes
		}
	} else if dv.Spec.PVC != nil {
		spec = *dv.Spec.PVC.DeepCopy()
	}
	return spec
}

// createClaim makes the DataVolume's PersistentVolumeClaim, as CDI does
// when it schedules the clone or import: the DataVolume's name and labels,
// owned by it, sized by its storage request. The API server adds the
// kubernetes.io/pvc-protection finalizer, so deleting it behaves as in a
// real cluster.
func (s *simulator) createClaim(ctx context.Context, dv *cdiv1beta1.DataVolume) error {
	spec := claimSpec(dv)
	yes := true
	pvc := &corev1.PersistentVolumeClaim{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: metav1.ObjectMeta{Name: dv.Name, Namespace: dv.Namespace, Labels: dv.Labels,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: cdiv1beta1.SchemeGroupVersion.String(), Kind: "DataVolume",
				Name: dv.Name, UID: dv.UID, Controller: &yes, BlockOwnerDeletion: &yes}}},
		Spec: spec,
	}
	raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(pvc)
	if err != nil {
		return fmt.Errorf("encoding PVC %s/%s: %w", dv.Namespace, dv.Name, err)
	}
	_, err = s.client.Resource(pvcResource).Namespace(dv.Namespace).Create(ctx, &unstructured.Unstructured{Object: raw}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating PVC %s/%s: %w", dv.Namespace, dv.Name, err)
	}
	return nil
}

type dvsState int

const (
	dvsReady dvsState = iota
	dvsPending
	dvsFailed
)

// reconcileDataVolumes creates the VM's DataVolumes from its
// dataVolumeTemplates and plays CDI's import for each.
func (s *simulator) reconcileDataVolumes(ctx context.Context, u *unstructured.Unstructured, vm *kubevirtv1.VirtualMachine, fault Fault, delay time.Duration) (time.Duration, dvsState, error) {
	templates, _, err := unstructured.NestedSlice(u.Object, "spec", "dataVolumeTemplates")
	if err != nil {
		return 0, dvsReady, fmt.Errorf("reading dataVolumeTemplates of %s/%s: %w", vm.Namespace, vm.Name, err)
	}
	state := dvsReady
	var after time.Duration
	for _, t := range templates {
		tmpl, ok := t.(map[string]any)
		if !ok {
			continue
		}
		dv, err := s.ensureDataVolume(ctx, vm, tmpl)
		if err != nil {
			return 0, dvsReady, err
		}
		wait, phase, err := s.advanceDataVolume(ctx, dv, fault, delay)
		if err != nil {
			return 0, dvsReady, err
		}
		switch {
		case phase == cdiv1beta1.Failed:
			state = dvsFailed
		case phase != cdiv1beta1.Succeeded && state != dvsFailed:
			state = dvsPending
		}
		if wait > 0 && (after == 0 || wait < after) {
			after = wait
		}
	}
	return after, state, nil
}

func (s *simulator) ensureDataVolume(ctx context.Context, vm *kubevirtv1.VirtualMachine, tmpl map[string]any) (*unstructured.Unstructured, error) {
	name, _, _ := unstructured.NestedString(tmpl, "metadata", "name")
	if name == "" {
		return nil, fmt.Errorf("VirtualMachine %s/%s has a dataVolumeTemplate without metadata.name", vm.Namespace, vm.Name)
	}
	obj, exists, err := s.dvs.GetIndexer().GetByKey(vm.Namespace + "/" + name)
	if err != nil {
		return nil, err
	}
	if exists {
		dv := obj.(*unstructured.Unstructured)
		if !controlledBy(dv, vm.UID) {
			return nil, fmt.Errorf("DataVolume %s/%s %w", vm.Namespace, name, errNotOwned)
		}
		return dv, nil
	}
	spec, _, _ := unstructured.NestedMap(tmpl, "spec")
	dv := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	dv.SetAPIVersion(cdiv1beta1.SchemeGroupVersion.String())
	dv.SetKind("DataVolume")
	dv.SetNamespace(vm.Namespace)
	dv.SetName(name)
	labels, _, _ := unstructured.NestedStringMap(tmpl, "metadata", "labels")
	dv.SetLabels(labels)
	annotations, _, _ := unstructured.NestedStringMap(tmpl, "metadata", "annotations")
	dv.SetAnnotations(annotations)
	dv.SetOwnerReferences([]metav1.OwnerReference{ownerReference(vm)})
	created, err := s.client.Resource(DataVolumes).Namespace(vm.Namespace).Create(ctx, dv, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating DataVolume %s/%s: %w", vm.Namespace, name, err)
	}
	s.logf("created DataVolume %s/%s", vm.Namespace, name)
	return created, nil
}
