package disrupt

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilwait "k8s.io/apimachinery/pkg/util/wait"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// The outcomes of an event.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed"
	OutcomeTimedOut  = "timed out"
)

// DisruptionLabel marks the objects disrupt creates (migrations) with
// the kind of event they are for.
const DisruptionLabel = labels.Prefix + "disruption"

// event is one VM's event in progress.
type event struct {
	r    *runner
	c    Choice
	d    *audit.Disruption
	down downtime
	// vmi is the VMI as last read; nil while there is none.
	vmi *unstructured.Unstructured
}

func (e *event) fail(outcome, format string, args ...any) {
	e.d.Outcome, e.d.Reason = outcome, fmt.Sprintf(format, args...)
}

// denied fails the event on a Forbidden answer and stops the command: a
// missing permission is the user's to fix, not the VM's failure, and
// every later event would meet it too. It reports whether err was one.
func (e *event) denied(err error) bool {
	if !apierrors.IsForbidden(err) {
		return false
	}
	err = access.Explain(err)
	e.fail(OutcomeFailed, "%v", err)
	e.r.deny(err)
	return true
}

// until reads cond every poll until it is done or ctx ends; it returns
// false, having recorded the failure, when it was not done in time.
func (e *event) until(ctx context.Context, what string, cond func(context.Context) (bool, error)) bool {
	var last error
	err := utilwait.PollUntilContextCancel(ctx, e.r.interval, true, func(ctx context.Context) (bool, error) {
		done, err := cond(ctx)
		if apierrors.IsForbidden(err) {
			return false, err
		}
		if err != nil && ctx.Err() == nil {
			last = err // the API server may fail for a moment; the deadline bounds it
		}
		if err != nil {
			return false, nil // a read cut short by the deadline says nothing new
		}
		return done, nil
	})
	if err == nil {
		return true
	}
	if e.denied(err) {
		return false
	}
	if last != nil {
		what += " (last error: " + access.Explain(last).Error() + ")"
	}
	e.fail(OutcomeTimedOut, "%s after %s", what, e.limit())
	return false
}

func (e *event) limit() time.Duration {
	if e.c.Kind == StopStart {
		return e.r.o.Timeout + e.r.o.DownFor
	}
	return e.r.o.Timeout
}

// readVMI reads the VMI (nil when there is none) and notes its readiness.
func (e *event) readVMI(ctx context.Context) error {
	u, err := e.r.o.Client.Resource(wait.VMIResource).Namespace(e.c.Namespace).Get(ctx, e.c.VM, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		e.vmi = nil
		e.down.observe(nil, time.Now())
		return nil
	}
	if err != nil {
		return err
	}
	e.vmi = u
	e.down.observe(u, time.Now())
	return nil
}

// readyAgain waits for a VMI other than oldUID to be Ready with its
// workload active, as wait classifies it.
func (e *event) readyAgain(ctx context.Context, oldUID types.UID) bool {
	state, why := wait.State(""), "no VirtualMachineInstance yet"
	ok := e.until(ctx, "not ready again", func(ctx context.Context) (bool, error) {
		if err := e.readVMI(ctx); err != nil {
			return false, err
		}
		if e.vmi == nil || e.vmi.GetUID() == oldUID {
			return false, nil
		}
		vm, err := e.r.o.Client.Resource(wait.VMResource).Namespace(e.c.Namespace).Get(ctx, e.c.VM, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		state, why = wait.Classify(vm, e.vmi)
		return state == wait.Ready || state == wait.Failed, nil
	})
	if !ok {
		e.d.Reason += ": " + why
		return false
	}
	if state == wait.Failed {
		e.fail(OutcomeFailed, "%s", why)
		return false
	}
	e.d.TargetNode, _, _ = unstructured.NestedString(e.vmi.Object, "status", "nodeName")
	return true
}

// restart deletes the VMI (or asks the restart subresource) and waits for
// a new one to be ready.
func (e *event) restart(ctx context.Context) {
	if err := e.readVMI(ctx); err != nil || e.vmi == nil {
		if !e.denied(err) {
			e.fail(OutcomeFailed, "reading the VMI: %v", errOr(err, "it is gone"))
		}
		return
	}
	old := e.vmi.GetUID()
	var err error
	if e.r.o.RestartVM != nil {
		err = e.r.o.RestartVM(ctx, e.c.Namespace, e.c.VM)
	} else {
		err = e.r.o.Client.Resource(wait.VMIResource).Namespace(e.c.Namespace).Delete(ctx, e.c.VM,
			metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &old}})
	}
	if err != nil {
		if !e.denied(err) {
			e.fail(OutcomeFailed, "restarting: %v", access.Explain(err))
		}
		return
	}
	if e.readyAgain(ctx, old) {
		e.d.Outcome = OutcomeSucceeded
	}
}

func errOr(err error, msg string) error {
	if err != nil {
		return access.Explain(err)
	}
	return errors.New(msg)
}
