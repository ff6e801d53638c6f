// Package follow keeps a store up to date with a run's objects of one
// kind: a reflector (a list, or a streaming list, then one watch, resumed
// when the server closes it) with the run's label selector. wait follows
// the run's VMs, VMIs and DataVolumes into its tracker, cleanup what is
// left of a run until it is gone: a few requests per kind, whatever the
// size of the run.
package follow

import (
	"context"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
)

// Lister lists and watches one kind in one namespace (or all): what the
// dynamic and the metadata clients' resource interfaces both offer.
type Lister[L runtime.Object] interface {
	List(ctx context.Context, opts metav1.ListOptions) (L, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// Kind is one reflector's work.
type Kind[L runtime.Object] struct {
	// Name names the reflector in client-go's logs ("wait virtualmachines").
	Name string
	// Resource is the kind's plural resource, for errors.
	Resource string
	Lister   Lister[L]
	// Client is the client Lister came from: client-go asks it whether it
	// can stream the initial list (WatchList).
	Client   any
	Selector string
	// Example is an empty object of the type the store receives.
	Example runtime.Object
	Store   cache.ReflectorStore
}

// Run starts k's reflector until ctx ends, counted in wg. A list or watch
// the server refuses (forbidden, unauthorized) goes to denied, if there is
// room, rather than being only retried: a missing permission does not
// appear by waiting.
func Run[L runtime.Object](ctx context.Context, wg *sync.WaitGroup, k Kind[L], denied chan<- error) {
	refused := func(err error) error {
		if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
			select {
			case denied <- fmt.Errorf("watching %s: %w", k.Resource, access.Explain(err)):
			default:
			}
		}
		return err
	}
	lw := cache.ToListWatcherWithWatchListSemantics(&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, lo metav1.ListOptions) (runtime.Object, error) {
			lo.LabelSelector = k.Selector
			l, err := k.Lister.List(ctx, lo)
			if err != nil {
				return nil, refused(err)
			}
			return l, nil
		},
		WatchFuncWithContext: func(ctx context.Context, lo metav1.ListOptions) (watch.Interface, error) {
			lo.LabelSelector = k.Selector
			w, err := k.Lister.Watch(ctx, lo)
			if err != nil {
				return nil, refused(err)
			}
			return w, nil
		},
	}, k.Client)
	r := cache.NewReflectorWithOptions(lw, k.Example, k.Store, cache.ReflectorOptions{Name: k.Name, TypeDescription: k.Resource})
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.RunWithContext(ctx)
	}()
}
