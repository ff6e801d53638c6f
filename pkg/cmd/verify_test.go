package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/disrupt"
	"github.com/virtwork/kubectl-virtwork/pkg/verify"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// fakePrometheus answers the two calls verify makes for a cpu run: the
// metric names, and a range query where the run's one VM is at 0.1 vCPU
// (its expected band is around 1: the check fails). It counts requests.
func fakePrometheus(t *testing.T, vm string) (*httptest.Server, *atomic.Int32) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var data any
		switch r.URL.Path {
		case "/api/v1/label/__name__/values":
			data = []string{"kubevirt_vmi_cpu_usage_seconds_total"}
		case "/api/v1/rules":
			data = map[string]any{"groups": []any{}}
		case "/api/v1/query_range":
			from, _ := strconv.ParseFloat(r.Form.Get("start"), 64)
			to, _ := strconv.ParseFloat(r.Form.Get("end"), 64)
			step, _ := strconv.ParseFloat(r.Form.Get("step"), 64)
			var values [][2]any
			for ts := from; ts <= to; ts += step {
				values = append(values, [2]any{ts, "0.1"})
			}
			data = map[string]any{"resultType": "matrix", "result": []any{
				map[string]any{"metric": map[string]string{"namespace": "virtwork", "name": vm}, "values": values}}}
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": data})
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

// TestVerifyReport: --report writes the page even when a check fails
// (exit 3 as without it), readable by all, and says where on stderr; a
// path that cannot be written is refused before Prometheus is asked.
func TestVerifyReport(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	applied := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	store, err := audit.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.Start(context.Background(), audit.Invocation{RunID: runID, Command: audit.CommandApply, Namespace: "virtwork",
		Workloads: []string{"cpu"}, StartedAt: applied, Options: map[string]string{"cpu.params": "load-percent=100"}})
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	vm := "virtwork-cpu-" + runID[:8] + "-0"
	srv, requests := fakePrometheus(t, vm)
	run := func(report string) (int, string, string) {
		var out, errOut bytes.Buffer
		streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
		deps := Deps{Registry: workloads.Builtin(), LookupEnv: func(string) (string, bool) { return "", false }, ReadFile: os.ReadFile,
			OpenDir: os.DirFS, Now: func() time.Time { return applied.Add(10 * time.Minute) }}
		code := Execute(context.Background(), streams, deps, []string{"verify", "-n", "virtwork", "--audit-db", db,
			"--prometheus", srv.URL, "--token", "t", "--report", report})
		return code, out.String(), errOut.String()
	}

	report := filepath.Join(dir, "verify.html")
	code, stdout, stderr := run(report)
	if code != ExitNotReady || !strings.Contains(stdout, "below the band") {
		t.Fatalf("exit %d, want %d for a failed check; stdout:\n%s\nstderr:\n%s", code, ExitNotReady, stdout, stderr)
	}
	if !strings.Contains(stderr, "report: "+report+"\n") {
		t.Errorf("stderr does not say where the report is:\n%s", stderr)
	}
	fi, err := os.Stat(report)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(report)
	if fi.Mode().Perm() != 0o644 || !strings.Contains(string(page), `<svg class="chart" data-workload="cpu"`) ||
		!strings.Contains(string(page), `<path d="M`) || !strings.Contains(string(page), vm) {
		t.Errorf("report mode %v, %d bytes: want 0644 and the cpu chart with %s's series", fi.Mode().Perm(), len(page), vm)
	}

	before := requests.Load()
	for bad, want := range map[string]string{
		filepath.Join(dir, "no", "such", "r.html"): "directory " + filepath.Join(dir, "no", "such") + " does not exist",
		dir: "is a directory; give a file name such as " + filepath.Join(dir, "verify.html"),
	} {
		code, _, stderr := run(bad)
		if code != ExitUsage || !strings.Contains(stderr, "--report "+bad) || !strings.Contains(stderr, want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("--report %s: exit %d, stderr %q; want %d and one line with %q", bad, code, stderr, ExitUsage, want)
		}
	}
	if n := requests.Load() - before; n != 0 {
		t.Errorf("a bad --report still sent %d requests to Prometheus", n)
	}
}

// TestVerifyDisruptions: verify reads the run's disruptions from the
// audit history, as disrupt records them, and judges the VM around each:
// here a restart after which the VM's load (0.1 vCPU, its band around 1)
// never comes back.
func TestVerifyDisruptions(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	applied := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	vm := "virtwork-cpu-" + runID[:8] + "-0"
	ctx := context.Background()
	store, err := audit.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.Start(ctx, audit.Invocation{RunID: runID, Command: audit.CommandApply, Namespace: "virtwork",
		Workloads: []string{"cpu"}, StartedAt: applied, Options: map[string]string{"cpu.params": "load-percent=100"}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := store.Start(ctx, audit.Invocation{RunID: runID, Command: audit.CommandDisrupt, Namespace: "virtwork", StartedAt: applied.Add(2 * time.Minute)})
	if err == nil {
		err = store.RecordDisruptions(ctx, id, []audit.Disruption{{RunID: runID, Namespace: "virtwork", VM: vm, Kind: string(disrupt.Restart),
			Start: applied.Add(3 * time.Minute), End: applied.Add(4 * time.Minute), Outcome: disrupt.OutcomeSucceeded}})
	}
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := fakePrometheus(t, vm)
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	deps := Deps{Registry: workloads.Builtin(), LookupEnv: func(string) (string, bool) { return "", false }, ReadFile: os.ReadFile,
		OpenDir: os.DirFS, Now: func() time.Time { return applied.Add(10 * time.Minute) }}
	code := Execute(ctx, streams, deps, []string{"verify", "-n", "virtwork", "--audit-db", db, "--prometheus", srv.URL, "--token", "t", "-o", "json"})
	var res verify.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || code != ExitNotReady {
		t.Fatalf("exit %d, %v; stderr:\n%s", code, err, errOut.String())
	}
	if len(res.Continuity) != 1 || res.Continuity[0].Event.VM != vm || res.Continuity[0].Event.Kind != verify.KindRestart ||
		res.Continuity[0].Outcome != verify.Failed || !strings.Contains(res.Continuity[0].Why, "the load did not return to its band") {
		t.Errorf("continuity %+v", res.Continuity)
	}
}

// TestDisruptionKinds: verify spells the kinds and the outcome of an
// event that completed as disrupt records them.
func TestDisruptionKinds(t *testing.T) {
	for got, want := range map[string]string{verify.KindMigrate: string(disrupt.Migrate), verify.KindRestart: string(disrupt.Restart),
		verify.KindStopStart: string(disrupt.StopStart), verify.EventSucceeded: disrupt.OutcomeSucceeded} {
		if got != want {
			t.Errorf("verify spells %q, disrupt %q", got, want)
		}
	}
}
