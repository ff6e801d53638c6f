package resilience

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/faultproxy"
	"github.com/virtwork/kubectl-virtwork/test/runs"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

// The kinds a run leaves in the cluster, directly or through KubeVirt.
var (
	nsGVR     = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	svcGVR    = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	secretGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	pvcGVR    = schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}
	vmGVR     = simulator.VirtualMachines
	vmiGVR    = simulator.VirtualMachineInstances
	dvGVR     = simulator.DataVolumes
)

// gvrOf maps the bundle's kinds to their resources.
var gvrOf = map[string]schema.GroupVersionResource{
	"Namespace": nsGVR, "Service": svcGVR, "Secret": secretGVR, "VirtualMachine": vmGVR,
}

// run200 is the 200-VM run of these tests: 50 CPU VMs, 50 iperf3 pairs
// (50 Services, a Secret per client) and 50 fio VMs with DataVolumes;
// 304 objects.
var run200 = []string{"--workloads", "cpu,network,disk", "--vm-count", "50"}

// env is one test's view: the shared control plane, an admin client and a
// fault proxy in front of the API server, with a kubeconfig for it.
type env struct {
	c          *cluster.Cluster
	client     dynamic.Interface
	proxy      *faultproxy.Proxy
	kubeconfig string
	auditDB    string
	bin        string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := cluster.Shared(t)
	client, _ := c.Clients(t)
	p, err := faultproxy.New(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	dir := t.TempDir()
	e := &env{c: c, client: client, proxy: p, kubeconfig: filepath.Join(dir, "kubeconfig"), auditDB: filepath.Join(dir, "audit.db"), bin: tools.Plugin(t)}
	if err := p.WriteKubeconfig(e.kubeconfig, "default"); err != nil {
		t.Fatal(err)
	}
	return e
}

// freshNamespace names a namespace that does not exist yet, so the run
// creates it; it is deleted when the test ends.
func (e *env) freshNamespace(t *testing.T, prefix string) string {
	t.Helper()
	ns := prefix + "-" + strings.ToLower(strings.ReplaceAll(time.Now().Format("150405.000000"), ".", ""))
	t.Cleanup(func() {
		_ = e.client.Resource(nsGVR).Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	return ns
}

// simulate plays KubeVirt and CDI for ns until the test ends, talking to
// the API server directly (not through the proxy).
func (e *env) simulate(t *testing.T, ns string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- simulator.Run(ctx, e.c.Config(), simulator.Options{Namespace: ns, StepDelay: 50 * time.Millisecond, Workers: 16})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulator: %v", err)
		}
	})
}

type outcome struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// command returns the plugin's command line through the proxy.
func (e *env) command(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, e.bin, append(args, "--kubeconfig", e.kubeconfig)...)
	c.Env = append(os.Environ(), "VIRTWORK_AUDIT_DB="+e.auditDB)
	return c
}

// run runs the plugin to the end.
func (e *env) run(t *testing.T, args ...string) outcome {
	t.Helper()
	var out, errOut bytes.Buffer
	c := e.command(t.Context(), args...)
	c.Stdout, c.Stderr = &out, &errOut
	start := time.Now()
	err := c.Run()
	o := outcome{stdout: out.String(), stderr: errOut.String(), took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		o.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %v: %v", args, err)
	}
	return o
}

func mustRun(t *testing.T, o outcome, what string) outcome {
	t.Helper()
	if o.code != 0 {
		t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", what, o.code, o.stdout, o.stderr)
	}
	return o
}

// summary is the part of apply's -o json summary the tests check.
type summary struct {
	RunID        string
	Objects      map[string]map[string]int
	ApplyErrors  []string
	NotAttempted int
	VMs          *struct {
		Total, Ready    int
		Failed, Waiting []struct{ Name, Reason string }
	}
	Present        map[string][]string
	Interrupted    bool
	CleanupCommand string
}

func parseSummary(t *testing.T, o outcome) summary {
	t.Helper()
	var s summary
	if err := json.Unmarshal([]byte(o.stdout), &s); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s\nstderr:\n%s", err, o.stdout, o.stderr)
	}
	return s
}

// bundle renders the run the plugin applies, for its expected names.
func bundle(t *testing.T, ns, runID string, args ...string) *render.Bundle {
	t.Helper()
	return runs.Bundle(t, ns, append([]string{"--run-id", runID}, args...)...)
}

// expectedNames lists the bundle's object names per kind, sorted.
func expectedNames(b *render.Bundle) map[string][]string {
	out := map[string][]string{}
	for o := range b.Objects() {
		out[o.GetKind()] = append(out[o.GetKind()], o.GetName())
	}
	for _, names := range out {
		sort.Strings(names)
	}
	return out
}

// labelled lists the names of the run's live objects of gvr (all
// namespaces for cluster-scoped kinds), sorted.
func (e *env) labelled(t *testing.T, gvr schema.GroupVersionResource, ns, runID string) []string {
	t.Helper()
	var ri dynamic.ResourceInterface = e.client.Resource(gvr)
	if gvr != nsGVR {
		ri = e.client.Resource(gvr).Namespace(ns)
	}
	l, err := ri.List(context.Background(), metav1.ListOptions{LabelSelector: "virtwork/run-id=" + runID})
	if err != nil {
		t.Fatalf("listing %s: %v", gvr.Resource, err)
	}
	var names []string
	for _, o := range l.Items {
		if o.GetDeletionTimestamp() == nil {
			names = append(names, o.GetName())
		}
	}
	sort.Strings(names)
	return names
}

// assertExactly checks that the cluster holds each of the bundle's objects
// once and nothing else of the run.
func (e *env) assertExactly(t *testing.T, b *render.Bundle) {
	t.Helper()
	for kind, want := range expectedNames(b) {
		if diff := cmp.Diff(want, e.labelled(t, gvrOf[kind], b.Namespace, b.RunID)); diff != "" {
			t.Errorf("%s in the cluster (-want +got):\n%s", kind, diff)
		}
	}
}

// assertNothingLeft waits until nothing labelled with the run is left of
// any kind, the garbage-collected ones (VMIs, PVCs) included.
func (e *env) assertNothingLeft(t *testing.T, ns, runID string) {
	t.Helper()
	kinds := []schema.GroupVersionResource{nsGVR, svcGVR, secretGVR, vmGVR, vmiGVR, dvGVR, pvcGVR}
	var left map[string][]string
	err := utilwait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		left = map[string][]string{}
		for _, gvr := range kinds {
			if names := e.labelled(t, gvr, ns, runID); len(names) > 0 {
				left[gvr.Resource] = names
			}
		}
		return len(left) == 0, nil
	})
	if err != nil {
		t.Fatalf("labelled objects of run %s left: %v", runID, left)
	}
}
