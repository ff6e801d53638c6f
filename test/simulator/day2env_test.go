package simulator_test

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/utils/ptr"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// day2Env is a simulator with three nodes of its own, placed by the real
// kube-scheduler, serving metrics, over a fresh namespace; or, when the
// options give Nodes, with that many unregistered nodes the VMIs are
// placed on by a hash of their name.
type day2Env struct {
	ns      string
	client  dynamic.Interface
	kube    kubernetes.Interface
	nodes   []string
	metrics string // base URL of the metrics listener
}

func newDay2Env(t *testing.T, opts simulator.Options) *day2Env {
	t.Helper()
	c := cluster.Shared(t)
	client, _ := c.Clients(t)
	kube, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	e := &day2Env{ns: c.Namespace(t), client: client, kube: kube}
	var nodes []simulator.Node
	if opts.Nodes == 0 {
		nodes = simulator.UniformNodes(e.ns, 3, 0)
		for i := range nodes {
			nodes[i].Labels = map[string]string{poolLabel: e.ns}
		}
	}
	opts.Register = nodes
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.metrics = "http://" + l.Addr().String()
	opts.Namespace, opts.MetricsListener = e.ns, l
	e.nodes = opts.NodeNames()
	if opts.StepDelay == 0 {
		opts.StepDelay = 50 * time.Millisecond
	}
	simulator.Start(t, c.Config(), opts)
	wctx, wcancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer wcancel()
	if err := simulator.WaitForNodes(wctx, kube, nodes); err != nil {
		t.Fatalf("the simulator's nodes are not ready: %v", err)
	}
	return e
}

// createVM creates a VM with runStrategy Always on the env's nodes: a
// containerDisk root disk and a readiness probe; edit may change it.
func (e *day2Env) createVM(t *testing.T, name string, edit func(vm *kubevirtv1.VirtualMachine)) {
	t.Helper()
	vm := &kubevirtv1.VirtualMachine{
		TypeMeta:   metav1.TypeMeta{APIVersion: "kubevirt.io/v1", Kind: "VirtualMachine"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns},
		Spec: kubevirtv1.VirtualMachineSpec{
			RunStrategy: ptr.To(kubevirtv1.RunStrategyAlways),
			Template: &kubevirtv1.VirtualMachineInstanceTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec: kubevirtv1.VirtualMachineInstanceSpec{
					NodeSelector: map[string]string{poolLabel: e.ns},
					Domain: kubevirtv1.DomainSpec{
						Memory:  &kubevirtv1.Memory{Guest: ptr.To(resource.MustParse("1Gi"))},
						Devices: kubevirtv1.Devices{Disks: []kubevirtv1.Disk{{Name: "rootdisk"}}},
					},
					Volumes: []kubevirtv1.Volume{{Name: "rootdisk", VolumeSource: kubevirtv1.VolumeSource{
						ContainerDisk: &kubevirtv1.ContainerDiskSource{Image: "quay.io/containerdisks/fedora:latest"},
					}}},
					ReadinessProbe: &kubevirtv1.Probe{Handler: kubevirtv1.Handler{Exec: &corev1.ExecAction{
						Command: []string{"systemctl", "is-active", "virtwork-stress.service"},
					}}},
				},
			},
		},
	}
	if edit != nil {
		edit(vm)
	}
	raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(vm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Resource(simulator.VirtualMachines).Namespace(e.ns).Create(t.Context(), &unstructured.Unstructured{Object: raw}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating VM %s: %v", name, err)
	}
}

// until watches the named object of gvr, from resourceVersion rv (from a
// list first when rv is ""), until cond holds, and returns the object it
// held for (nil: cond held for the object being gone). It fails the test
// after a minute, saying what it waited for.
func until[T any](t *testing.T, e *day2Env, gvr schema.GroupVersionResource, name, rv, what string, cond func(obj *T) bool) *T {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	res := e.client.Resource(gvr).Namespace(e.ns)
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return res.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return res.Watch(ctx, o)
		},
	}
	var last *T
	check := func(ev watch.Event) (bool, error) {
		if ev.Type == watch.Deleted {
			last = nil
			return cond(nil), nil
		}
		u, ok := ev.Object.(*unstructured.Unstructured)
		if !ok {
			return false, nil
		}
		obj := new(T)
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj); err != nil {
			return false, err
		}
		last = obj
		return cond(obj), nil
	}
	var err error
	if rv != "" {
		_, err = watchtools.Until(ctx, rv, lw, check)
	} else {
		_, err = watchtools.UntilWithSync(ctx, lw, &unstructured.Unstructured{}, func(store cache.Store) (bool, error) {
			return len(store.List()) == 0 && cond(nil), nil
		}, check)
	}
	if err != nil {
		t.Fatalf("waiting for %s: %v; last seen: %+v", what, err, last)
	}
	return last
}

func (e *day2Env) vmi(t *testing.T, name, rv, what string, cond func(*kubevirtv1.VirtualMachineInstance) bool) *kubevirtv1.VirtualMachineInstance {
	t.Helper()
	return until(t, e, simulator.VirtualMachineInstances, name, rv, what, cond)
}

func (e *day2Env) vm(t *testing.T, name, rv, what string, cond func(*kubevirtv1.VirtualMachine) bool) *kubevirtv1.VirtualMachine {
	t.Helper()
	return until(t, e, simulator.VirtualMachines, name, rv, what, cond)
}

func (e *day2Env) migration(t *testing.T, name, what string, cond func(*kubevirtv1.VirtualMachineInstanceMigration) bool) *kubevirtv1.VirtualMachineInstanceMigration {
	t.Helper()
	return until(t, e, simulator.Migrations, name, "", what, cond)
}

// readyVMI waits for the VMI of the VM name to run and be Ready, and
// returns it.
func (e *day2Env) readyVMI(t *testing.T, name string) *kubevirtv1.VirtualMachineInstance {
	t.Helper()
	return e.vmi(t, name, "", "VMI "+name+" Running and Ready", func(v *kubevirtv1.VirtualMachineInstance) bool {
		return v != nil && v.Status.Phase == kubevirtv1.Running && condition(v, kubevirtv1.VirtualMachineInstanceReady) == corev1.ConditionTrue
	})
}

func condition(v *kubevirtv1.VirtualMachineInstance, t kubevirtv1.VirtualMachineInstanceConditionType) corev1.ConditionStatus {
	for _, c := range v.Status.Conditions {
		if c.Type == t {
			return c.Status
		}
	}
	return ""
}

// migrate creates a VirtualMachineInstanceMigration named NAME-migration
// of the VMI name and returns its name.
func (e *day2Env) migrate(t *testing.T, vmi, name string) string {
	t.Helper()
	mig := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceMigration",
		"metadata": map[string]any{"name": name, "namespace": e.ns},
		"spec":     map[string]any{"vmiName": vmi},
	}}
	if _, err := e.client.Resource(simulator.Migrations).Namespace(e.ns).Create(t.Context(), mig, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating migration %s: %v", name, err)
	}
	return name
}

// seriesNodes scrapes every node's virt-handler metrics and returns, for
// each node that exports kubevirt_vmi_memory_domain_bytes of the VM
// name, the node label of that series.
func (e *day2Env) seriesNodes(t *testing.T, name string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, node := range e.nodes {
		resp, err := http.Get(e.metrics + simulator.NodeMetricsPath(node))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "kubevirt_vmi_memory_domain_bytes{") || !strings.Contains(line, fmt.Sprintf("name=%q", name)) {
				continue
			}
			_, rest, _ := strings.Cut(line, `node="`)
			label, _, _ := strings.Cut(rest, `"`)
			out[node] = label
		}
		resp.Body.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// waitSeries waits until seriesNodes of name is want: the simulator
// starts exporting a guest's metrics once it has seen its VMI run, which
// may be a moment after the VMI says Ready, as on a real cluster.
func (e *day2Env) waitSeries(t *testing.T, name string, want map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var got map[string]string
	err := utilwait.PollUntilContextCancel(ctx, 20*time.Millisecond, true, func(context.Context) (bool, error) {
		got = e.seriesNodes(t, name)
		return maps.Equal(got, want), nil
	})
	if err != nil {
		t.Fatalf("the series of %s are on %v, want %v", name, got, want)
	}
}

// launchers lists the virt-launcher Pods of the VMI with uid.
func (e *day2Env) launchers(t *testing.T, uid string) []corev1.Pod {
	t.Helper()
	pods, err := e.kube.CoreV1().Pods(e.ns).List(t.Context(), metav1.ListOptions{LabelSelector: simulator.CreatedByLabel + "=" + uid})
	if err != nil {
		t.Fatal(err)
	}
	return pods.Items
}
