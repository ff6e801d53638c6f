package cleanup_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/metadata"

	"github.com/virtwork/kubectl-virtwork/pkg/apply"
	"github.com/virtwork/kubectl-virtwork/pkg/cleanup"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/runs"
)

// TestSpreadRunIsCleanedInItsNamespaces: cleanup of a run spread over two
// namespaces deletes it in both and, with --delete-namespace, deletes both
// namespaces it created; objects with the same run id in a third
// namespace are not the run's and stay.
func TestSpreadRunIsCleanedInItsNamespaces(t *testing.T) {
	c := cluster.Shared(t)
	client, mapper := c.Clients(t)
	other := c.Namespace(t)
	b, elsewhere := runs.Spread(t, client, other, []string{"--workloads", "cpu,network", "--vm-count", "2", "--namespaces", "2"}, []string{"--workloads", "cpu"})
	id := b.RunID
	a := apply.New(client, mapper, apply.Options{Concurrency: 4})
	if _, err := a.Apply(t.Context(), b.Objects()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(t.Context(), elsewhere.Objects()); err != nil {
		t.Fatal(err)
	}
	meta, err := metadata.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	err = cleanup.Run(t.Context(), cleanup.Options{
		Metadata: meta, Mapper: mapper, Namespace: "ignored", Namespaces: b.Namespaces, RunID: id,
		Wait: true, Timeout: time.Minute, DeleteNamespace: true, Out: &out, Log: &log,
	})
	if err != nil {
		t.Fatalf("cleanup: %v\n%s%s", err, out.String(), log.String())
	}
	for _, ns := range b.Namespaces {
		if !strings.Contains(out.String(), "deleted namespace "+ns) {
			t.Errorf("namespace %s kept:\n%s", ns, out.String())
		}
		if n := count(t, client, secrets, ns, id); n != 0 {
			t.Errorf("%d Secrets of the run left in %s", n, ns)
		}
	}
	if n := count(t, client, secrets, other, id); n != 1 {
		t.Errorf("%d Secrets with the run id in %s, want its 1 untouched:\n%s", n, other, out.String())
	}
}
