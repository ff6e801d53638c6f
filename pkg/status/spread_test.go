package status_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/status"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/runs"
)

// TestSpreadRunIsOneRun: a run spread over namespaces is one run, its
// namespaces in numeric order (-10 after -2) and each VM with its own;
// with the run's namespaces given, a VM with its run id elsewhere is not
// counted; -A (no namespaces) finds every VM with the id.
func TestSpreadRunIsOneRun(t *testing.T) {
	c := cluster.Shared(t)
	client, mapper := c.Clients(t)
	other := c.Namespace(t)
	b, elsewhere := runs.Spread(t, client, other, []string{"--workloads", "cpu", "--vm-count", "11", "--namespaces", "11"}, []string{"--workloads", "memory"})
	id := b.RunID
	deploy(t, client, mapper, b.Objects(), nil)
	deploy(t, client, mapper, elsewhere.Objects(), nil)

	got, err := status.List(t.Context(), client, status.Options{Namespace: "ignored", Namespaces: b.Namespaces, RunID: id, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].VMs != 11 || strings.Join(got[0].Namespaces, ",") != strings.Join(b.Namespaces, ",") || got[0].Namespace != b.Namespaces[0] {
		t.Fatalf("status of the spread run: %+v", got)
	}
	for _, m := range got[0].Machines {
		if !slices.Contains(b.Namespaces, m.Namespace) {
			t.Errorf("VM %s in %q, not one of the run's namespaces", m.Name, m.Namespace)
		}
	}
	var out, errOut bytes.Buffer
	if err := status.Print(&out, &errOut, got, ""); err != nil {
		t.Fatal(err)
	}
	// The run's row names its namespaces; the VM table starts with theirs.
	if want := b.Namespaces[0] + ".." + b.Namespaces[10] + " (11)"; !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "\nNAMESPACE ") {
		t.Errorf("the table does not show the run over its namespaces (%s):\n%s", want, out.String())
	}

	all, err := status.List(t.Context(), client, status.Options{RunID: id, Now: time.Now})
	if err != nil || len(all) != 1 || all[0].VMs != 12 || len(all[0].Namespaces) != 12 {
		t.Errorf("-A: %v %+v", err, all)
	}
}
