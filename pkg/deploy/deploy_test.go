package deploy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/virtwork/kubectl-virtwork/pkg/apply"
	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/report"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

// figures finds the latency table in a summary or a history detail: its
// heading, its rows and the notes on VMs timed by observation.
var figures = regexp.MustCompile(`(?m)^LATENCY .*\n(?:(?:\S+ → \S+|\d+ VMs timed by observation:) .*\n)+`)

func latencyTable(t *testing.T, printed string) string {
	t.Helper()
	m := figures.FindString(printed)
	if m == "" {
		t.Fatalf("no latency table in:\n%s", printed)
	}
	return m
}

// historyOf prints the history's detail of runID's only invocation.
func historyOf(t *testing.T, db, runID string) string {
	t.Helper()
	store, err := audit.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var out bytes.Buffer
	if err := report.History(t.Context(), store, report.HistoryOptions{RunID: runID, Out: &out, ErrOut: &out}); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestApplyAndHistoryPrintTheSamePercentiles: the same two VMs, as apply's
// summary shows them and as the history recorded them, give the same
// figures. (Before there was one percentile function, apply printed p50
// 10s here and history p50 25s.)
func TestApplyAndHistoryPrintTheSamePercentiles(t *testing.T) {
	t0 := time.Now()
	res := &wait.Result{Target: wait.ForReady, Done: true, VMs: []wait.VM{
		{Name: "vm-a", State: wait.Ready, Reached: true, Created: t0, ScheduledAt: t0.Add(time.Second),
			RunningAt: t0.Add(10 * time.Second), ReadyAt: t0.Add(11 * time.Second)},
		{Name: "vm-b", State: wait.Ready, Reached: true, Created: t0, ScheduledAt: t0.Add(2 * time.Second),
			RunningAt: t0.Add(25 * time.Second), ReadyAt: t0.Add(26 * time.Second), Observed: "the VMI had no phaseTransitionTimestamps"},
	}}
	sum := report.NewSummary("r1", "ns", "", false)
	sum.AddWait(res)
	var applied bytes.Buffer
	if err := sum.Print(&applied, ""); err != nil {
		t.Fatal(err)
	}

	db := filepath.Join(t.TempDir(), "audit.db")
	rec, err := audit.StartRecorder(t.Context(), db, audit.Invocation{RunID: "r1", Command: audit.CommandApply}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	rec.VMs(vmRecords(res, time.Now()))
	rec.Finish(audit.Succeeded, sum.Counts(), nil)

	got, want := latencyTable(t, historyOf(t, db, "r1")), latencyTable(t, applied.String())
	if got != want || !strings.Contains(want, "created → running            2    10s  25s  25s  25s\n") {
		t.Errorf("apply printed\n%s\nhistory\n%s", want, got)
	}
}

// env is the test API server with the simulator on a fresh namespace.
type env struct {
	opts Options
	ns   string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := cluster.Shared(t)
	client, mapper := c.Clients(t)
	kube, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{ns: c.Namespace(t)}
	e.opts = Options{Client: client, Mapper: mapper, Kube: kube, Concurrency: 8, For: wait.ForReady, Log: &bytes.Buffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- simulator.Run(ctx, c.Config(), simulator.Options{Namespace: e.ns, StepDelay: 50 * time.Millisecond})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulator: %v", err)
		}
	})
	return e
}

// load resolves and renders a run from apply's flags, as the command does.
func (e *env) load(t *testing.T, args ...string) (*config.Config, *render.Bundle) {
	t.Helper()
	fs := pflag.NewFlagSet("apply", pflag.ContinueOnError)
	flags := config.NewFlags()
	flags.AddFlags(fs)
	flags.AddTimeoutFlag(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(workloads.Builtin(), config.Sources{
		Flags: flags, Namespace: e.ns, LookupEnv: func(string) (string, bool) { return "", false },
		ReadFile: os.ReadFile, NewRunID: uuid.NewString,
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := render.Render(render.Input{Config: cfg, Registry: cfg.Registry})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, b
}

// TestApplyRecordsWhatItPrints: a real apply checks, applies, waits and
// records; its summary, a later wait for the same run and the history's
// detail of it print the same latency table, from the server's timestamps.
func TestApplyRecordsWhatItPrints(t *testing.T) {
	e := newEnv(t)
	o := e.opts
	o.Config, o.Bundle = e.load(t, "--workloads", "cpu", "--vm-count", "2", "--timeout", "2m")
	o.AuditDB = filepath.Join(t.TempDir(), "audit.db")
	sum, err := Apply(t.Context(), o)
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, o.Log)
	}
	if !strings.Contains(o.Log.(*bytes.Buffer).String(), "preflight: all") {
		t.Errorf("no preflight in the log:\n%s", o.Log)
	}
	if v := sum.VMs; v == nil || v.Reached != 2 || v.Total != 2 || sum.Objects["VirtualMachine"][apply.Created] != 2 {
		t.Fatalf("summary %+v", sum)
	}
	var applied bytes.Buffer
	if err := sum.Print(&applied, ""); err != nil {
		t.Fatal(err)
	}
	history := historyOf(t, o.AuditDB, o.Bundle.RunID)
	if got, want := latencyTable(t, history), latencyTable(t, applied.String()); got != want {
		t.Errorf("apply printed\n%s\nhistory\n%s", want, got)
	}
	waited, err := Wait(t.Context(), WaitOptions{Client: o.Client, Namespace: o.Bundle.Namespace, RunID: o.Bundle.RunID,
		Timeout: time.Minute, For: wait.ForReady, Log: io.Discard})
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	var waitedOut bytes.Buffer
	if err := waited.Print(&waitedOut, ""); err != nil {
		t.Fatal(err)
	}
	if got, want := latencyTable(t, waitedOut.String()), latencyTable(t, applied.String()); got != want || strings.Contains(got, "observation") {
		t.Errorf("apply printed\n%s\nwait\n%s", want, got)
	}
	if !strings.Contains(history, "— succeeded") || !strings.Contains(history, "VMs: 2, 2 reached Running, 2 Ready, 0 failed") {
		t.Errorf("history:\n%s", history)
	}
}

// TestApplyServerDryRunSendsNothing: a server dry run reports what would
// be created, waits for nothing and leaves nothing behind.
func TestApplyServerDryRunSendsNothing(t *testing.T) {
	e := newEnv(t)
	o := e.opts
	o.Config, o.Bundle = e.load(t, "--workloads", "network")
	o.ServerDryRun, o.SkipPreflight = true, true
	sum, err := Apply(t.Context(), o)
	if err != nil || sum.VMs != nil || !sum.DryRun || len(sum.DryRunObjects) != o.Bundle.Len() {
		t.Fatalf("err %v, summary %+v", err, sum)
	}
	if got := sum.DryRunObjects[0]; got.Kind != "Namespace" {
		t.Errorf("dry-run objects are not in apply order: first %+v", got)
	}
	left, err := e.opts.Client.Resource(wait.VMResource).Namespace(e.ns).List(t.Context(), metav1.ListOptions{})
	if err != nil || len(left.Items) != 0 {
		t.Errorf("the dry run left %d VMs (%v)", len(left.Items), err)
	}
}

// TestWaitNamesStates: re-attaching to a run with one VM whose workload
// never becomes active, a wait for ready ends not ready, with that VM
// waiting; a wait for running is done. The VM is Running in both, never
// Ready.
func TestWaitNamesStates(t *testing.T) {
	e := newEnv(t)
	_, b := e.load(t, "--workloads", "cpu", "--vm-count", "2")
	inactive := b.VMNames()[1]
	if _, err := apply.New(e.opts.Client, e.opts.Mapper, apply.Options{Concurrency: 4}).Apply(t.Context(),
		simulator.Annotate(b.Objects(), map[string]simulator.Fault{inactive: simulator.FaultWorkloadInactive})); err != nil {
		t.Fatal(err)
	}
	w := WaitOptions{Client: e.opts.Client, Namespace: e.ns, RunID: b.RunID, Timeout: time.Minute, For: wait.ForRunning, Log: &bytes.Buffer{}}
	sum, err := Wait(t.Context(), w)
	if err != nil || sum.VMs.Reached != 2 || sum.VMs.For != wait.ForRunning {
		t.Fatalf("--for=running: %v %+v", err, sum.VMs)
	}
	w.For, w.Timeout = wait.ForReady, 3*time.Second
	sum, err = Wait(t.Context(), w)
	if !errors.Is(err, ErrNotReady) || sum.VMs.Reached != 1 || len(sum.VMs.Waiting) != 1 {
		t.Fatalf("--for=ready: %v %+v", err, sum.VMs)
	}
	if p := sum.VMs.Waiting[0]; p.Name != inactive || !strings.HasPrefix(p.Reason, "Running, workload not active") {
		t.Errorf("waiting %+v", p)
	}
	w.RunID = uuid.NewString()
	if _, err := Wait(t.Context(), w); err == nil || !strings.Contains(err.Error(), "has no VirtualMachines") {
		t.Errorf("a run with no VMs: %v", err)
	}
}
