package simulator_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1beta1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"

	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// migrationPhases are the phases of a migration that succeeds, in order.
var migrationPhases = []kubevirtv1.VirtualMachineInstanceMigrationPhase{
	kubevirtv1.MigrationPending, kubevirtv1.MigrationScheduling, kubevirtv1.MigrationScheduled,
	kubevirtv1.MigrationPreparingTarget, kubevirtv1.MigrationTargetReady, kubevirtv1.MigrationRunning,
	kubevirtv1.MigrationSucceeded,
}

// final is a migration condition: Succeeded or Failed.
func final(m *kubevirtv1.VirtualMachineInstanceMigration) bool { return m != nil && m.IsFinal() }

// TestMigrationSucceeds: a migration of a running containerDisk VMI goes
// through KubeVirt's phases in order; kube-scheduler places the target
// Pod on another node; the VMI ends there with its migrationState filled
// and its source Pod gone; its metrics pause during the switch-over and
// come back under the target node's label.
func TestMigrationSucceeds(t *testing.T) {
	e := newDay2Env(t, simulator.Options{MigrationDuration: 200 * time.Millisecond, MigrationPause: 3 * time.Second})
	e.createVM(t, "mover", nil)
	vmi := e.readyVMI(t, "mover")
	src := vmi.Status.NodeName
	if got := condition(vmi, kubevirtv1.VirtualMachineInstanceIsMigratable); got != corev1.ConditionTrue {
		t.Errorf("LiveMigratable of a containerDisk VMI = %q, want True", got)
	}
	e.waitSeries(t, "mover", map[string]string{src: src})

	name := e.migrate(t, "mover", "mover-migration")
	switching := e.vmi(t, "mover", "", "the switch-over", func(v *kubevirtv1.VirtualMachineInstance) bool {
		ms := v.Status.MigrationState
		return ms != nil && ms.TargetNodeDomainDetected
	})
	during := e.seriesNodes(t, "mover")
	now, err := e.client.Resource(simulator.VirtualMachineInstances).Namespace(e.ns).Get(t.Context(), "mover", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if done, _, _ := unstructured.NestedBool(now.Object, "status", "migrationState", "completed"); done {
		t.Fatalf("the switch-over ended before the test scraped the metrics (a loaded machine?); cannot check the pause")
	}
	if len(during) != 0 {
		t.Errorf("during the switch-over the series are on %v, want on no node", during)
	}
	if switching.Status.NodeName != src {
		t.Errorf("during the switch-over the VMI is on %s, want still %s", switching.Status.NodeName, src)
	}

	mig := e.migration(t, name, "the migration to end", final)
	checkPhases(t, mig, migrationPhases)
	ms := mig.Status.MigrationState
	if ms == nil {
		t.Fatalf("migration %s has no migrationState", name)
	}
	tgt := ms.TargetNode
	if ms.SourceNode != src || tgt == "" || tgt == src || !ms.Completed || ms.Failed || ms.MigrationUID != mig.UID ||
		ms.Mode != kubevirtv1.MigrationPreCopy || ms.StartTimestamp == nil || ms.EndTimestamp == nil || ms.EndTimestamp.Before(ms.StartTimestamp) {
		t.Errorf("migrationState = %+v; want source %s, another target, completed, not failed, this migration's UID, PreCopy, start <= end", ms, src)
	}
	vmi = e.readyVMI(t, "mover")
	if vmi.Status.NodeName != tgt || vmi.Status.MigrationState == nil || vmi.Status.MigrationState.TargetNode != tgt || !vmi.Status.MigrationState.Completed {
		t.Errorf("VMI on %s with migrationState %+v; want on %s, completed", vmi.Status.NodeName, vmi.Status.MigrationState, tgt)
	}
	if got := e.seriesNodes(t, "mover"); !maps.Equal(got, map[string]string{tgt: tgt}) {
		t.Errorf("after the migration the series are on %v, want on %s only, labelled so", got, tgt)
	}
	pods := e.waitLaunchers(t, string(vmi.UID), 1)
	if pods[0].Name != ms.TargetPod || pods[0].Spec.NodeName != tgt || pods[0].Labels[kubevirtv1.MigrationJobLabel] != string(mig.UID) {
		t.Errorf("launcher %s on %s, labels %v; want the target Pod %s on %s", pods[0].Name, pods[0].Spec.NodeName, pods[0].Labels, ms.TargetPod, tgt)
	}
	if a := pods[0].Spec.Affinity; a == nil || a.PodAntiAffinity == nil || len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) != 1 ||
		a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0].TopologyKey != simulator.HostnameLabel {
		t.Errorf("target Pod affinity %+v, want a required anti-affinity to the VMI's Pods over %s", a, simulator.HostnameLabel)
	}
}

// checkPhases checks that the migration's phase transitions are want, in
// order, at non-decreasing times.
func checkPhases(t *testing.T, mig *kubevirtv1.VirtualMachineInstanceMigration, want []kubevirtv1.VirtualMachineInstanceMigrationPhase) {
	t.Helper()
	var got []kubevirtv1.VirtualMachineInstanceMigrationPhase
	for i, ts := range mig.Status.PhaseTransitionTimestamps {
		got = append(got, ts.Phase)
		if i > 0 && ts.PhaseTransitionTimestamp.Before(&mig.Status.PhaseTransitionTimestamps[i-1].PhaseTransitionTimestamp) {
			t.Errorf("%s entered at %s, before the phase ahead of it", ts.Phase, ts.PhaseTransitionTimestamp)
		}
	}
	if !slices.Equal(got, want) || mig.Status.Phase != want[len(want)-1] {
		t.Errorf("migration %s: phase %s after %v; want %v", mig.Name, mig.Status.Phase, got, want)
	}
}

// waitLaunchers waits until the VMI with uid has n virt-launcher Pods and
// returns them.
func (e *day2Env) waitLaunchers(t *testing.T, uid string, n int) []corev1.Pod {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var pods []corev1.Pod
	err := utilwait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(context.Context) (bool, error) {
		pods = e.launchers(t, uid)
		return len(pods) == n, nil
	})
	if err != nil {
		t.Fatalf("VMI %s has %d virt-launcher Pods, want %d", uid, len(pods), n)
	}
	return pods
}

// TestMigrationNotLiveMigratable: a VMI whose disk is a DataVolume on
// ReadWriteOnce storage reports LiveMigratable False, reason
// DisksNotLiveMigratable, and its migration fails with that reason without
// a target Pod; one on ReadWriteMany storage (a DataVolume or a PVC)
// is LiveMigratable and migrates.
func TestMigrationNotLiveMigratable(t *testing.T) {
	e := newDay2Env(t, simulator.Options{})
	for name, modes := range map[string][]corev1.PersistentVolumeAccessMode{"rwo": nil, "rwx": {corev1.ReadWriteMany}} {
		e.createVM(t, name, func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.DataVolumeTemplates = []kubevirtv1.DataVolumeTemplateSpec{{
				ObjectMeta: metav1.ObjectMeta{Name: name + "-root"},
				Spec: cdiv1beta1.DataVolumeSpec{
					Source: &cdiv1beta1.DataVolumeSource{Blank: &cdiv1beta1.DataVolumeBlankImage{}},
					Storage: &cdiv1beta1.StorageSpec{AccessModes: modes, Resources: corev1.VolumeResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
				},
			}}
			vm.Spec.Template.Spec.Volumes[0].VolumeSource = kubevirtv1.VolumeSource{DataVolume: &kubevirtv1.DataVolumeSource{Name: name + "-root"}}
		})
	}
	// A persistentVolumeClaim volume: its claim is read from the API.
	claim := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "shared", Namespace: e.ns},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
	}
	if _, err := e.kube.CoreV1().PersistentVolumeClaims(e.ns).Create(t.Context(), claim, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.createVM(t, "pvc", func(vm *kubevirtv1.VirtualMachine) {
		vm.Spec.Template.Spec.Volumes[0].VolumeSource = kubevirtv1.VolumeSource{PersistentVolumeClaim: &kubevirtv1.PersistentVolumeClaimVolumeSource{
			PersistentVolumeClaimVolumeSource: corev1.PersistentVolumeClaimVolumeSource{ClaimName: "shared"}}}
	})
	if got := condition(e.readyVMI(t, "pvc"), kubevirtv1.VirtualMachineInstanceIsMigratable); got != corev1.ConditionTrue {
		t.Errorf("LiveMigratable of the VMI on an RWX PVC = %q, want True", got)
	}
	rwo, rwx := e.readyVMI(t, "rwo"), e.readyVMI(t, "rwx")
	var cond kubevirtv1.VirtualMachineInstanceCondition
	for _, c := range rwo.Status.Conditions {
		if c.Type == kubevirtv1.VirtualMachineInstanceIsMigratable {
			cond = c
		}
	}
	if cond.Status != corev1.ConditionFalse || cond.Reason != simulator.ReasonDisksNotLiveMigratable || cond.Message == "" {
		t.Errorf("LiveMigratable of the RWO VMI = %+v, want False, reason %s, with a message", cond, simulator.ReasonDisksNotLiveMigratable)
	}
	if got := condition(rwx, kubevirtv1.VirtualMachineInstanceIsMigratable); got != corev1.ConditionTrue {
		t.Errorf("LiveMigratable of the RWX VMI = %q, want True", got)
	}

	failed := e.migration(t, e.migrate(t, "rwo", "rwo-migration"), "the RWO migration to end", final)
	ms := failed.Status.MigrationState
	if failed.Status.Phase != kubevirtv1.MigrationFailed || ms == nil || !ms.Failed || !strings.Contains(ms.FailureReason, simulator.ReasonDisksNotLiveMigratable) {
		t.Errorf("RWO migration: phase %s, migrationState %+v; want Failed with reason %s", failed.Status.Phase, ms, simulator.ReasonDisksNotLiveMigratable)
	}
	checkPhases(t, failed, []kubevirtv1.VirtualMachineInstanceMigrationPhase{kubevirtv1.MigrationPending, kubevirtv1.MigrationFailed})
	if pods := e.launchers(t, string(rwo.UID)); len(pods) != 1 || pods[0].Spec.NodeName != rwo.Status.NodeName {
		t.Errorf("RWO VMI has %d launchers, want its one on %s", len(pods), rwo.Status.NodeName)
	}
	moved := e.migration(t, e.migrate(t, "rwx", "rwx-migration"), "the RWX migration to end", final)
	checkPhases(t, moved, migrationPhases)
}

// TestMigrationWithoutRegisteredNodes: with VMIs placed by a hash of
// their name (no Node objects, no Pods), a migration moves the VMI to
// another of the simulator's nodes and its series with it.
func TestMigrationWithoutRegisteredNodes(t *testing.T) {
	e := newDay2Env(t, simulator.Options{Nodes: 2})
	e.createVM(t, "hashed", nil)
	src := e.readyVMI(t, "hashed").Status.NodeName
	e.waitSeries(t, "hashed", map[string]string{src: src})
	mig := e.migration(t, e.migrate(t, "hashed", "hashed-migration"), "the migration to end", final)
	checkPhases(t, mig, migrationPhases)
	vmi := e.readyVMI(t, "hashed")
	tgt := vmi.Status.NodeName
	// The last of NodeNames is kept for the target-down metrics fault.
	if tgt == src || !slices.Contains(e.nodes[:len(e.nodes)-1], tgt) || mig.Status.MigrationState.TargetNode != tgt {
		t.Errorf("VMI on %s after migrating from %s (migrationState %+v); want another of %v", tgt, src, mig.Status.MigrationState, e.nodes[:len(e.nodes)-1])
	}
	e.waitSeries(t, "hashed", map[string]string{tgt: tgt})
}
