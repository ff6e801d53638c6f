package simulator_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// poolLabel isolates a test's nodes: the shared control plane may hold
// other tests' nodes at the same time, so every VM that should land on a
// node of its test selects the test's pool.
const poolLabel = "virtwork.test/pool"

// placeEnv is a simulator registering four nodes of its own, over a fresh
// namespace, with the real kube-scheduler of the shared control plane.
type placeEnv struct {
	ns     string
	client dynamic.Interface
	kube   kubernetes.Interface
	nodes  []string
}

func newPlaceEnv(t *testing.T, memory string) *placeEnv {
	t.Helper()
	c := cluster.Shared(t)
	client, _ := c.Clients(t)
	kube, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	e := &placeEnv{ns: c.Namespace(t), client: client, kube: kube}
	nodes := simulator.UniformNodes(e.ns, 4, 2)
	for i := range nodes {
		nodes[i].Labels[poolLabel] = e.ns
		if memory != "" {
			nodes[i].Memory = resource.MustParse(memory)
		}
		e.nodes = append(e.nodes, nodes[i].Name)
	}
	opts := simulator.Options{Namespace: e.ns, StepDelay: 50 * time.Millisecond, Register: nodes}
	simulator.Start(t, c.Config(), opts)
	wctx, wcancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer wcancel()
	if err := simulator.WaitForNodes(wctx, kube, nodes); err != nil {
		t.Fatalf("the simulator's nodes are not ready: %v", err)
	}
	return e
}

// create makes n VMs named PREFIX-0... through the dynamic client, as any
// client would: their template is labelled app=PREFIX and asks for guest
// memory mem; edit may change the template of each.
func (e *placeEnv) create(t *testing.T, prefix string, n int, mem string, edit func(i int, tmpl *kubevirtv1.VirtualMachineInstanceTemplateSpec)) {
	t.Helper()
	for i := range n {
		tmpl := &kubevirtv1.VirtualMachineInstanceTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": prefix}},
			Spec: kubevirtv1.VirtualMachineInstanceSpec{
				Domain: kubevirtv1.DomainSpec{Memory: &kubevirtv1.Memory{Guest: ptr.To(resource.MustParse(mem))}},
			},
		}
		if edit != nil {
			edit(i, tmpl)
		}
		vm := &kubevirtv1.VirtualMachine{
			TypeMeta:   metav1.TypeMeta{APIVersion: "kubevirt.io/v1", Kind: "VirtualMachine"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", prefix, i), Namespace: e.ns},
			Spec: kubevirtv1.VirtualMachineSpec{
				RunStrategy: ptr.To(kubevirtv1.RunStrategyAlways),
				Template:    tmpl,
			},
		}
		raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(vm)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.client.Resource(simulator.VirtualMachines).Namespace(e.ns).Create(t.Context(), &unstructured.Unstructured{Object: raw}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating VM: %v", err)
		}
	}
}

// outcome is where the VMIs of a test ended: VMs per node, and the
// scheduler's message per unschedulable VM.
type outcome struct {
	perNode       map[string]int
	unschedulable map[string]string
}

// settle waits until each of the n VMIs runs or is Unschedulable, and
// returns where they are.
func (e *placeEnv) settle(t *testing.T, n int) outcome {
	t.Helper()
	var out outcome
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	err := utilwait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		list, err := e.client.Resource(simulator.VirtualMachineInstances).Namespace(e.ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		out = outcome{perNode: map[string]int{}, unschedulable: map[string]string{}}
		for _, u := range list.Items {
			vmi := &kubevirtv1.VirtualMachineInstance{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, vmi); err != nil {
				return false, err
			}
			switch {
			case vmi.Status.Phase == kubevirtv1.Running:
				out.perNode[vmi.Status.NodeName]++
			case vmi.Status.Phase == kubevirtv1.Scheduling:
				for _, c := range vmi.Status.Conditions {
					if string(c.Type) == "PodScheduled" && c.Status == corev1.ConditionFalse && c.Reason == "Unschedulable" {
						out.unschedulable[vmi.Name] = c.Message
					}
				}
			}
		}
		running := 0
		for _, c := range out.perNode {
			running += c
		}
		return running+len(out.unschedulable) == n, nil
	})
	if err != nil {
		t.Fatalf("the VMIs did not settle: %+v", out)
	}
	return out
}

// TestPlacementSpread: a topology spread constraint with maxSkew 1 over
// hostnames puts two of eight VMs on each of the four nodes, although the
// VMs prefer the first node (which, without the constraint, draws them
// all).
func TestPlacementSpread(t *testing.T) {
	e := newPlaceEnv(t, "")
	e.create(t, "spread", 8, "1Gi", func(_ int, tmpl *kubevirtv1.VirtualMachineInstanceTemplateSpec) {
		s := &tmpl.Spec
		s.NodeSelector = map[string]string{poolLabel: e.ns}
		s.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{
				Weight: 100,
				Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{
					Key: simulator.HostnameLabel, Operator: corev1.NodeSelectorOpIn, Values: []string{e.nodes[0]},
				}}},
			}},
		}}
		s.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: simulator.HostnameLabel, WhenUnsatisfiable: corev1.DoNotSchedule,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "spread"}},
		}}
	})
	out := e.settle(t, 8)
	want := map[string]int{}
	for _, n := range e.nodes {
		want[n] = 2
	}
	if !maps.Equal(out.perNode, want) || len(out.unschedulable) > 0 {
		t.Errorf("per node %v, unschedulable %v; want %v", out.perNode, out.unschedulable, want)
	}
	e.checkLaunchers(t, 8)
}

// TestPlacementCapPerNode: a hard cap of two VMs per node, as required pod
// anti-affinity over hostnames within each of two groups makes it, runs
// eight of ten VMs two per node and leaves two Unschedulable.
func TestPlacementCapPerNode(t *testing.T) {
	e := newPlaceEnv(t, "")
	e.create(t, "capped", 10, "1Gi", func(i int, tmpl *kubevirtv1.VirtualMachineInstanceTemplateSpec) {
		group := fmt.Sprintf("g%d", i%2)
		tmpl.ObjectMeta.Labels["group"] = group
		s := &tmpl.Spec
		s.NodeSelector = map[string]string{poolLabel: e.ns}
		s.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				TopologyKey:   simulator.HostnameLabel,
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "capped", "group": group}},
			}},
		}}
	})
	out := e.settle(t, 10)
	for node, n := range out.perNode {
		if n != 2 {
			t.Errorf("%s runs %d VMs, want 2 (per node %v)", node, n, out.perNode)
		}
	}
	if len(out.perNode) != 4 || len(out.unschedulable) != 2 {
		t.Errorf("per node %v, unschedulable %v; want 2 on each of 4 nodes and 2 unschedulable", out.perNode, out.unschedulable)
	}
	for vm, msg := range out.unschedulable {
		if !strings.Contains(msg, "didn't match pod anti-affinity rules") {
			t.Errorf("%s: scheduler's message %q does not name the anti-affinity", vm, msg)
		}
	}
}

// TestPlacementCapacity: VMs that ask for more memory than the nodes have
// in all: two fit on each 4Gi node (1800Mi of guest memory plus the
// launcher's overhead each), the other two stay Unschedulable with the
// scheduler's message, which the VM shows as ErrorUnschedulable.
func TestPlacementCapacity(t *testing.T) {
	e := newPlaceEnv(t, "4Gi")
	e.create(t, "big", 10, "1800Mi", func(_ int, tmpl *kubevirtv1.VirtualMachineInstanceTemplateSpec) {
		tmpl.Spec.NodeSelector = map[string]string{poolLabel: e.ns}
	})
	out := e.settle(t, 10)
	if len(out.perNode) != 4 || len(out.unschedulable) != 2 {
		t.Fatalf("per node %v, unschedulable %v; want 2 on each of 4 nodes and 2 unschedulable", out.perNode, out.unschedulable)
	}
	for vm, msg := range out.unschedulable {
		if !strings.Contains(msg, "4 Insufficient memory") {
			t.Errorf("%s: scheduler's message %q, want it to count 4 nodes short of memory", vm, msg)
		}
		e.checkVMUnschedulable(t, vm, msg)
	}
	e.checkLaunchers(t, 10)
}

// TestPlacementNoNodeMatches: a node selector no node matches leaves every
// VM Unschedulable, with the scheduler's message.
func TestPlacementNoNodeMatches(t *testing.T) {
	e := newPlaceEnv(t, "")
	e.create(t, "nowhere", 2, "1Gi", func(_ int, tmpl *kubevirtv1.VirtualMachineInstanceTemplateSpec) {
		tmpl.Spec.NodeSelector = map[string]string{poolLabel: "no-such-pool"}
	})
	out := e.settle(t, 2)
	if len(out.perNode) != 0 || len(out.unschedulable) != 2 {
		t.Fatalf("per node %v, unschedulable %v; want both unschedulable", out.perNode, out.unschedulable)
	}
	for vm, msg := range out.unschedulable {
		if !strings.Contains(msg, "didn't match Pod's node affinity/selector") {
			t.Errorf("%s: scheduler's message %q does not name the selector", vm, msg)
		}
		e.checkVMUnschedulable(t, vm, msg)
	}
}

// checkVMUnschedulable checks the VM shows what KubeVirt shows for a VMI
// whose Pod is unschedulable: ErrorUnschedulable, with the message.
func (e *placeEnv) checkVMUnschedulable(t *testing.T, name, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var vm kubevirtv1.VirtualMachine
	err := utilwait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		u, err := e.client.Resource(simulator.VirtualMachines).Namespace(e.ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &vm); err != nil {
			return false, err
		}
		return vm.Status.PrintableStatus == kubevirtv1.VirtualMachineStatusUnschedulable, nil
	})
	if err != nil {
		t.Fatalf("VM %s: printableStatus %q, want %q", name, vm.Status.PrintableStatus, kubevirtv1.VirtualMachineStatusUnschedulable)
	}
	for _, c := range vm.Status.Conditions {
		if c.Type == kubevirtv1.VirtualMachineReady && c.Message != msg {
			t.Errorf("VM %s: Ready condition message %q, want the scheduler's %q", name, c.Message, msg)
		}
	}
}

// checkLaunchers checks the n virt-launcher Pods against their VMIs, then
// deletes the VMs and checks that VMIs and Pods go: the simulator plays
// the kubelet that would confirm the Pods stopped.
func (e *placeEnv) checkLaunchers(t *testing.T, n int) {
	t.Helper()
	ctx := t.Context()
	pods, err := e.kube.CoreV1().Pods(e.ns).List(ctx, metav1.ListOptions{LabelSelector: "kubevirt.io=virt-launcher"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != n {
		t.Fatalf("%d virt-launcher Pods, want %d", len(pods.Items), n)
	}
	for _, pod := range pods.Items {
		ref := metav1.GetControllerOf(&pod)
		if ref == nil || ref.Kind != "VirtualMachineInstance" || !strings.HasPrefix(pod.Name, "virt-launcher-"+ref.Name+"-") {
			t.Errorf("Pod %s: controller %v, want its VMI", pod.Name, ref)
			continue
		}
		u, err := e.client.Resource(simulator.VirtualMachineInstances).Namespace(e.ns).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if pod.Labels["kubevirt.io/created-by"] != string(u.GetUID()) || pod.Labels["app"] != u.GetLabels()["app"] {
			t.Errorf("Pod %s: labels %v, want the VMI's and its UID", pod.Name, pod.Labels)
		}
		mem := pod.Spec.Containers[0].Resources.Requests.Memory()
		if mem.Cmp(simulator.LauncherMemoryOverhead) <= 0 {
			t.Errorf("Pod %s: requests memory %s, want the guest's plus the overhead", pod.Name, mem)
		}
		node, _, _ := unstructured.NestedString(u.Object, "status", "nodeName")
		if node != pod.Spec.NodeName {
			t.Errorf("VMI %s runs on %q, its Pod is bound to %q", ref.Name, node, pod.Spec.NodeName)
		}
	}
	start := time.Now()
	if err := e.client.Resource(simulator.VirtualMachines).Namespace(e.ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = utilwait.PollUntilContextCancel(wctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		pods, err := e.kube.CoreV1().Pods(e.ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		vmis, err := e.client.Resource(simulator.VirtualMachineInstances).Namespace(e.ns).List(ctx, metav1.ListOptions{})
		return err == nil && len(pods.Items) == 0 && len(vmis.Items) == 0, err
	})
	if err != nil {
		t.Fatalf("VMIs and Pods still there %s after deleting the VMs: %v", time.Since(start), err)
	}
	t.Logf("VMIs and virt-launcher Pods gone %s after deleting the VMs", time.Since(start).Round(time.Millisecond))
}
