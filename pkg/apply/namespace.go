package apply

import (
	"context"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/retry"
)

// namespace creates the run's namespace unless it exists. An existing
// namespace is used as it is: apply never claims a namespace it did not
// create, and marks the ones it creates so cleanup can tell them apart.
func (a *Applier) namespace(ctx context.Context, res dynamic.NamespaceableResourceInterface, obj *unstructured.Unstructured) Result {
	r := Result{Kind: "Namespace", Name: obj.GetName()}
	var existing *unstructured.Unstructured
	err := retry.Do(ctx, a.opts.Retry, func() error {
		var err error
		existing, err = res.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
	if err != nil {
		r.Outcome, r.Err, r.At = Failed, describe(r, err), time.Now()
		return r
	}
	if existing != nil {
		r.Outcome, r.At = Existing, time.Now()
		if existing.GetAnnotations()[labels.CreatedByRun] != "" {
			r.Outcome = Unchanged // created by a virtwork run, as it is
		}
		return r
	}
	ns := obj.DeepCopy()
	ann := ns.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[labels.CreatedByRun] = ns.GetLabels()[labels.RunID]
	ns.SetAnnotations(ann)
	opts := metav1.CreateOptions{FieldManager: labels.FieldManager}
	if a.opts.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	err = retry.Do(ctx, a.opts.Retry, func() error {
		_, err := res.Create(ctx, ns, opts)
		return err
	})
	r.At = time.Now()
	if apierrors.IsAlreadyExists(err) {
		r.Outcome = Existing // created meanwhile by someone else: not ours
		// ... unless it was this very create, retried after its answer
		// was lost: then it carries this run's annotation.
		var got *unstructured.Unstructured
		err = retry.Do(ctx, a.opts.Retry, func() error {
			var err error
			got, err = res.Get(ctx, ns.GetName(), metav1.GetOptions{})
			return err
		})
		if err == nil && got.GetAnnotations()[labels.CreatedByRun] == ann[labels.CreatedByRun] {
			r.Outcome = Created
		}
		if err != nil {
			r.Outcome, r.Err = Failed, describe(r, err)
		}
		return r
	}
	switch {
	case err != nil:
		r.Outcome, r.Err = Failed, describe(r, err)
	default:
		r.Outcome = Created
		if a.opts.DryRun {
			a.newNamespaces.Store(ns.GetName(), true)
		}
	}
	return r
}
