package cleanup_test

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"

	"github.com/virtwork/kubectl-virtwork/pkg/apply"
	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/cleanup"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/faultproxy"
	"github.com/virtwork/kubectl-virtwork/test/runs"
)

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

var (
	secrets  = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	services = schema.GroupVersionResource{Version: "v1", Resource: "services"}
)

func count(t *testing.T, client dynamic.Interface, gvr schema.GroupVersionResource, ns, runID string) int {
	t.Helper()
	l, err := client.Resource(gvr).Namespace(ns).List(t.Context(), metav1.ListOptions{LabelSelector: labels.Selector(runID)})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, item := range l.Items {
		if item.GetDeletionTimestamp() == nil {
			n++
		}
	}
	return n
}

// TestRunRemovesOneRun: a refusal and a dry run delete nothing; then
// cleanup removes exactly one run, waits until it is gone, and records
// itself linked to that run.
func TestRunRemovesOneRun(t *testing.T) {
	c := cluster.Shared(t)
	client, mapper := c.Clients(t)
	meta, err := metadata.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	ns := c.Namespace(t)
	gone := runs.Bundle(t, ns, "--workloads", "network")
	kept := runs.Bundle(t, ns, "--workloads", "cpu")
	a := apply.New(client, mapper, apply.Options{Concurrency: 4})
	if _, err := a.Apply(t.Context(), gone.Objects()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(t.Context(), kept.Objects()); err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	opts := cleanup.Options{
		Metadata: meta, Mapper: mapper, Namespace: ns, RunID: gone.RunID,
		Wait: true, Timeout: time.Minute, AuditDB: filepath.Join(t.TempDir(), "audit.db"),
		Out: &out, Log: &log,
	}

	asked := 0
	refuse := opts
	refuse.Confirm = func(total int) (bool, error) { asked = total; return false, nil }
	if err := cleanup.Run(t.Context(), refuse); err != nil || asked != 5 || !strings.Contains(log.String(), "nothing was deleted") {
		t.Fatalf("refused: %v, asked about %d objects, log %q", err, asked, log.String())
	}
	failing := opts
	failing.Confirm = func(int) (bool, error) { return false, errors.New("no terminal") }
	if err := cleanup.Run(t.Context(), failing); err == nil || err.Error() != "no terminal" {
		t.Fatalf("confirm error: %v", err)
	}
	dry := opts
	dry.DryRun = true
	out.Reset()
	if err := cleanup.Run(t.Context(), dry); err != nil || !strings.Contains(out.String(), "dry run: nothing was deleted") || !strings.Contains(out.String(), "VirtualMachine  2") {
		t.Fatalf("dry run: %v\n%s", err, out.String())
	}
	if n := count(t, client, wait.VMResource, ns, gone.RunID); n != 2 {
		t.Fatalf("%d VMs after a refusal and a dry run, want 2", n)
	}
	if _, err := os.Stat(opts.AuditDB); err == nil {
		t.Error("a cleanup that deleted nothing was recorded")
	}

	if err := cleanup.Run(t.Context(), opts); err != nil {
		t.Fatalf("cleanup: %v\n%s", err, log.String())
	}
	for _, gvr := range []schema.GroupVersionResource{wait.VMResource, secrets, services} {
		if n := count(t, client, gvr, ns, gone.RunID); n != 0 {
			t.Errorf("%d %s of the run remain", n, gvr.Resource)
		}
	}
	if n := count(t, client, wait.VMResource, ns, kept.RunID); n != 1 {
		t.Errorf("the other run has %d VMs, want 1", n)
	}
	store, err := audit.Open(t.Context(), opts.AuditDB)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	hist, err := store.History(t.Context(), 10)
	if err != nil || len(hist) != 1 || hist[0].Command != audit.CommandCleanup || hist[0].Status != audit.Succeeded {
		t.Fatalf("history (%v): %+v", err, hist)
	}
	d, err := store.Get(t.Context(), hist[0].ID)
	if err != nil || len(d.Removed) != 1 || d.Removed[0] != gone.RunID {
		t.Errorf("cleanup detail (%v): %+v", err, d)
	}

	out.Reset()
	if err := cleanup.Run(t.Context(), opts); err != nil || !strings.Contains(out.String(), "nothing to delete: no objects of run "+gone.RunID+" in namespace "+ns) {
		t.Errorf("second cleanup: %v %q", err, out.String())
	}
}

// TestRunAsksAgainWhenTheServerTimesOut: a collection delete the server
// could not finish within its request timeout (504, as 10,000 VMs on a
// small control plane get) is sent again until it is answered, and the
// cleanup then ends with the run gone.
func TestRunAsksAgainWhenTheServerTimesOut(t *testing.T) {
	c := cluster.Shared(t)
	client, mapper := c.Clients(t)
	ns := c.Namespace(t)
	run := runs.Bundle(t, ns, "--workloads", "cpu", "--vm-count", "3")
	if _, err := apply.New(client, mapper, apply.Options{Concurrency: 4}).Apply(t.Context(), run.Objects()); err != nil {
		t.Fatal(err)
	}
	proxy, err := faultproxy.New(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Stop()
	var timedOut atomic.Int32
	proxy.SetFault(func(r faultproxy.Request) faultproxy.Action {
		if r.Verb == "deletecollection" && r.Resource == "virtualmachines" && timedOut.Add(1) <= 2 {
			return faultproxy.Action{Status: http.StatusGatewayTimeout}
		}
		return faultproxy.Action{}
	})
	meta, err := metadata.NewForConfig(proxy.Config())
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	err = cleanup.Run(t.Context(), cleanup.Options{Metadata: meta, Mapper: mapper, Namespace: ns, RunID: run.RunID,
		Wait: true, Timeout: time.Minute, Out: &out, Log: &log})
	if err != nil || strings.Count(log.String(), "the server timed out, but may still be deleting; asking again") != 2 {
		t.Fatalf("cleanup: %v\n%s%s", err, out.String(), log.String())
	}
	if n := proxy.Count(func(r faultproxy.Request) bool {
		return r.Verb == "deletecollection" && r.Resource == "virtualmachines"
	}); n != 3 {
		t.Errorf("%d collection deletes of the VMs, want 3 (two timed out)", n)
	}
	if n := count(t, client, wait.VMResource, ns, run.RunID); n != 0 {
		t.Errorf("%d VMs left", n)
	}
}
