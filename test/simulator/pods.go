package simulator

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// Labels KubeVirt puts on a virt-launcher Pod.
const (
	// AppLabel is kubevirt.io=virt-launcher.
	AppLabel = "kubevirt.io"
	// CreatedByLabel holds the UID of the VMI the Pod runs.
	CreatedByLabel = "kubevirt.io/created-by"
	launcherApp    = "virt-launcher"
	// SchedulableLabel marks a node where virt-handler runs.
	SchedulableLabel = "kubevirt.io/schedulable"
)

// Resources of a virt-launcher Pod beyond what the VMI asks for.
var (
	// LauncherMemoryOverhead stands for what virt-launcher, libvirt and
	// QEMU take besides the guest's memory (KubeVirt computes it per VMI;
	// a couple of hundred MiB for a small one).
	LauncherMemoryOverhead = resource.MustParse("200Mi")
	// cpuPerVCPU is KubeVirt's default CPU request per vCPU: one CPU over
	// the default cpuAllocationRatio of 10.
	cpuPerVCPU = resource.MustParse("100m")
)

// launcherName is virt-launcher-<vmi>-<suffix>, the suffix derived from
// the VMI's UID so that a retried create finds the Pod it made.
func launcherName(vmi *kubevirtv1.VirtualMachineInstance) string {
	return suffixed(vmi.Name, string(vmi.UID))
}

// launcherPod is the Pod virt-controller would create for vmi: its labels,
// node selector, affinity, tolerations and spread constraints, and a
// compute container requesting the VMI's CPU and memory.
func launcherPod(vmi *kubevirtv1.VirtualMachineInstance) *corev1.Pod {
	labels := map[string]string{}
	maps.Copy(labels, vmi.Labels)
	labels[AppLabel] = launcherApp
	labels[CreatedByLabel] = string(vmi.UID)
	grace := int64(30)
	if vmi.Spec.TerminationGracePeriodSeconds != nil {
		grace = *vmi.Spec.TerminationGracePeriodSeconds
	}
	// KubeVirt adds this to every launcher's node selector; virt-handler
	// puts the label on the nodes it runs on.
	selector := map[string]string{SchedulableLabel: "true"}
	maps.Copy(selector, vmi.Spec.NodeSelector)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: launcherName(vmi), Namespace: vmi.Namespace, Labels: labels,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: kubevirtv1.SchemeGroupVersion.String(), Kind: "VirtualMachineInstance",
				Name: vmi.Name, UID: vmi.UID, Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec: corev1.PodSpec{
			NodeSelector:                  selector,
			Affinity:                      vmi.Spec.Affinity,
			Tolerations:                   vmi.Spec.Tolerations,
			TopologySpreadConstraints:     vmi.Spec.TopologySpreadConstraints,
			SchedulerName:                 vmi.Spec.SchedulerName,
			PriorityClassName:             vmi.Spec.PriorityClassName,
			TerminationGracePeriodSeconds: &grace,
			AutomountServiceAccountToken:  ptr.To(false),
			RestartPolicy:                 corev1.RestartPolicyNever,
			Containers: []corev1.Container{{
				Name: "compute", Image: "virtwork.test/virt-launcher:simulated",
				Resources: corev1.ResourceRequirements{Requests: launcherRequests(vmi.Spec.Domain)},
			}},
		},
	}
}

// launcherRequests is what the compute container requests: the VMI's own
// resources.requests where it has them, else its guest memory and 100m
// per vCPU; plus LauncherMemoryOverhead.
func launcherRequests(d kubevirtv1.DomainSpec) corev1.ResourceList {
	cpu, ok := d.Resources.Requests[corev1.ResourceCPU]
	if !ok {
		vcpus := int64(1)
		if d.CPU != nil {
			vcpus = int64(max(d.CPU.Sockets, 1) * max(d.CPU.Cores, 1) * max(d.CPU.Threads, 1))
		}
		cpu = *resource.NewMilliQuantity(cpuPerVCPU.MilliValue()*vcpus, resource.DecimalSI)
	}
	mem, ok := d.Resources.Requests[corev1.ResourceMemory]
	if !ok {
		mem = *resource.NewQuantity(int64(memoryOf(d)), resource.BinarySI)
	}
	mem = mem.DeepCopy()
	mem.Add(LauncherMemoryOverhead)
	return corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem}
}

// placement is where kube-scheduler put a VMI's Pod: a node, or why none.
type placement struct {
	node string
	// unschedulable is the scheduler's message while it finds no node.
	unschedulable string
}

// place returns the placement of a Scheduling VMI's virt-launcher Pod,
// creating the Pod first when it does not exist yet.
func (s *simulator) place(ctx context.Context, vmi *kubevirtv1.VirtualMachineInstance) (placement, error) {
	obj, exists, err := s.pods.GetIndexer().GetByKey(vmi.Namespace + "/" + launcherName(vmi))
	if err != nil {
		return placement{}, err
	}
	if !exists {
		_, err := s.kube.CoreV1().Pods(vmi.Namespace).Create(ctx, launcherPod(vmi), metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return placement{}, fmt.Errorf("creating the virt-launcher Pod of VirtualMachineInstance %s/%s: %w", vmi.Namespace, vmi.Name, err)
		}
		s.logf("created virt-launcher Pod %s/%s", vmi.Namespace, launcherName(vmi))
		return placement{}, nil
	}
	pod := obj.(*corev1.Pod)
	if pod.Spec.NodeName != "" {
		return placement{node: pod.Spec.NodeName}, nil
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return placement{unschedulable: c.Message}, nil
		}
	}
	return placement{}, nil
}

// podKeyPrefix marks a queue key naming a Pod (namespace/name) rather than
// a VM.
const podKeyPrefix = "pod:"

// reap plays the kubelet for a deleted Pod bound to a node: with no kubelet
// to confirm the containers stopped, a graceful deletion never completes,
// so the simulator completes it with grace 0.
func (s *simulator) reap(ctx context.Context, key string) error {
	obj, exists, err := s.pods.GetIndexer().GetByKey(strings.TrimPrefix(key, podKeyPrefix))
	if err != nil || !exists {
		return err
	}
	pod := obj.(*corev1.Pod)
	if pod.DeletionTimestamp == nil || pod.Spec.NodeName == "" {
		return nil
	}
	return s.deletePod(ctx, pod.Namespace, pod.Name)
}

// deletePod deletes a Pod at once (grace 0).
func (s *simulator) deletePod(ctx context.Context, ns, name string) error {
	err := s.kube.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting virt-launcher Pod %s/%s: %w", ns, name, err)
	}
	return nil
}

// deleteLauncher deletes the virt-launcher Pods of a VMI whose guest shut
// down, before its finalizer goes: the first one by name (it may not be
// in the cache yet), and any a migration made.
func (s *simulator) deleteLauncher(ctx context.Context, u *unstructured.Unstructured) error {
	if s.kube == nil {
		return nil
	}
	vmi := &kubevirtv1.VirtualMachineInstance{ObjectMeta: metav1.ObjectMeta{Namespace: u.GetNamespace(), Name: u.GetName(), UID: u.GetUID()}}
	if err := s.deletePod(ctx, vmi.Namespace, launcherName(vmi)); err != nil {
		return err
	}
	return s.deleteLaunchers(ctx, vmi, launcherName(vmi))
}

// deleteAllLaunchers deletes every virt-launcher Pod the simulator knows
// when it stops, as releaseAll lifts the VMIs' finalizers.
func (s *simulator) deleteAllLaunchers() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, obj := range s.pods.GetIndexer().List() {
		pod := obj.(*corev1.Pod)
		if err := s.deletePod(ctx, pod.Namespace, pod.Name); err != nil {
			s.logf("%v", err)
		}
	}
}

// watchPods sets up the informer over the virt-launcher Pods: a Pod's
// change requeues its VMI's VM (same namespace and name) and, for a
// migration's target Pod, the migration; a deleted Pod bound to a node is
// queued to be reaped.
func (s *simulator) watchPods(kube kubernetes.Interface) {
	s.kube = kube
	s.podFactory = informers.NewSharedInformerFactoryWithOptions(kube, 10*time.Minute,
		informers.WithNamespace(s.opts.Namespace),
		informers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.LabelSelector = AppLabel + "=" + launcherApp }))
	s.pods = s.podFactory.Core().V1().Pods().Informer()
	// Indexers can be added only before the informer starts; it has not.
	_ = s.pods.AddIndexers(cache.Indexers{createdByIndex: indexCreatedBy})
	handle := func(obj any) {
		pod, ok := obj.(*corev1.Pod)
		if !ok {
			return
		}
		if pod.DeletionTimestamp != nil && pod.Spec.NodeName != "" {
			s.queue.Add(podKeyPrefix + pod.Namespace + "/" + pod.Name)
		}
		if ref := metav1.GetControllerOf(pod); ref != nil && ref.Kind == "VirtualMachineInstance" {
			s.queue.Add(pod.Namespace + "/" + ref.Name)
		}
		if mig := pod.Annotations[kubevirtv1.MigrationJobNameAnnotation]; mig != "" {
			s.queue.Add(migrationKeyPrefix + pod.Namespace + "/" + mig)
		}
	}
	// Registration fails only on a stopped informer; this one has not
	// started.
	_, _ = s.pods.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    handle,
		UpdateFunc: func(_, obj any) { handle(obj) },
	})
}

// podScheduled is the VMI condition KubeVirt copies from its Pod's
// PodScheduled condition while the Pod is not scheduled.
const podScheduled = kubevirtv1.VirtualMachineInstanceConditionType(corev1.PodScheduled)

// placeVMI returns the node of the VMI's Pod and whether the VMI must stay
// Scheduling. For a Scheduling VMI it makes sure the Pod exists and, while
// the scheduler leaves it Unschedulable, copies the scheduler's message to
// the VMI's PodScheduled condition, as virt-controller does.
func (s *simulator) placeVMI(ctx context.Context, u *unstructured.Unstructured) (string, bool, error) {
	vmi := &kubevirtv1.VirtualMachineInstance{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, vmi); err != nil {
		return "", false, fmt.Errorf("decoding VirtualMachineInstance %s/%s: %w", u.GetNamespace(), u.GetName(), err)
	}
	if vmi.Status.Phase != kubevirtv1.Scheduling {
		return vmi.Status.NodeName, false, nil
	}
	p, err := s.place(ctx, vmi)
	if err != nil || p.node != "" {
		return p.node, false, err
	}
	if p.unschedulable == "" {
		return "", true, nil
	}
	for _, c := range vmi.Status.Conditions {
		if c.Type == podScheduled && c.Reason == corev1.PodReasonUnschedulable && c.Message == p.unschedulable {
			return "", true, nil
		}
	}
	status := vmi.Status.DeepCopy()
	status.Conditions = append(withoutCondition(status.Conditions, podScheduled), kubevirtv1.VirtualMachineInstanceCondition{
		Type: podScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
		Message: p.unschedulable, LastTransitionTime: metav1.Now(),
	})
	if err := s.writeStatus(ctx, VirtualMachineInstances, u, status, false); err != nil {
		return "", true, err
	}
	s.logf("VirtualMachineInstance %s/%s: Unschedulable: %s", vmi.Namespace, vmi.Name, p.unschedulable)
	return "", true, nil
}

func withoutCondition(conds []kubevirtv1.VirtualMachineInstanceCondition, t kubevirtv1.VirtualMachineInstanceConditionType) []kubevirtv1.VirtualMachineInstanceCondition {
	return slices.DeleteFunc(slices.Clone(conds), func(c kubevirtv1.VirtualMachineInstanceCondition) bool { return c.Type == t })
}
