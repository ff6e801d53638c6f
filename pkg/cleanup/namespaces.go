package cleanup

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilwait "k8s.io/apimachinery/pkg/util/wait"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

var namespaceGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// cleanNamespaces deletes, with DeleteNamespace, the namespaces virtwork
// created that hold nothing else; it says why it keeps any other. With
// nothing found (f nil) it looks at Namespace alone, or a spread run's
// Namespaces.
func (c *cleaner) cleanNamespaces(ctx context.Context, f *Found) error {
	if !c.o.DeleteNamespace {
		return nil
	}
	var names []string
	switch {
	case c.spread():
		// Every namespace of the run, found or not: an earlier cleanup
		// may have emptied some and stopped before deleting them.
		names = c.o.Namespaces
	case f != nil:
		names = slices.Sorted(maps.Keys(f.ByNamespace))
	case c.o.Namespace != "":
		names = []string{c.o.Namespace}
	}
	for _, ns := range names {
		if err := c.cleanNamespace(ctx, ns); err != nil {
			return err
		}
	}
	return nil
}

func (c *cleaner) cleanNamespace(ctx context.Context, ns string) error {
	obj, err := c.o.Metadata.Resource(namespaceGVR).Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading namespace %s: %w", ns, access.Explain(err))
	}
	if obj.GetAnnotations()[labels.CreatedByRun] == "" {
		fmt.Fprintf(c.o.Out, "kept namespace %s: virtwork did not create it (no %s annotation)\n", ns, labels.CreatedByRun)
		return nil
	}
	if other, err := c.otherObject(ctx, ns); err != nil {
		return err
	} else if other != "" {
		fmt.Fprintf(c.o.Out, "kept namespace %s: it still holds objects virtwork did not create (%s)\n", ns, other)
		return nil
	}
	if err := c.o.Metadata.Resource(namespaceGVR).Delete(ctx, ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting namespace %s: %w", ns, access.Explain(err))
	}
	if c.o.Wait {
		if err := c.namespaceGone(ctx, ns); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.o.Out, "deleted namespace %s\n", ns)
	return nil
}

// namespaceGone waits, until the cleanup's deadline, for the namespace
// controller to finish with ns.
func (c *cleaner) namespaceGone(ctx context.Context, ns string) error {
	wctx, cancel := context.WithDeadline(ctx, c.deadline)
	defer cancel()
	err := utilwait.PollUntilContextCancel(wctx, 500*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := c.o.Metadata.Resource(namespaceGVR).Get(ctx, ns, metav1.GetOptions{})
		// A user whose Role lives in ns loses sight of it when the namespace
		// controller deletes that Role, which it does while finishing ns.
		return apierrors.IsNotFound(err) || apierrors.IsForbidden(err), nil
	})
	if err != nil {
		return fmt.Errorf("namespace %s was not gone within %s (kubectl get namespace %s shows what holds it)", ns, c.o.Timeout, ns)
	}
	return nil
}

// otherObject names an object in ns that is not virtwork's, or "".
func (c *cleaner) otherObject(ctx context.Context, ns string) (string, error) {
	gvrs := []schema.GroupVersionResource{
		{Version: "v1", Resource: "pods"}, {Version: "v1", Resource: "configmaps"},
		wait.VMIResource,
	}
	for _, k := range kinds() {
		gvrs = append(gvrs, k.gvr)
	}
	for _, gvr := range gvrs {
		if !hasAPI(c.o.Mapper, gvr) {
			continue
		}
		list, err := c.o.Metadata.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return "", fmt.Errorf("listing %s in %s: %w", gvr.Resource, ns, access.Explain(err))
		}
		for _, item := range list.Items {
			if item.GetDeletionTimestamp() != nil || item.GetLabels()[labels.ManagedBy] == labels.ManagedByValue {
				continue
			}
			if gvr.Resource == "configmaps" && item.GetName() == "kube-root-ca.crt" {
				continue // every namespace gets one
			}
			return strings.TrimSuffix(gvr.Resource, "s") + "/" + item.GetName(), nil
		}
	}
	return "", nil
}
