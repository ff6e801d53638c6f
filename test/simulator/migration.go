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
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// MigrationFailureReason is the failureReason of a migration the
// migration-fails fault makes fail, on the VMI's and the migration's
// migrationState.
const MigrationFailureReason = "Live migration failed: the target domain did not start (virtwork simulator: fault migration-fails)"

// migrationKeyPrefix marks a queue key naming a
// VirtualMachineInstanceMigration (namespace/name) rather than a VM.
const migrationKeyPrefix = "vmim:"

// switchOver is the simulator's own step of a Running migration, kept in
// memory only: the guest is paused on the source and its metrics are
// exported by no node until Options.MigrationPause has passed.
const switchOver = "SwitchOver"

func migrationKey(u *unstructured.Unstructured) (string, bool) {
	return migrationKeyPrefix + u.GetNamespace() + "/" + u.GetName(), true
}

// migrationStep is one migration as reconciled: the objects and the
// VM's fault and step delay.
type migrationStep struct {
	u     *unstructured.Unstructured
	mig   *kubevirtv1.VirtualMachineInstanceMigration
	vmiU  *unstructured.Unstructured
	vmi   *kubevirtv1.VirtualMachineInstance
	fault Fault
	delay time.Duration
}

// reconcileMigration carries out a VirtualMachineInstanceMigration as
// virt-controller and the virt-handlers of the source and target nodes
// do, one phase per step delay: Pending, Scheduling (a target
// virt-launcher Pod kube-scheduler must place off the source node),
// Scheduled, PreparingTarget, TargetReady, Running (Options.
// MigrationDuration), a switch-over (Options.MigrationPause) and
// Succeeded, the VMI then on the target node. A migration of a VMI that
// is not running or not live migratable fails at once.
func (s *simulator) reconcileMigration(ctx context.Context, key string) (time.Duration, error) {
	m, err := s.migrationStep(key)
	if m == nil || err != nil {
		return 0, err
	}
	phase := m.mig.Status.Phase
	if phase == kubevirtv1.MigrationPhaseUnset {
		return m.delay, s.setMigrationPhase(ctx, m, kubevirtv1.MigrationPending, nil)
	}
	if reason := m.blocked(); reason != "" {
		return 0, s.failMigration(ctx, m, reason)
	}
	if reason := s.inFlight(m); reason != "" {
		return 0, s.failMigration(ctx, m, reason)
	}
	if phase == kubevirtv1.MigrationRunning {
		return s.runMigration(ctx, m)
	}
	if left := m.delay - s.elapsed(m.mig.UID, string(phase)); left > 0 {
		return left, nil
	}
	switch phase {
	case kubevirtv1.MigrationPending:
		return m.delay, s.setMigrationPhase(ctx, m, kubevirtv1.MigrationScheduling, nil)
	case kubevirtv1.MigrationScheduling:
		target, err := s.migrationTarget(ctx, m)
		if target == "" || err != nil {
			return 0, err
		}
		return m.delay, s.setMigrationPhase(ctx, m, kubevirtv1.MigrationScheduled, func(ms *kubevirtv1.VirtualMachineInstanceMigrationState) {
			ms.TargetNode, ms.TargetPod = target, s.targetPodName(m)
		})
	case kubevirtv1.MigrationScheduled:
		return m.delay, s.setMigrationPhase(ctx, m, kubevirtv1.MigrationPreparingTarget, nil)
	case kubevirtv1.MigrationPreparingTarget:
		return m.delay, s.setMigrationPhase(ctx, m, kubevirtv1.MigrationTargetReady, nil)
	case kubevirtv1.MigrationTargetReady:
		return s.startMigration(ctx, m)
	}
	return 0, nil
}

// migrationStep reads the migration of key and its VMI from the caches;
// nil when there is nothing to do (gone, final or being deleted).
func (s *simulator) migrationStep(key string) (*migrationStep, error) {
	obj, exists, err := s.migs.GetIndexer().GetByKey(key)
	if err != nil || !exists {
		return nil, err
	}
	m := &migrationStep{u: obj.(*unstructured.Unstructured), mig: &kubevirtv1.VirtualMachineInstanceMigration{}}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m.u.Object, m.mig); err != nil {
		return nil, fmt.Errorf("decoding VirtualMachineInstanceMigration %s: %w", key, err)
	}
	if m.mig.IsFinal() || m.mig.DeletionTimestamp != nil {
		return nil, nil
	}
	m.fault, m.delay = FaultNone, s.opts.StepDelay
	obj, exists, err = s.vmis.GetIndexer().GetByKey(m.mig.Namespace + "/" + m.mig.Spec.VMIName)
	if err != nil || !exists {
		return m, err
	}
	m.vmiU = obj.(*unstructured.Unstructured)
	m.vmi = &kubevirtv1.VirtualMachineInstance{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m.vmiU.Object, m.vmi); err != nil {
		return nil, fmt.Errorf("decoding VirtualMachineInstance %s/%s: %w", m.vmi.Namespace, m.vmi.Name, err)
	}
	if vmKey, ok := ownerVMKey(m.vmiU); ok {
		if obj, exists, err := s.vms.GetIndexer().GetByKey(vmKey); err == nil && exists {
			vm := &kubevirtv1.VirtualMachine{}
			if runtime.DefaultUnstructuredConverter.FromUnstructured(obj.(*unstructured.Unstructured).Object, vm) == nil {
				m.fault, m.delay = s.plan(vm)
			}
		}
	}
	return m, nil
}

// blocked is why the migration cannot go on, "" when it can.
func (m *migrationStep) blocked() string {
	switch {
	case m.vmi == nil:
		return fmt.Sprintf("VirtualMachineInstance %s/%s does not exist", m.mig.Namespace, m.mig.Spec.VMIName)
	case m.vmi.DeletionTimestamp != nil:
		return fmt.Sprintf("VirtualMachineInstance %s/%s is being deleted", m.vmi.Namespace, m.vmi.Name)
	case m.vmi.Status.Phase != kubevirtv1.Running:
		return fmt.Sprintf("VirtualMachineInstance %s/%s is not running (phase %q)", m.vmi.Namespace, m.vmi.Name, m.vmi.Status.Phase)
	}
	if m.mig.Status.Phase != kubevirtv1.MigrationPending {
		return ""
	}
	for _, c := range m.vmi.Status.Conditions {
		if c.Type == kubevirtv1.VirtualMachineInstanceIsMigratable && c.Status == corev1.ConditionFalse {
			return fmt.Sprintf("VMI is not live migratable: %s: %s", c.Reason, c.Message)
		}
	}
	return ""
}

// inFlight says which other migration of the same VMI, created before
// this Pending one and not over, keeps it from starting; KubeVirt's
// admission rejects a migration of a VMI that has one in flight.
func (s *simulator) inFlight(m *migrationStep) string {
	if m.mig.Status.Phase != kubevirtv1.MigrationPending {
		return ""
	}
	for _, obj := range s.migs.GetIndexer().List() {
		u := obj.(*unstructured.Unstructured)
		other := &kubevirtv1.VirtualMachineInstanceMigration{}
		if u.GetNamespace() != m.mig.Namespace || u.GetUID() == m.mig.UID ||
			runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, other) != nil ||
			other.Spec.VMIName != m.mig.Spec.VMIName || other.IsFinal() {
			continue
		}
		if other.CreationTimestamp.Before(&m.mig.CreationTimestamp) ||
			other.CreationTimestamp.Equal(&m.mig.CreationTimestamp) && other.Name < m.mig.Name {
			return fmt.Sprintf("migration %s of VirtualMachineInstance %s is in flight", other.Name, m.mig.Spec.VMIName)
		}
	}
	return ""
}

// migrationTarget returns the node the target runs on, "" while there is
// none yet. With registered nodes that is where kube-scheduler binds the
// target Pod; else the next of NodeNames after the source.
func (s *simulator) migrationTarget(ctx context.Context, m *migrationStep) (string, error) {
	if s.kube != nil {
		return s.placeTarget(ctx, m)
	}
	names := s.opts.NodeNames()
	usable := names
	if len(s.opts.Register) == 0 {
		usable = names[:len(names)-1] // the last is the target-down fault's
	}
	if len(usable) < 2 {
		return "", nil // nowhere to go: Scheduling, as a target Pod no node takes
	}
	for i, n := range usable {
		if n == m.vmi.Status.NodeName {
			return usable[(i+1)%len(usable)], nil
		}
	}
	return usable[0], nil
}

// setMigrationPhase moves the migration to phase, stamping when, with edit
// applied to its migrationState (created when nil).
func (s *simulator) setMigrationPhase(ctx context.Context, m *migrationStep, phase kubevirtv1.VirtualMachineInstanceMigrationPhase, edit func(*kubevirtv1.VirtualMachineInstanceMigrationState)) error {
	at := s.now()
	switch prev := m.mig.Status.Phase; {
	case prev == kubevirtv1.MigrationRunning && s.inPhase(m.mig.UID, switchOver):
		at = s.leaveAt(m.mig.UID, switchOver, s.opts.MigrationPause)
	case prev == kubevirtv1.MigrationRunning:
		at = s.leaveAt(m.mig.UID, string(prev), s.opts.MigrationDuration)
	case prev != kubevirtv1.MigrationPhaseUnset:
		at = s.leaveAt(m.mig.UID, string(prev), m.delay)
	}
	status := m.mig.Status.DeepCopy()
	status.Phase = phase
	status.PhaseTransitionTimestamps = append(status.PhaseTransitionTimestamps,
		kubevirtv1.VirtualMachineInstanceMigrationPhaseTransitionTimestamp{Phase: phase, PhaseTransitionTimestamp: metav1.NewTime(at)})
	if edit != nil {
		if status.MigrationState == nil {
			status.MigrationState = &kubevirtv1.VirtualMachineInstanceMigrationState{MigrationUID: m.mig.UID}
		}
		edit(status.MigrationState)
	}
	if err := s.writeStatus(ctx, Migrations, m.u, status, true); err != nil {
		return err
	}
	s.markEnteredAt(m.mig.UID, string(phase), at)
	s.logf("VirtualMachineInstanceMigration %s/%s: %s", m.mig.Namespace, m.mig.Name, phase)
	return nil
}

// startMigration begins the transfer: the VMI's migrationState shows it
// (source and target, mode PreCopy, start time), then the migration is
// Running.
func (s *simulator) startMigration(ctx context.Context, m *migrationStep) (time.Duration, error) {
	target := ""
	if m.mig.Status.MigrationState != nil {
		target = m.mig.Status.MigrationState.TargetNode
	}
	start := metav1.NewTime(s.leaveAt(m.mig.UID, string(kubevirtv1.MigrationTargetReady), m.delay))
	state := &kubevirtv1.VirtualMachineInstanceMigrationState{
		MigrationUID: m.mig.UID, Mode: kubevirtv1.MigrationPreCopy, StartTimestamp: &start,
		SourceNode: m.vmi.Status.NodeName, SourcePod: s.sourcePodName(m), TargetNode: target, TargetPod: s.targetPodName(m),
	}
	vmiStatus := m.vmi.Status.DeepCopy()
	vmiStatus.MigrationState = state
	if err := s.writeStatus(ctx, VirtualMachineInstances, m.vmiU, vmiStatus, false); err != nil {
		return 0, err
	}
	err := s.setMigrationPhase(ctx, m, kubevirtv1.MigrationRunning, func(ms *kubevirtv1.VirtualMachineInstanceMigrationState) { *ms = *state.DeepCopy() })
	return s.opts.MigrationDuration, err
}

// runMigration plays a Running migration: after MigrationDuration the
// switch-over (metrics paused, the target domain detected on the VMI),
// after MigrationPause more the end. With the migration-never-completes
// fault it stays Running; with migration-fails it fails instead of
// switching over.
func (s *simulator) runMigration(ctx context.Context, m *migrationStep) (time.Duration, error) {
	if m.fault == FaultMigrationStuck {
		return 0, nil
	}
	if s.inPhase(m.mig.UID, switchOver) {
		if left := s.opts.MigrationPause - s.elapsed(m.mig.UID, switchOver); left > 0 {
			return left, nil
		}
		return 0, s.completeMigration(ctx, m)
	}
	if left := s.opts.MigrationDuration - s.elapsed(m.mig.UID, string(kubevirtv1.MigrationRunning)); left > 0 {
		return left, nil
	}
	if m.fault == FaultMigrationFails {
		return 0, s.failMigration(ctx, m, MigrationFailureReason)
	}
	if err := s.ownState(ctx, m); err != nil {
		return 0, err
	}
	state := m.vmi.Status.MigrationState
	if state == nil || state.MigrationUID != m.mig.UID {
		return 0, s.failMigration(ctx, m, "the VMI's migrationState does not belong to this migration")
	}
	// Metrics first: once the VMI says the target domain is detected,
	// the guest's series are gone until the pause is over.
	at := s.leaveAt(m.mig.UID, string(kubevirtv1.MigrationRunning), s.opts.MigrationDuration)
	if s.metrics != nil {
		s.metrics.migrate(m.vmi.UID, state.TargetNode, at.Add(s.opts.MigrationPause))
	}
	vmiStatus := m.vmi.Status.DeepCopy()
	vmiStatus.MigrationState.TargetNodeDomainDetected = true
	if err := s.writeStatus(ctx, VirtualMachineInstances, m.vmiU, vmiStatus, false); err != nil {
		return 0, err
	}
	s.markEnteredAt(m.mig.UID, switchOver, at)
	s.logf("VirtualMachineInstanceMigration %s/%s: switching over to %s", m.mig.Namespace, m.mig.Name, state.TargetNode)
	return s.opts.MigrationPause, nil
}

// completeMigration ends the switch-over: the VMI runs on the target
// node, its migrationState completed, the source Pod goes, and the
// migration Succeeds.
func (s *simulator) completeMigration(ctx context.Context, m *migrationStep) error {
	end := metav1.NewTime(s.leaveAt(m.mig.UID, switchOver, s.opts.MigrationPause))
	if err := s.ownState(ctx, m); err != nil {
		return err
	}
	vmiStatus := m.vmi.Status.DeepCopy()
	state := vmiStatus.MigrationState
	if state == nil || state.MigrationUID != m.mig.UID {
		return s.failMigration(ctx, m, "the VMI's migrationState does not belong to this migration")
	}
	state.Completed, state.EndTimestamp, state.TargetNodeDomainReadyTimestamp = true, &end, &end
	vmiStatus.NodeName = state.TargetNode
	if err := s.writeStatus(ctx, VirtualMachineInstances, m.vmiU, vmiStatus, false); err != nil {
		return err
	}
	if err := s.deleteLaunchers(ctx, m.vmi, state.TargetPod); err != nil {
		return err
	}
	return s.setMigrationPhase(ctx, m, kubevirtv1.MigrationSucceeded, func(ms *kubevirtv1.VirtualMachineInstanceMigrationState) { *ms = *state.DeepCopy() })
}

// ownState makes sure m's VMI is one that shows this migration's
// migrationState, which the simulator itself wrote when the migration
// started: when the informer's copy does not show it yet (its watch event
// still on the way, as on a loaded API server), the VMI is read from the
// API server instead, so a lagging cache does not fail the migration.
func (s *simulator) ownState(ctx context.Context, m *migrationStep) error {
	if ms := m.vmi.Status.MigrationState; ms != nil && ms.MigrationUID == m.mig.UID {
		return nil
	}
	u, err := s.client.Resource(VirtualMachineInstances).Namespace(m.vmi.Namespace).Get(ctx, m.vmi.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil // gone: the caller fails the migration on what it has
	}
	if err != nil {
		return fmt.Errorf("reading VirtualMachineInstance %s/%s: %w", m.vmi.Namespace, m.vmi.Name, err)
	}
	vmi := &kubevirtv1.VirtualMachineInstance{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, vmi); err != nil {
		return fmt.Errorf("decoding VirtualMachineInstance %s/%s: %w", m.vmi.Namespace, m.vmi.Name, err)
	}
	if vmi.UID == m.vmi.UID {
		m.vmiU, m.vmi = u, vmi
	}
	return nil
}

// failMigration ends the migration in phase Failed with reason as its
// migrationState's failureReason, and the VMI's too when its migration
// had begun; the target Pod goes and the VMI stays where it ran.
func (s *simulator) failMigration(ctx context.Context, m *migrationStep, reason string) error {
	end := metav1.NewTime(s.now())
	fail := func(ms *kubevirtv1.VirtualMachineInstanceMigrationState) {
		ms.Completed, ms.Failed, ms.FailureReason, ms.EndTimestamp = true, true, reason, &end
	}
	if m.vmi != nil && m.vmi.DeletionTimestamp == nil {
		if ms := m.vmi.Status.MigrationState; ms != nil && ms.MigrationUID == m.mig.UID {
			vmiStatus := m.vmi.Status.DeepCopy()
			fail(vmiStatus.MigrationState)
			if err := s.writeStatus(ctx, VirtualMachineInstances, m.vmiU, vmiStatus, false); err != nil {
				return err
			}
		}
		if s.kube != nil {
			if err := s.deletePod(ctx, m.vmi.Namespace, s.targetPodName(m)); err != nil {
				return err
			}
		}
	}
	s.logf("VirtualMachineInstanceMigration %s/%s: failed: %s", m.mig.Namespace, m.mig.Name, reason)
	return s.setMigrationPhase(ctx, m, kubevirtv1.MigrationFailed, func(ms *kubevirtv1.VirtualMachineInstanceMigrationState) {
		if m.vmi != nil && ms.SourceNode == "" {
			ms.SourceNode = m.vmi.Status.NodeName
		}
		fail(ms)
	})
}
