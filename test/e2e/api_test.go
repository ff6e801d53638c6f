package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// applyOptions are what kubectl apply --server-side sends.
var applyOptions = metav1.PatchOptions{FieldManager: "virtwork-e2e", Force: ptr.To(true), FieldValidation: "Strict"}

func (e *env) apply(ctx context.Context, obj *unstructured.Unstructured) error {
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return err
	}
	_, err = e.resource(vmGVR).Patch(ctx, obj.GetName(), types.ApplyPatchType, data, applyOptions)
	return err
}

// TestSchemaRejectsWrongType checks the installed schema is KubeVirt's: a
// string where cpu.cores must be an integer is refused on create (422) and
// on server-side apply, where the failed conversion to the typed schema is
// reported as a 500 whose message names the field.
func TestSchemaRejectsWrongType(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	vm := readManifest(t, "vm-cores-string.yaml")

	_, err := e.resource(vmGVR).Create(t.Context(), vm, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("create: err = %v, want 422 Invalid", err)
	}
	for _, want := range []string{"spec.template.spec.domain.cpu.cores", "integer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("create: error %q does not mention %q", err, want)
		}
	}

	err = e.apply(t.Context(), vm)
	if err == nil {
		t.Fatal("server-side apply of cores: \"two\" succeeded, want an error")
	}
	// kube-apiserver v1.37 answers 500 here, not 422; the message is what
	// a user sees, so that is what is checked.
	const wantApply = ".spec.template.spec.domain.cpu.cores: expected numeric"
	if !strings.Contains(err.Error(), wantApply) {
		t.Errorf("apply: error %q does not contain %q", err, wantApply)
	}
	if got, err := e.get(t.Context(), vmGVR, vm.GetName()); err != nil || got != nil {
		t.Errorf("after two rejected writes the VM exists (%v) or cannot be read (%v)", got != nil, err)
	}
}

// TestSchemaRejectsUnknownField checks strict field validation (what
// kubectl sends by default) refuses a field the schema does not have, on
// create and on server-side apply, and that without it the field is pruned.
func TestSchemaRejectsUnknownField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	vm := readManifest(t, "vm-unknown-field.yaml")
	const want = `unknown field "spec.template.spec.domain.turbo"`

	_, err := e.resource(vmGVR).Create(t.Context(), vm, metav1.CreateOptions{FieldValidation: "Strict"})
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("strict create: err = %v, want it to contain %s", err, want)
	}
	// Server-side apply finds the field while building the typed patch and
	// says so in its own words.
	const wantApply = ".spec.template.spec.domain.turbo: field not declared in schema"
	if err := e.apply(t.Context(), vm); err == nil || !strings.Contains(err.Error(), wantApply) {
		t.Errorf("strict server-side apply: err = %v, want it to contain %s", err, wantApply)
	}

	created, err := e.resource(vmGVR).Create(t.Context(), vm, metav1.CreateOptions{FieldValidation: "Ignore"})
	if err != nil {
		t.Fatalf("create with fieldValidation=Ignore: %v", err)
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(created.Object, "spec", "template", "spec", "domain", "turbo"); found {
		t.Error("unknown field survived: the schema does not prune")
	}
}

// TestDeleteCollectionByRunID checks that deleting VMs by the run-id label
// removes exactly that run's VMs, and with them (by garbage collection)
// their VMIs and DataVolumes, leaving another run in the same namespace
// alone.
func TestDeleteCollectionByRunID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	runs := map[string][]string{"run-a": {"a-0", "a-1"}, "run-b": {"b-0", "b-1"}}
	for run, vms := range runs {
		for _, name := range vms {
			e.create(t, vmGVR, newVM(t, name, run, nil))
		}
	}
	for _, vms := range runs {
		for _, name := range vms {
			e.waitField(t, vmGVR, name, "Running", "status", "printableStatus")
		}
	}

	err := e.resource(vmGVR).DeleteCollection(t.Context(), metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: runIDLabel + "=run-a"})
	if err != nil {
		t.Fatalf("deletecollection: %v", err)
	}

	want := map[string][]string{
		"virtualmachines":         {"b-0", "b-1"},
		"virtualmachineinstances": {"b-0", "b-1"},
		"datavolumes":             {"b-0-rootdisk", "b-1-rootdisk"},
	}
	var got map[string][]string
	eventually(t, 60*time.Second,
		func() string { return "only run-b objects to remain: " + cmp.Diff(want, got) },
		func(ctx context.Context) (bool, error) {
			got = map[string][]string{}
			for _, gvr := range gvrs() {
				names, err := e.names(ctx, gvr, "")
				if err != nil {
					return false, err
				}
				slices.Sort(names)
				got[gvr.Resource] = names
			}
			return cmp.Equal(want, got), nil
		})
}

// TestWatchSeesVMIsRunning checks a label-selector watch on VMIs sees this
// run's VMIs reach Running and nothing of another run.
func TestWatchSeesVMIsRunning(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	w, err := e.resource(vmiGVR).Watch(ctx, metav1.ListOptions{LabelSelector: runIDLabel + "=watched"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	e.create(t, vmGVR, newVM(t, "other", "not-watched", nil))
	e.create(t, vmGVR, newVM(t, "w-0", "watched", nil))
	e.create(t, vmGVR, newVM(t, "w-1", "watched", nil))

	phases := map[string][]string{}
	running := map[string]bool{}
	for len(running) < 2 {
		select {
		case <-ctx.Done():
			t.Fatalf("watch saw phases %v before the deadline, want w-0 and w-1 Running", phases)
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatalf("watch closed early; phases so far %v", phases)
			}
			if ev.Type == watch.Error {
				t.Fatalf("watch error: %v", apierrors.FromObject(ev.Object))
			}
			vmi := ev.Object.(*unstructured.Unstructured)
			phase := field(vmi, "status", "phase")
			if p := phases[vmi.GetName()]; len(p) == 0 || p[len(p)-1] != phase {
				phases[vmi.GetName()] = append(p, phase)
			}
			if phase == "Running" {
				running[vmi.GetName()] = true
			}
		}
	}
	if _, ok := phases["other"]; ok {
		t.Errorf("watch with selector %s=watched saw VMI of another run", runIDLabel)
	}
	want := []string{"", "Pending", "Scheduling", "Scheduled", "Running"}
	for name, got := range phases {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("VMI %s phases (-want +got):\n%s", name, diff)
		}
	}
}

// TestNamespaceDeletionCompletes checks the namespace controller removes a
// namespace holding VMs, VMIs and DataVolumes.
func TestNamespaceDeletionCompletes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	e.create(t, vmGVR, newVM(t, "doomed", "ns-delete", nil))
	e.waitField(t, vmGVR, "doomed", "Running", "status", "printableStatus")

	core, err := kubernetes.NewForConfig(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := core.CoreV1().Namespaces().Delete(t.Context(), e.ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second,
		func() string { return "namespace " + e.ns + " to be deleted" },
		func(ctx context.Context) (bool, error) {
			_, err := core.CoreV1().Namespaces().Get(ctx, e.ns, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return true, nil
			}
			return false, err
		})
}

// TestVMDeletionCollectsOwnedObjects checks the garbage collector removes a
// deleted VM's VMI and DataVolumes through their owner references.
func TestVMDeletionCollectsOwnedObjects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	e.create(t, vmGVR, newVM(t, "gc", "gc", nil))
	e.waitField(t, vmGVR, "gc", "Running", "status", "printableStatus")

	vmi, err := e.get(t.Context(), vmiGVR, "gc")
	if err != nil || vmi == nil {
		t.Fatalf("VMI gc: %v, %v", vmi, err)
	}
	ref := metav1.GetControllerOf(vmi)
	if ref == nil || ref.Kind != "VirtualMachine" || ref.Name != "gc" || !ptr.Deref(ref.BlockOwnerDeletion, false) {
		t.Fatalf("VMI gc controller reference = %+v, want VirtualMachine gc with blockOwnerDeletion", ref)
	}
	if got := vmi.GetLabels()[runIDLabel]; got != "gc" {
		t.Errorf("VMI label %s = %q, want the template's gc", runIDLabel, got)
	}

	if err := e.resource(vmGVR).Delete(t.Context(), "gc", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitGone(t, vmGVR, "gc")
	e.waitGone(t, vmiGVR, "gc")
	e.waitGone(t, dvGVR, "gc-rootdisk")
}
