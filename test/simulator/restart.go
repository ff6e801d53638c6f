package simulator

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// A VM's VMI goes and, for runStrategy Always, comes back as a new VMI (a
// new UID): after it was deleted (a restart), or after the VM was Halted
// and set to Always again (a stop and start). Meanwhile the VM shows
// Stopping, then Stopped or Starting, as virt-controller reports it.

// vmStopping shows the VM of key Stopping, not ready, while its VMI shuts
// down; nothing for a VM that is gone or being deleted.
func (s *simulator) vmStopping(ctx context.Context, key string) error {
	obj, exists, err := s.vms.GetIndexer().GetByKey(key)
	if err != nil || !exists {
		return err
	}
	u := obj.(*unstructured.Unstructured)
	if u.GetDeletionTimestamp() != nil {
		return nil
	}
	return s.setVMStatus(ctx, u, kubevirtv1.VirtualMachineStatusStopping, true, false, "VirtualMachineInstance is shutting down")
}

// noteBoot records that vm has a VMI; created, when not empty, is a VMI
// just created for it, a restart when vm had one before.
func (s *simulator) noteBoot(vm, created types.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if created != "" && s.booted[vm] {
		s.restarted[created] = true
	}
	s.booted[vm] = true
}

// isRestart reports whether the VMI with uid came after another VMI of
// its VM (a restart, or a stop and start).
func (s *simulator) isRestart(uid types.UID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restarted[uid]
}

// notReadyAgain reports whether the VMI with uid must stay not Ready: the
// not-ready-after-restart fault, and not its VM's first VMI.
func (s *simulator) notReadyAgain(uid types.UID, fault Fault) bool {
	return fault == FaultNotReadyAfterRestart && s.isRestart(uid)
}

// notReadyMessage is the Ready condition's message of a VMI that went
// Running and is not Ready yet; never reports it never will be.
func notReadyMessage(fault Fault, again bool) (msg string, never bool) {
	switch {
	case fault == FaultWorkloadInactive:
		return "the readiness probe failed: the workload's unit is not active (virtwork simulator: fault workload-inactive)", true
	case again:
		return fmt.Sprintf("the readiness probe failed: the workload did not come back (virtwork simulator: fault %s)", FaultNotReadyAfterRestart), true
	}
	return "the readiness probe has not succeeded yet", false
}
