package simulator

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// VMIFinalizer is the finalizer the simulator puts on every VMI it
// creates, as virt-controller does, and lifts once the guest has shut
// down: a deleted VMI lingers until then, holding its node.
const VMIFinalizer = "kubevirt.io/foregroundDeleteVirtualMachine"

// terminate plays virt-handler shutting down the guest of a VMI being
// deleted: Options.Termination after the deletion began it lifts the
// finalizer, never with the never-terminates fault. It reports whether
// the VMI of key is being deleted (then nothing else is done for the VM
// until it is gone) and when to look again.
func (s *simulator) terminate(ctx context.Context, key string) (bool, time.Duration, error) {
	obj, exists, err := s.vmis.GetIndexer().GetByKey(key)
	if err != nil || !exists {
		return false, 0, err
	}
	u := obj.(*unstructured.Unstructured)
	since := u.GetDeletionTimestamp()
	if since == nil {
		return false, 0, nil
	}
	if !slices.Contains(u.GetFinalizers(), VMIFinalizer) || Fault(u.GetAnnotations()[FaultAnnotation]) == FaultNeverTerminates {
		return true, 0, nil
	}
	if left := s.opts.Termination - s.now().Sub(since.Time); left > 0 {
		return true, left, nil
	}
	// The guest is down: its virt-launcher Pod ends, then the VMI goes.
	if err := s.deleteLauncher(ctx, u); err != nil {
		return true, 0, err
	}
	if err := s.release(ctx, u); err != nil {
		return true, 0, err
	}
	s.logf("VirtualMachineInstance %s: guest shut down", key)
	return true, 0, nil
}

// release removes the simulator's finalizer from a VMI, guarded by its
// resourceVersion so no other change is lost.
func (s *simulator) release(ctx context.Context, u *unstructured.Unstructured) error {
	rest := slices.DeleteFunc(slices.Clone(u.GetFinalizers()), func(f string) bool { return f == VMIFinalizer })
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"finalizers": rest, "resourceVersion": u.GetResourceVersion()}})
	if err != nil {
		return err
	}
	_, err = s.client.Resource(VirtualMachineInstances).Namespace(u.GetNamespace()).Patch(ctx, u.GetName(), types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("lifting the finalizer of VirtualMachineInstance %s/%s: %w", u.GetNamespace(), u.GetName(), err)
	}
	return nil
}

// releaseAll lifts the finalizer from every VMI the simulator knows, when
// it stops: with no virt-handler left to do it, a test's namespace could
// never be deleted.
func (s *simulator) releaseAll() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, obj := range s.vmis.GetIndexer().List() {
		u := obj.(*unstructured.Unstructured)
		if slices.Contains(u.GetFinalizers(), VMIFinalizer) {
			if err := s.release(ctx, u); err != nil && !apierrors.IsConflict(err) {
				s.logf("%v", err)
			}
		}
	}
}
