package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

// runIDLabel is the label virtwork puts on everything one run creates.
const runIDLabel = "virtwork/run-id"

var (
	vmGVR  = simulator.VirtualMachines
	vmiGVR = simulator.VirtualMachineInstances
	dvGVR  = simulator.DataVolumes
)

func gvrs() []schema.GroupVersionResource { return []schema.GroupVersionResource{vmGVR, vmiGVR, dvGVR} }

// simulatorOptions are quick steps for tests that only need VMs to run.
func simulatorOptions() simulator.Options {
	return simulator.Options{StepDelay: 100 * time.Millisecond}
}

// env is what one test works with: the shared control plane, a fresh
// namespace and a dynamic client.
type env struct {
	cfg    *rest.Config
	ns     string
	client dynamic.Interface
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := cluster.Shared(t)
	client, err := dynamic.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	return &env{cfg: c.Config(), ns: c.Namespace(t), client: client}
}

// simulate runs the simulator on the test's namespace until the test ends.
func (e *env) simulate(t *testing.T, opts simulator.Options) {
	t.Helper()
	opts.Namespace = e.ns
	if opts.StepDelay == 0 {
		opts.StepDelay = 100 * time.Millisecond
	}
	simulator.Start(t, e.cfg, opts)
}

func (e *env) resource(gvr schema.GroupVersionResource) dynamic.ResourceInterface {
	return e.client.Resource(gvr).Namespace(e.ns)
}

// readManifest loads one object from testdata.
func readManifest(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &obj.Object); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
	return obj
}

// newVM returns testdata/vm.yaml renamed to name, its DataVolume named
// <name>-rootdisk, labelled with runID (when set) on the VM, its template
// and its DataVolume template, and carrying annotations.
func newVM(t *testing.T, name, runID string, annotations map[string]string) *unstructured.Unstructured {
	t.Helper()
	vm := readManifest(t, "vm.yaml")
	vm.SetName(name)
	vm.SetAnnotations(annotations)
	dvName := name + "-rootdisk"
	labels := vm.GetLabels()
	tmplLabels := map[string]any{"kubevirt.io/domain": name}
	dvLabels := map[string]any{}
	if runID != "" {
		labels[runIDLabel] = runID
		tmplLabels[runIDLabel] = runID
		dvLabels[runIDLabel] = runID
	}
	vm.SetLabels(labels)
	must(t, unstructured.SetNestedMap(vm.Object, tmplLabels, "spec", "template", "metadata", "labels"))
	must(t, unstructured.SetNestedSlice(vm.Object, []any{map[string]any{
		"metadata": map[string]any{"name": dvName, "labels": dvLabels},
		"spec": map[string]any{
			"source":  map[string]any{"registry": map[string]any{"url": "docker://quay.io/containerdisks/fedora:41"}},
			"storage": map[string]any{"resources": map[string]any{"requests": map[string]any{"storage": "10Gi"}}},
		},
	}}, "spec", "dataVolumeTemplates"))
	volumes, _, err := unstructured.NestedSlice(vm.Object, "spec", "template", "spec", "volumes")
	must(t, err)
	must(t, unstructured.SetNestedField(volumes[0].(map[string]any), dvName, "dataVolume", "name"))
	must(t, unstructured.SetNestedSlice(vm.Object, volumes, "spec", "template", "spec", "volumes"))
	return vm
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) create(t *testing.T, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	created, err := e.resource(gvr).Create(t.Context(), obj, metav1.CreateOptions{FieldValidation: "Strict"})
	if err != nil {
		t.Fatalf("creating %s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
	return created
}

// eventually polls cond every 100ms until it is true or timeout passes;
// describe tells what was awaited and what was seen last.
func eventually(t *testing.T, timeout time.Duration, describe func() string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	if err := utilwait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, cond); err != nil {
		t.Fatalf("timed out after %s waiting for %s: %v", timeout, describe(), err)
	}
}

// get returns the named object, or nil when it does not exist.
func (e *env) get(ctx context.Context, gvr schema.GroupVersionResource, name string) (*unstructured.Unstructured, error) {
	obj, err := e.resource(gvr).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return obj, err
}

// field reads a string field of obj, "" when obj is nil or the field absent.
func field(obj *unstructured.Unstructured, path ...string) string {
	if obj == nil {
		return ""
	}
	v, _, _ := unstructured.NestedString(obj.Object, path...)
	return v
}

// waitField waits until the named object's string field equals want.
func (e *env) waitField(t *testing.T, gvr schema.GroupVersionResource, name, want string, path ...string) *unstructured.Unstructured {
	t.Helper()
	var last *unstructured.Unstructured
	eventually(t, 60*time.Second,
		func() string {
			return gvr.Resource + "/" + name + " " + joinPath(path) + " = " + want + " (last: " + field(last, path...) + ")"
		},
		func(ctx context.Context) (bool, error) {
			obj, err := e.get(ctx, gvr, name)
			last = obj
			return err == nil && field(obj, path...) == want, err
		})
	return last
}

// waitGone waits until the named object no longer exists.
func (e *env) waitGone(t *testing.T, gvr schema.GroupVersionResource, name string) {
	t.Helper()
	eventually(t, 60*time.Second,
		func() string { return gvr.Resource + "/" + name + " to be deleted" },
		func(ctx context.Context) (bool, error) {
			obj, err := e.get(ctx, gvr, name)
			return obj == nil, err
		})
}

func joinPath(path []string) string { return "." + strings.Join(path, ".") }

// names lists the names of the objects of gvr with the label selector.
func (e *env) names(ctx context.Context, gvr schema.GroupVersionResource, selector string) ([]string, error) {
	list, err := e.resource(gvr).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, item := range list.Items {
		if item.GetDeletionTimestamp() == nil {
			names = append(names, item.GetName())
		}
	}
	return names, nil
}
