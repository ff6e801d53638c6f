package simulator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// Node is a Node object the simulator registers, for kube-scheduler to
// place the VMIs' virt-launcher Pods on. No kubelet runs it: the simulator
// writes its status once (Ready, capacity) and plays the kubelet's part in
// deleting the Pods bound to it.
type Node struct {
	Name string
	// Labels are the node's labels; kubernetes.io/hostname (Name),
	// kubernetes.io/os, kubernetes.io/arch and kubevirt.io/schedulable
	// ("true", as virt-handler sets it) are set unless given.
	Labels map[string]string
	// Taints are the node's taints.
	Taints []corev1.Taint
	// CPU, Memory and Pods are its capacity and allocatable: by default 8
	// CPUs, 32Gi and 110 Pods.
	CPU, Memory resource.Quantity
	Pods        int64
}

// Well-known node labels.
const (
	HostnameLabel = "kubernetes.io/hostname"
	ZoneLabel     = "topology.kubernetes.io/zone"
)

// UniformNodes returns n nodes named PREFIX-0... with the default capacity,
// spread round-robin over zones zone-0... (none when zones is 0).
func UniformNodes(prefix string, n, zones int) []Node {
	nodes := make([]Node, n)
	for i := range nodes {
		nodes[i].Name = fmt.Sprintf("%s-%d", prefix, i)
		if zones > 0 {
			nodes[i].Labels = map[string]string{ZoneLabel: fmt.Sprintf("zone-%d", i%zones)}
		}
	}
	return nodes
}

// object is the Node as the API server should hold it.
func (n Node) object() *corev1.Node {
	labels := map[string]string{HostnameLabel: n.Name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", SchedulableLabel: "true"}
	maps.Copy(labels, n.Labels)
	cpu, mem, pods := n.CPU, n.Memory, *resource.NewQuantity(n.Pods, resource.DecimalSI)
	if cpu.IsZero() {
		cpu = resource.MustParse("8")
	}
	if mem.IsZero() {
		mem = resource.MustParse("32Gi")
	}
	if n.Pods <= 0 {
		pods = resource.MustParse("110")
	}
	list := corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem, corev1.ResourcePods: pods}
	now := metav1.Now()
	conds := []corev1.NodeCondition{{
		Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
		Message: "virtwork simulator: no kubelet runs this node", LastHeartbeatTime: now, LastTransitionTime: now,
	}}
	for _, t := range []corev1.NodeConditionType{corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure} {
		conds = append(conds, corev1.NodeCondition{Type: t, Status: corev1.ConditionFalse, LastHeartbeatTime: now, LastTransitionTime: now})
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: labels},
		Spec:       corev1.NodeSpec{Taints: n.Taints},
		Status:     corev1.NodeStatus{Capacity: list, Allocatable: list, Conditions: conds, Phase: corev1.NodeRunning},
	}
}

// registerNodes creates the Nodes and makes them schedulable. The API
// server's TaintNodesByCondition admission gives a new Node the
// not-ready:NoSchedule taint, which the node lifecycle controller lifts
// once the kubelet reports Ready; the test cluster runs no such controller
// (nor kubelets, whose lease renewals it would watch), so the simulator
// sets the taints itself after writing the Ready status. Nothing later
// taints the nodes: no heartbeat is needed. On error it deletes the Nodes
// it created.
func registerNodes(ctx context.Context, client kubernetes.Interface, nodes []Node) error {
	for i, n := range nodes {
		if err := registerNode(ctx, client, n); err != nil {
			return errors.Join(err, unregisterNodes(client, nodes[:i]))
		}
	}
	return nil
}

// registerNode creates one Node, then writes its status and taints; it
// deletes the Node again when either fails.
func registerNode(ctx context.Context, client kubernetes.Interface, n Node) error {
	want := n.object()
	got, err := client.CoreV1().Nodes().Create(ctx, want, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("registering Node %s: %w", n.Name, err)
	}
	got.Status = want.Status
	got, err = client.CoreV1().Nodes().UpdateStatus(ctx, got, metav1.UpdateOptions{})
	if err == nil {
		got.Spec.Taints = want.Spec.Taints
		_, err = client.CoreV1().Nodes().Update(ctx, got, metav1.UpdateOptions{})
	}
	if err != nil {
		return errors.Join(fmt.Errorf("making Node %s Ready and schedulable: %w", n.Name, err), unregisterNodes(client, []Node{n}))
	}
	return nil
}

// unregisterNodes deletes the Nodes when the simulator stops.
func unregisterNodes(client kubernetes.Interface, nodes []Node) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	for _, n := range nodes {
		err := client.CoreV1().Nodes().Delete(ctx, n.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting Node %s: %w", n.Name, err))
		}
	}
	return errors.Join(errs...)
}

// WaitForNodes returns once every node is registered, Ready and carries
// only its own taints: from then on kube-scheduler can place Pods on all
// of them. Tests call it before creating VMs, whose placement would
// otherwise depend on how many nodes the scheduler saw at the time.
func WaitForNodes(ctx context.Context, client kubernetes.Interface, nodes []Node) error {
	return utilwait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		for _, n := range nodes {
			got, err := client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			ready := false
			for _, c := range got.Status.Conditions {
				ready = ready || c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue
			}
			if !ready || len(got.Spec.Taints) != len(n.Taints) {
				return false, nil
			}
		}
		return true, nil
	})
}
