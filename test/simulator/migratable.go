package simulator

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1beta1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
)

// ReasonDisksNotLiveMigratable is the reason of the LiveMigratable
// condition of a VMI with a disk on a claim that is not ReadWriteMany.
const ReasonDisksNotLiveMigratable = kubevirtv1.VirtualMachineInstanceReasonDisksNotMigratable

// liveMigratable is the VMI's LiveMigratable condition, as virt-handler
// reports it once the VMI runs: False, reason DisksNotLiveMigratable, when
// a persistentVolumeClaim or dataVolume volume's claim is not shared
// (ReadWriteMany) or cannot be read; True otherwise (containerDisk,
// cloud-init and the like move with the guest).
func (s *simulator) liveMigratable(ctx context.Context, vmi *kubevirtv1.VirtualMachineInstance, now metav1.Time) (kubevirtv1.VirtualMachineInstanceCondition, error) {
	cond := kubevirtv1.VirtualMachineInstanceCondition{
		Type: kubevirtv1.VirtualMachineInstanceIsMigratable, Status: corev1.ConditionTrue, LastTransitionTime: now,
	}
	for _, v := range vmi.Spec.Volumes {
		var why string
		var err error
		switch {
		case v.PersistentVolumeClaim != nil:
			why, err = s.claimNotShared(ctx, vmi.Namespace, v.PersistentVolumeClaim.ClaimName)
		case v.DataVolume != nil:
			why, err = s.dataVolumeNotShared(ctx, vmi.Namespace, v.DataVolume.Name)
		default:
			continue
		}
		if err != nil {
			return cond, err
		}
		if why != "" {
			cond.Status, cond.Reason, cond.Message = corev1.ConditionFalse, ReasonDisksNotLiveMigratable, why
			return cond, nil
		}
	}
	return cond, nil
}

// dataVolumeNotShared is claimNotShared for the claim of a DataVolume,
// read from the DataVolume in the cache (the simulator made the claim from
// it) rather than from the API server.
func (s *simulator) dataVolumeNotShared(ctx context.Context, ns, name string) (string, error) {
	obj, exists, err := s.dvs.GetIndexer().GetByKey(ns + "/" + name)
	if err != nil || !exists {
		return s.claimNotShared(ctx, ns, name)
	}
	dv := &cdiv1beta1.DataVolume{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.(*unstructured.Unstructured).Object, dv); err != nil {
		return "", fmt.Errorf("decoding DataVolume %s/%s: %w", ns, name, err)
	}
	return notShared(name, claimSpec(dv).AccessModes), nil
}

// notShared says why a claim with modes keeps its VMI from migrating, ""
// when it does not.
func notShared(name string, modes []corev1.PersistentVolumeAccessMode) string {
	if slices.Contains(modes, corev1.ReadWriteMany) {
		return ""
	}
	return fmt.Sprintf("PVC %s is not shared (access modes %v); live migration needs every PVC to be ReadWriteMany", name, modes)
}

// claimNotShared says why the claim keeps its VMI from migrating, "" when
// it does not (it is ReadWriteMany).
func (s *simulator) claimNotShared(ctx context.Context, ns, name string) (string, error) {
	u, err := s.client.Resource(pvcResource).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Sprintf("PVC %s does not exist, so it cannot be known to be shared; live migration needs every PVC to be ReadWriteMany", name), nil
	}
	if err != nil {
		return "", fmt.Errorf("reading PVC %s/%s: %w", ns, name, err)
	}
	pvc := &corev1.PersistentVolumeClaim{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, pvc); err != nil {
		return "", fmt.Errorf("decoding PVC %s/%s: %w", ns, name, err)
	}
	return notShared(name, pvc.Spec.AccessModes), nil
}
