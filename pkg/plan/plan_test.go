package plan

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/profile"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const runID = "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93"

// now is the clock --start-at is checked against.
var now = time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)

// load resolves a run from render's flags the way the commands do.
func load(t testing.TB, args ...string) (*config.Config, *render.Bundle) {
	t.Helper()
	f := config.NewFlags()
	fs := pflag.NewFlagSet("plan", pflag.ContinueOnError)
	f.AddFlags(fs)
	if err := fs.Parse(append([]string{"--run-id", runID}, args...)); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(workloads.Builtin(), config.Sources{
		Flags:     f,
		LookupEnv: func(string) (string, bool) { return "", false },
		ReadFile:  os.ReadFile,
		NewRunID:  func() string { t.Fatal("no run id asked for"); return "" },
		Now:       func() time.Time { return now },
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

func build(t testing.TB, window time.Duration, segments bool, args ...string) *Plan {
	t.Helper()
	cfg, b := load(t, args...)
	p, err := Build(Options{Config: cfg, Bundle: b, Window: window, Segments: segments})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func seg(from, to int64, level int, state string) Segment {
	at := func(s int64) string { return start.Add(time.Duration(s) * time.Second).Format(time.RFC3339) }
	return Segment{Span: Span{FromSeconds: from, ToSeconds: to, From: at(from), To: at(to)}, Level: level, State: profile.State(state)}
}

var start = time.Date(2026, 1, 2, 10, 5, 0, 0, time.UTC)

// square is 20 cpu VMs on a square wave from 10:05Z for 50 minutes.
var square = []string{"--workloads", "cpu,database", "--vm-count", "20",
	"--profile", "cpu=square:high=90,low=10,period=20m,duty=25", "--start-at", "2026-01-02T10:05:00Z", "--duration", "50m"}

// TestSquare: exact segments with absolute times (the run ends inside the
// window), the aggregate's figures, and the printed chart.
func TestSquare(t *testing.T) {
	p := build(t, time.Hour, true, square...)
	cpu := p.Workloads[0]
	if cpu.Profile != "square:high=90,low=10,period=20m,duty=25" || cpu.Start != "2026-01-02T10:05:00Z" ||
		cpu.End != "2026-01-02T10:55:00Z" || cpu.DurationSeconds != 3000 || cpu.VMCount != 20 || cpu.VCPUsPerVM != 2 {
		t.Errorf("cpu: %+v", cpu)
	}
	want := []Segment{
		seg(0, 300, 90, "running"), seg(300, 1200, 10, "running"), seg(1200, 1500, 90, "running"),
		seg(1500, 2400, 10, "running"), seg(2400, 2700, 90, "running"), seg(2700, 3000, 10, "running"),
		seg(3000, 3600, 0, "finished"),
	}
	for _, vm := range cpu.VMs {
		if diff := cmp.Diff(want, vm.Segments); diff != "" {
			t.Fatalf("%s segments (-want +got):\n%s", vm.Name, diff)
		}
	}
	if len(cpu.Aggregate) != len(want) {
		t.Fatalf("%d aggregate intervals, want %d", len(cpu.Aggregate), len(want))
	}
	first := cpu.Aggregate[0]
	if first.Span != want[0].Span || first.LevelSum != 1800 || *first.VCPUBusy != 36 ||
		!cmp.Equal(first.Levels, []LevelCount{{90, 20}}) {
		t.Errorf("first interval: %+v", first)
	}
	if low := cpu.Aggregate[1]; low.LevelSum != 200 || *low.VCPUBusy != 4 {
		t.Errorf("low interval: %+v", low)
	}
	if len(cpu.Chart) != Columns || cpu.Chart[0] != 90 || cpu.Chart[10] != 10 || cpu.Chart[59] != 0 {
		t.Errorf("chart %v", cpu.Chart)
	}
	var out bytes.Buffer
	if err := Write(&out, build(t, time.Hour, false, square...)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "  20 cpu VMs × 2 vCPU at 90% ⇒ 36 vCPU busy from 10:05Z to 10:10Z\n") {
		t.Errorf("no aggregate line in:\n%s", out.String())
	}
	tools.Golden(t, filepath.Join("testdata", "square.txt"), out.Bytes(), *update, "./pkg/plan")
}

// TestNoLevel: a workload with a level param at 0 (database's rate:
// unlimited) and no profile has no level to show, says what it runs, and
// still lists its VMs by render's names.
func TestNoLevel(t *testing.T) {
	p := build(t, time.Hour, true, square...)
	db := p.Workloads[1]
	if db.Name != "database" || db.Level != nil || db.Unlimited != "rate" || db.Profile != "" || db.Schedule != nil || db.Aggregate != nil || len(db.VMs) != 20 {
		t.Fatalf("database: %+v", db)
	}
	if db.VMs[0].Name != "virtwork-database-3f2b6c1e-0" || db.VMs[0].Segments != nil {
		t.Errorf("VM %+v", db.VMs[0])
	}
	var out bytes.Buffer
	if err := Write(&out, p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\ndatabase: unlimited (rate 0; a --profile gives it levels), 20 VMs × 2 vCPU\n  runs     PostgreSQL") {
		t.Errorf("output:\n%s", out.String())
	}
}

// TestBoot: without --start-at the plan counts from each guest's boot,
// with no absolute times; without a profile cpu holds its level.
func TestBoot(t *testing.T) {
	p := build(t, time.Hour, true, "--workloads", "cpu", "--params", "cpu.load-percent=70", "--duration", "2h")
	cpu := p.Workloads[0]
	if cpu.Start != "boot" || cpu.End != "boot+2h" || cpu.Profile != "constant:level=70" || cpu.Window.From != "" {
		t.Errorf("cpu: %+v", cpu)
	}
	want := []Segment{{Span: Span{FromSeconds: 0, ToSeconds: 3600}, Level: 70, State: "running"}}
	if diff := cmp.Diff(want, cpu.VMs[0].Segments); diff != "" {
		t.Errorf("segments (-want +got):\n%s", diff)
	}
	var out bytes.Buffer
	if err := Write(&out, p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1 cpu VM × 2 vCPU at 70% ⇒ 1.4 vCPU busy from boot+0s to boot+1h\n") {
		t.Errorf("output:\n%s", out.String())
	}
}

// TestWindowBounds: a 10 s cycle on 2,000 VMs over 30 days stays small
// for the terminal and is refused, not built, as JSON; the window's range
// is checked.
func TestWindowBounds(t *testing.T) {
	args := []string{"--workloads", "cpu", "--vm-count", "2000", "--profile", "cpu=square:period=10s,spread=random"}
	p := build(t, MaxWindow, false, args...)
	cpu := p.Workloads[0]
	if len(cpu.Aggregate) > MaxLines || !cpu.More || len(cpu.Chart) != Columns || cpu.VMs[0].Segments != nil {
		t.Errorf("aggregate %d, more %v, chart %d", len(cpu.Aggregate), cpu.More, len(cpu.Chart))
	}
	if cpu.Window.ToSeconds != int64(MaxWindow/time.Second) {
		t.Errorf("window %+v", cpu.Window)
	}
	cfg, b := load(t, args...)
	if _, err := Build(Options{Config: cfg, Bundle: b, Window: MaxWindow, Segments: true}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("JSON of 30 days: %v, want ErrTooLarge", err)
	}
	for _, w := range []time.Duration{MinWindow - time.Second, MaxWindow + time.Second} {
		if _, err := Build(Options{Config: cfg, Bundle: b, Window: w}); err == nil {
			t.Errorf("window %s accepted", w)
		}
	}
	// JSON segments end with the window.
	one := build(t, MinWindow, true, "--workloads", "cpu", "--profile", "cpu=square:period=10m", "--start-at", "2026-01-02T10:05:00Z")
	want := []Segment{seg(0, 60, 100, "running")}
	if diff := cmp.Diff(want, one.Workloads[0].VMs[0].Segments); diff != "" {
		t.Errorf("1m window (-want +got):\n%s", diff)
	}
}

// TestOnlyLevelRolesCount: network's level is what each client sends, so
// its servers are not in the plan's VMs or its aggregate: 3 pairs at
// 100 Mbit/s are 300 Mbit/s, not 600.
func TestOnlyLevelRolesCount(t *testing.T) {
	p := build(t, time.Hour, true, "--workloads", "network", "--vm-count", "3", "--profile", "network=square:high=100,low=20,period=10m")
	w := p.Workloads[0]
	if w.VMCount != 3 {
		t.Errorf("VMCount = %d, want the 3 clients", w.VMCount)
	}
	for _, vm := range w.VMs {
		if vm.Role != "client" {
			t.Errorf("VM %s of role %s is in the plan; only clients follow the level", vm.Name, vm.Role)
		}
	}
	if len(w.Aggregate) == 0 || w.Aggregate[0].LevelSum != 300 {
		t.Errorf("first interval = %+v, want a level sum of 300", w.Aggregate)
	}
}

// TestInstancetypePlan: VMs an instance type sizes have no vCPU count the
// plan could know offline, so it names the instance type and totals the
// level instead of counting busy vCPUs.
func TestInstancetypePlan(t *testing.T) {
	p := build(t, time.Hour, false, append(square, "--instancetype", "u1.medium")...)
	cpu := p.Workloads[0]
	if cpu.Instancetype != "u1.medium" || cpu.VCPUsPerVM != 0 {
		t.Errorf("cpu: instance type %q, %d vCPUs per VM; want u1.medium and 0", cpu.Instancetype, cpu.VCPUsPerVM)
	}
	if iv := cpu.Aggregate[0]; iv.VCPUBusy != nil || iv.LevelSum != 1800 {
		t.Errorf("first interval: %+v, want a level sum of 1800 and no vCPU count", iv)
	}
	var out bytes.Buffer
	if err := Write(&out, p); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cpu: 20 VMs × instance type u1.medium, level", "  20 cpu VMs × instance type u1.medium at 90% ⇒ 18 VMs' worth of vCPUs busy from"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in:\n%s", want, out.String())
		}
	}
}
