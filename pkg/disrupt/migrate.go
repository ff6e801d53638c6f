package disrupt

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// migrate creates a VirtualMachineInstanceMigration for the VM, labelled
// as the run's so cleanup removes it, and waits for it to succeed with the
// VMI on another node.
func (e *event) migrate(ctx context.Context) {
	mig := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceMigration",
		"metadata": map[string]any{
			"generateName": e.c.VM + "-migrate-", "namespace": e.c.Namespace,
			"labels": map[string]any{labels.ManagedBy: labels.ManagedByValue, labels.RunID: e.r.o.RunID, DisruptionLabel: string(Migrate)},
		},
		"spec": map[string]any{"vmiName": e.c.VM},
	}}
	migs := e.r.o.Client.Resource(MigrationResource).Namespace(e.c.Namespace)
	created, err := migs.Create(ctx, mig, metav1.CreateOptions{FieldManager: labels.FieldManager})
	if err != nil {
		if !e.denied(err) {
			e.fail(OutcomeFailed, "creating the migration: %v", access.Explain(err))
		}
		return
	}
	name, phase := created.GetName(), ""
	if !e.until(ctx, "migration "+name+" not done", func(ctx context.Context) (bool, error) {
		m, err := migs.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		created = m
		phase, _, _ = unstructured.NestedString(m.Object, "status", "phase")
		if err := e.readVMI(ctx); err != nil {
			return false, err
		}
		return phase == "Succeeded" || phase == "Failed", nil
	}) {
		e.d.Reason += fmt.Sprintf(": phase %s", orText(phase, "(none yet)"))
		return
	}
	if phase == "Failed" {
		e.fail(OutcomeFailed, "migration %s failed: %s", name, migrationFailure(created, e.vmi))
		return
	}
	node, _, _ := unstructured.NestedString(e.vmi.Object, "status", "nodeName")
	if node == "" {
		node, _, _ = unstructured.NestedString(e.vmi.Object, "status", "migrationState", "targetNode")
	}
	e.d.TargetNode = node
	if node == "" || node == e.d.SourceNode {
		e.fail(OutcomeFailed, "migration %s succeeded but the VMI is still on node %s", name, orText(node, "(none)"))
		return
	}
	e.d.Outcome = OutcomeSucceeded
}

// migrationFailure is KubeVirt's reason for a failed migration: the
// failureReason of the migration's own migrationState (a migration that
// failed before it began on the VMI has only that one), else the VMI's
// when it is this migration's, else the migration's conditions.
func migrationFailure(mig, vmi *unstructured.Unstructured) string {
	if r, _, _ := unstructured.NestedString(mig.Object, "status", "migrationState", "failureReason"); r != "" {
		return r
	}
	if vmi != nil {
		uid, _, _ := unstructured.NestedString(vmi.Object, "status", "migrationState", "migrationUID")
		if r, _, _ := unstructured.NestedString(vmi.Object, "status", "migrationState", "failureReason"); r != "" && uid == string(mig.GetUID()) {
			return r
		}
	}
	conds, _, _ := unstructured.NestedSlice(mig.Object, "status", "conditions")
	var msgs []string
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		reason, _ := m["reason"].(string)
		msg, _ := m["message"].(string)
		if text := strings.TrimPrefix(strings.TrimSuffix(reason+": "+msg, ": "), ": "); text != "" {
			msgs = append(msgs, text)
		}
	}
	if len(msgs) == 0 {
		return "KubeVirt gave no reason"
	}
	return strings.Join(msgs, "; ")
}

// stopStart sets runStrategy Halted, waits for the VMI to go, keeps the VM
// stopped for DownFor, restores the runStrategy it had and waits for the
// VM to be ready again. Once halted, the VM is always started again, even
// when waiting for its VMI to go timed out.
func (e *event) stopStart(ctx context.Context) {
	vms := e.r.o.Client.Resource(wait.VMResource).Namespace(e.c.Namespace)
	vm, err := vms.Get(ctx, e.c.VM, metav1.GetOptions{})
	if err != nil {
		if !e.denied(err) {
			e.fail(OutcomeFailed, "reading the VM: %v", access.Explain(err))
		}
		return
	}
	previous, _, _ := unstructured.NestedString(vm.Object, "spec", "runStrategy")
	if previous == "" || previous == "Halted" {
		previous = "Always"
	}
	if err := e.readVMI(ctx); err != nil {
		if !e.denied(err) {
			e.fail(OutcomeFailed, "reading the VMI: %v", access.Explain(err))
		}
		return
	}
	var old types.UID
	if e.vmi != nil {
		old = e.vmi.GetUID()
	}
	if err := e.runStrategy(ctx, "Halted"); err != nil {
		if !e.denied(err) {
			e.fail(OutcomeFailed, "stopping: %v", access.Explain(err))
		}
		return
	}
	stopped := e.until(ctx, "the VMI still there", func(ctx context.Context) (bool, error) {
		if err := e.readVMI(ctx); err != nil {
			return false, err
		}
		return e.vmi == nil, nil
	})
	if stopped {
		t := time.NewTimer(e.r.o.DownFor)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	// Started again even when ctx is over: a VM must not stay halted.
	startCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := e.runStrategy(startCtx, previous); err != nil {
		e.fail(OutcomeFailed, "starting again (runStrategy %s): %v; the VM is left halted", previous, access.Explain(err))
		return
	}
	if stopped && e.readyAgain(ctx, old) {
		e.d.Outcome = OutcomeSucceeded
	}
}

func (e *event) runStrategy(ctx context.Context, strategy string) error {
	patch := []byte(fmt.Sprintf(`{"spec":{"runStrategy":%q}}`, strategy))
	_, err := e.r.o.Client.Resource(wait.VMResource).Namespace(e.c.Namespace).Patch(ctx, e.c.VM, types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: labels.FieldManager})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("VM %s/%s is gone", e.c.Namespace, e.c.VM)
	}
	return err
}

func orText(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}
