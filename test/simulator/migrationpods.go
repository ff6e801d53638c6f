package simulator

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// createdByIndex indexes the virt-launcher Pods by the UID of their VMI
// (CreatedByLabel): a VMI that migrated has had more than one.
const createdByIndex = "createdBy"

func indexCreatedBy(obj any) ([]string, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok || pod.Labels[CreatedByLabel] == "" {
		return nil, nil
	}
	return []string{pod.Labels[CreatedByLabel]}, nil
}

// launchersOf lists the virt-launcher Pods of the VMI with uid.
func (s *simulator) launchersOf(uid string) []*corev1.Pod {
	objs, err := s.pods.GetIndexer().ByIndex(createdByIndex, uid)
	if err != nil {
		return nil
	}
	pods := make([]*corev1.Pod, 0, len(objs))
	for _, o := range objs {
		pods = append(pods, o.(*corev1.Pod))
	}
	return pods
}

// suffixed is virt-launcher-<vmi>-<5 characters derived from key>.
func suffixed(vmi, key string) string {
	h := fnv.New32a()
	h.Write([]byte(key))
	suffix := strconv.FormatUint(uint64(h.Sum32()), 36)
	return "virt-launcher-" + vmi + "-" + (suffix + "00000")[:5]
}

// targetPodName names the migration's target Pod; "" without registered
// nodes (no Pods then).
func (s *simulator) targetPodName(m *migrationStep) string {
	if s.kube == nil {
		return ""
	}
	return suffixed(m.mig.Spec.VMIName, string(m.mig.UID))
}

// sourcePodName is the VMI's Pod on its current node: the first launcher
// or the target of its last migration; "" without registered nodes.
func (s *simulator) sourcePodName(m *migrationStep) string {
	if s.kube == nil {
		return ""
	}
	for _, pod := range s.launchersOf(string(m.vmi.UID)) {
		if pod.Spec.NodeName == m.vmi.Status.NodeName && pod.DeletionTimestamp == nil && pod.Name != s.targetPodName(m) {
			return pod.Name
		}
	}
	return launcherName(m.vmi)
}

// targetPod is the Pod virt-controller creates for a migration's target:
// the VMI's launcher Pod, labelled with the migration's UID and named in
// an annotation, and kept off every node where a Pod of the same VMI runs
// by a required pod anti-affinity on the VMI's created-by label over
// kubernetes.io/hostname, as KubeVirt does.
func targetPod(m *migrationStep, name string) *corev1.Pod {
	pod := launcherPod(m.vmi)
	pod.Name = name
	pod.Labels[kubevirtv1.MigrationJobLabel] = string(m.mig.UID)
	pod.Annotations = map[string]string{kubevirtv1.MigrationJobNameAnnotation: m.mig.Name}
	term := corev1.PodAffinityTerm{
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{CreatedByLabel: string(m.vmi.UID)}},
		TopologyKey:   HostnameLabel,
	}
	affinity := &corev1.Affinity{}
	if m.vmi.Spec.Affinity != nil {
		affinity = m.vmi.Spec.Affinity.DeepCopy()
	}
	if affinity.PodAntiAffinity == nil {
		affinity.PodAntiAffinity = &corev1.PodAntiAffinity{}
	}
	anti := affinity.PodAntiAffinity
	anti.RequiredDuringSchedulingIgnoredDuringExecution = append(anti.RequiredDuringSchedulingIgnoredDuringExecution, term)
	pod.Spec.Affinity = affinity
	return pod
}

// placeTarget returns the node kube-scheduler bound the migration's
// target Pod to, creating the Pod first; "" while it is not bound (an
// Unschedulable target keeps the migration Scheduling).
func (s *simulator) placeTarget(ctx context.Context, m *migrationStep) (string, error) {
	name := s.targetPodName(m)
	obj, exists, err := s.pods.GetIndexer().GetByKey(m.vmi.Namespace + "/" + name)
	if err != nil {
		return "", err
	}
	if !exists {
		_, err := s.kube.CoreV1().Pods(m.vmi.Namespace).Create(ctx, targetPod(m, name), metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return "", fmt.Errorf("creating the migration target Pod of VirtualMachineInstance %s/%s: %w", m.vmi.Namespace, m.vmi.Name, err)
		}
		s.logf("created migration target Pod %s/%s", m.vmi.Namespace, name)
		return "", nil
	}
	return obj.(*corev1.Pod).Spec.NodeName, nil
}

// deleteLaunchers deletes the virt-launcher Pods of vmi but keep: the
// source Pod once the VMI runs on the migration's target.
func (s *simulator) deleteLaunchers(ctx context.Context, vmi *kubevirtv1.VirtualMachineInstance, keep string) error {
	if s.kube == nil {
		return nil
	}
	for _, pod := range s.launchersOf(string(vmi.UID)) {
		if pod.Name == keep {
			continue
		}
		if err := s.deletePod(ctx, pod.Namespace, pod.Name); err != nil {
			return err
		}
	}
	return nil
}
