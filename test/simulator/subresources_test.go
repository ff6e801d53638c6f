package simulator_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// restartServed reports whether the API server's discovery lists the
// restart subresource, as the plugin asks it.
func restartServed(d discovery.DiscoveryInterface) bool {
	list, err := d.ServerResourcesForGroupVersion(simulator.SubresourceGroupVersion.String())
	return err == nil && slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == "virtualmachines/restart" })
}

func poll(ctx context.Context, t *testing.T, what string, cond func(ctx context.Context) bool) {
	t.Helper()
	err := utilwait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		return cond(ctx), nil
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// TestRestartSubresource: with Options.Subresources the API server serves
// subresources.kubevirt.io/v1 virtualmachines/restart through the
// simulator; a PUT there restarts the VM (a new VMI, with a new UID, ready
// again) and is counted, answers NotFound for a VM that does not exist and
// Conflict for a stopped one. Once the simulator stops, the APIService is
// gone and discovery of the whole server succeeds again.
func TestRestartSubresource(t *testing.T) {
	var e *day2Env
	t.Cleanup(func() {
		// Runs after the simulator has stopped.
		if _, err := e.client.Resource(simulator.APIServices).Get(context.Background(), simulator.SubresourceAPIService, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("APIService %s after the simulator stopped: %v, want NotFound", simulator.SubresourceAPIService, err)
		}
		// The aggregator may take a moment to drop the group; until then
		// it is still served, not failing.
		poll(context.Background(), t, "discovery without the group", func(context.Context) bool {
			groups, _, err := e.kube.Discovery().ServerGroupsAndResources()
			return err == nil && !slices.ContainsFunc(groups, func(g *metav1.APIGroup) bool { return g.Name == simulator.SubresourceGroupVersion.Group })
		})
	})
	sub := &simulator.Subresources{}
	e = newDay2Env(t, simulator.Options{Subresources: sub})
	poll(t.Context(), t, "discovery to list virtualmachines/restart", func(context.Context) bool { return restartServed(e.kube.Discovery()) })
	restart := func(name string) error {
		return e.kube.Discovery().RESTClient().Put().
			AbsPath("/apis", simulator.SubresourceGroupVersion.String(), "namespaces", e.ns, "virtualmachines", name, "restart").
			Body([]byte("{}")).SetHeader("Content-Type", "application/json").Do(t.Context()).Error()
	}

	e.createVM(t, "phoenix", nil)
	old := e.readyVMI(t, "phoenix")
	if err := restart("phoenix"); err != nil {
		t.Fatalf("restarting through the subresource: %v", err)
	}
	e.newVMI(t, "phoenix", old.UID, "a new Ready VMI", ready)
	if got := sub.Restarts(e.ns); len(got) != 1 || got["phoenix"] != 1 {
		t.Errorf("restarts counted: %v, want phoenix once", got)
	}

	if err := restart("ghost"); !apierrors.IsNotFound(err) {
		t.Errorf("restarting a VM that does not exist: %v, want NotFound", err)
	}
	e.setRunStrategy(t, "phoenix", kubevirtv1.RunStrategyHalted)
	if err := restart("phoenix"); !apierrors.IsConflict(err) {
		t.Errorf("restarting a Halted VM: %v, want Conflict", err)
	}
	if got := sub.Restarts(e.ns); got["phoenix"] != 1 || len(got) != 1 {
		t.Errorf("restarts counted after the refused ones: %v, want phoenix once", got)
	}
}

// staleAPIService registers the restart subresource's APIService for a
// Service that is not there, as a simulator that died leaves it, labelled
// the simulator's when owned.
func staleAPIService(t *testing.T, client dynamic.Interface, owned bool) {
	t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]any{"name": simulator.SubresourceAPIService},
		"spec": map[string]any{
			"group": simulator.SubresourceGroupVersion.Group, "version": simulator.SubresourceGroupVersion.Version,
			"groupPriorityMinimum": int64(1000), "versionPriority": int64(15), "insecureSkipTLSVerify": true,
			"service": map[string]any{"name": "gone", "namespace": metav1.NamespaceDefault, "port": int64(1)},
		},
	}}
	if owned {
		u.SetLabels(map[string]string{simulator.OwnerLabel: "true"})
	}
	if _, err := client.Resource(simulator.APIServices).Create(t.Context(), u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = client.Resource(simulator.APIServices).Delete(context.Background(), simulator.SubresourceAPIService, metav1.DeleteOptions{})
	})
}

// TestSubresourcesReplaceAStaleAPIService: an APIService a simulator left
// behind, its server gone, breaks discovery of the whole API server; a
// simulator that starts replaces it and, once stopped, leaves discovery
// whole. One that is not the simulator's (a real virt-api's) it leaves
// alone, and does not start.
func TestSubresourcesReplaceAStaleAPIService(t *testing.T) {
	c := cluster.Shared(t)
	client, _ := c.Clients(t)
	kube, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	ns := c.Namespace(t)
	staleAPIService(t, client, true)
	poll(t.Context(), t, "discovery to fail on the unavailable group", func(context.Context) bool {
		_, _, err := kube.Discovery().ServerGroupsAndResources()
		return discovery.IsGroupDiscoveryFailedError(err)
	})

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- simulator.Run(ctx, c.Config(), simulator.Options{Namespace: ns, Subresources: &simulator.Subresources{}})
	}()
	poll(t.Context(), t, "the simulator to serve virtualmachines/restart", func(context.Context) bool { return restartServed(kube.Discovery()) })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("simulator: %v", err)
	}
	poll(t.Context(), t, "discovery to succeed", func(context.Context) bool {
		_, _, err := kube.Discovery().ServerGroupsAndResources()
		return err == nil
	})

	staleAPIService(t, client, false)
	err = simulator.Run(t.Context(), c.Config(), simulator.Options{Namespace: ns, Subresources: &simulator.Subresources{}})
	if err == nil || !strings.Contains(err.Error(), "is not the simulator's") {
		t.Errorf("starting over an APIService not the simulator's: %v, want an error saying so", err)
	}
	u, err := client.Resource(simulator.APIServices).Get(t.Context(), simulator.SubresourceAPIService, metav1.GetOptions{})
	if err != nil || u.GetLabels()[simulator.OwnerLabel] != "" {
		t.Errorf("the APIService that is not the simulator's: %v, %v; want it left alone", err, u)
	}
}
