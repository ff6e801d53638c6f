package runs

import (
	"context"
	"testing"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/virtwork/kubectl-virtwork/pkg/render"
)

// Spread renders a run spread over new namespaces (args carry
// --namespaces) and a stray: objects with the same run id in the
// namespace other, which are not the run's. The spread's namespaces are
// deleted when the test ends.
func Spread(t testing.TB, client dynamic.Interface, other string, args, strayArgs []string) (run, stray *render.Bundle) {
	t.Helper()
	id := uuid.NewString()
	run = Bundle(t, "vw-spread-"+uuid.NewString()[:8], append(args, "--run-id", id)...)
	stray = Bundle(t, other, append(strayArgs, "--run-id", id)...)
	nsGVR := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	for _, ns := range run.Namespaces {
		t.Cleanup(func() { _ = client.Resource(nsGVR).Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	}
	return run, stray
}
