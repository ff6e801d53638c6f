package verify

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

var start = time.Date(2026, 3, 1, 10, 5, 0, 0, time.UTC)

// run resolves and renders a run from render's flags.
func run(t *testing.T, args ...string) (*config.Config, *render.Bundle) {
	t.Helper()
	f := config.NewFlags()
	fs := pflag.NewFlagSet("apply", pflag.ContinueOnError)
	f.AddFlags(fs)
	if err := fs.Parse(append([]string{"--run-id", "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93", "--start-at", start.Format(time.RFC3339)}, args...)); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(workloads.Builtin(), config.Sources{Flags: f, LookupEnv: func(string) (string, bool) { return "", false },
		NewRunID: func() string { return "" }, Now: func() time.Time { return start.Add(-time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	b, err := render.Render(render.Input{Config: cfg, Registry: cfg.Registry})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, b
}

func levelsOf(t *testing.T, cfg *config.Config, b *render.Bundle, name string) (*levels, []render.VMRef, workloads.Spec) {
	t.Helper()
	for _, wc := range cfg.Workloads {
		if wc.Name == name {
			w, _ := cfg.Registry.Lookup(name)
			vms := b.VMsOf(name)
			lv, ok := newLevels(cfg.RunID, wc, w.Spec(), vms)
			if !ok {
				t.Fatalf("%s has no levels", name)
			}
			return lv, vms, w.Spec()
		}
	}
	t.Fatalf("no workload %s", name)
	return nil, nil, workloads.Spec{}
}

// TestServerStretches: a network server's stretches follow its own
// client's square wave (as peers), and not the other instance's.
func TestServerStretches(t *testing.T) {
	cfg, b := run(t, "--workloads", "network", "--vm-count", "2", "--profile", "network=square:high=40,low=10,period=2m")
	lv, vms, _ := levelsOf(t, cfg, b, "network")
	var server render.VMRef
	for _, vm := range vms {
		if vm.Role == "server" && vm.Instance == 1 {
			server = vm
		}
	}
	peers := peersOf(lv, server, vms)
	if len(peers) != 1 || peers[0].Role != "client" || peers[0].Instance != 1 {
		t.Fatalf("peers of %s: %v", server.Name, peers)
	}
	got := stretches(lv, server, peers, start.Add(-30*time.Second), start.Add(4*time.Minute))
	want := []Stretch{
		{From: start.Add(-30 * time.Second), To: start},
		{From: start, To: start.Add(time.Minute), PeersLevel: 40},
		{From: start.Add(time.Minute), To: start.Add(2 * time.Minute), PeersLevel: 10},
		{From: start.Add(2 * time.Minute), To: start.Add(3 * time.Minute), PeersLevel: 40},
		{From: start.Add(3 * time.Minute), To: start.Add(4 * time.Minute), PeersLevel: 10},
	}
	if len(got) != len(want) {
		t.Fatalf("stretches %v\nwant %v", got, want)
	}
	for i := range want {
		if !got[i].From.Equal(want[i].From) || !got[i].To.Equal(want[i].To) || got[i].Level != 0 || got[i].PeersLevel != want[i].PeersLevel {
			t.Errorf("stretch %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// series makes a VM's samples, one a second, from a function of time.
func series(from, to time.Time, f func(time.Time) float64) []sample {
	var out []sample
	for t := from; !t.After(to); t = t.Add(time.Second) {
		out = append(out, sample{t, f(t)})
	}
	return out
}

// TestCheckVM: a cpu VM on a square wave passes when its series follows
// the wave, fails in the stretches where it runs at half, and is named
// when it has no series.
func TestCheckVM(t *testing.T) {
	cfg, b := run(t, "--workloads", "cpu", "--cpu-cores", "2", "--profile", "cpu=square:high=80,low=10,period=2m")
	lv, vms, spec := levelsOf(t, cfg, b, "cpu")
	o := Options{From: start, To: start.Add(4 * time.Minute), RateWindow: 10 * time.Second, Settle: 5 * time.Second}
	sig := spec.Signals[0]
	env := BaseEnv(cfg.Workloads[0], spec)
	wave := func(t time.Time) float64 {
		l, _ := lv.at(vms[0], t)
		return float64(l) / 100 * 2
	}
	checks := checkVM(o, lv, sig, env, vms[0], nil, series(o.From, o.To, wave), nil, "cpu", "q")
	if len(checks) != 4 {
		t.Fatalf("%d checks, want 4 stretches: %+v", len(checks), checks)
	}
	for i, c := range checks {
		if c.Outcome != Passed || c.Samples != 60-15+1 {
			t.Errorf("stretch %d: %s (%s), %d samples", i, c.Outcome, c.Why, c.Samples)
		}
	}
	if checks[0].Expected != 1.6 || checks[1].Expected != 0.2 {
		t.Errorf("expected %v and %v vCPUs, want 1.6 and 0.2", checks[0].Expected, checks[1].Expected)
	}
	half := func(t time.Time) float64 { return wave(t) / 2 }
	checks = checkVM(o, lv, sig, env, vms[0], nil, series(o.From, o.To, half), nil, "cpu", "q")
	if checks[0].Outcome != Failed || checks[0].Why != "below the band" || checks[1].Outcome != Passed {
		t.Errorf("at half: high %s, low %s (0.1 is within 0.2 ± 0.15)", checks[0].Outcome, checks[1].Outcome)
	}
	checks = checkVM(o, lv, sig, env, vms[0], nil, nil, nil, "cpu", "q{x}")
	if len(checks) != 1 || checks[0].Outcome != NoSeries || !strings.Contains(checks[0].Why, "no series for the VM from q{x}") {
		t.Errorf("without series: %+v", checks)
	}
	// A stretch that leaves two samples after the settle margin.
	short := Options{From: start, To: start.Add(16 * time.Second), RateWindow: 10 * time.Second, Settle: 5 * time.Second}
	checks = checkVM(short, lv, sig, env, vms[0], nil, series(short.From, short.To, wave), nil, "cpu", "q")
	if checks[0].Outcome != TooShort {
		t.Errorf("a 16 s window: %s", checks[0].Outcome)
	}
}

// TestRises: database's floor signal also checks that a higher level shows
// more, and fails when it does not.
func TestRises(t *testing.T) {
	cfg, b := run(t, "--workloads", "database", "--profile", "database=square:high=40,low=10,period=2m")
	lv, vms, spec := levelsOf(t, cfg, b, "database")
	o := Options{From: start, To: start.Add(4 * time.Minute), RateWindow: 10 * time.Second, Settle: 5 * time.Second}
	env := BaseEnv(cfg.Workloads[0], spec)
	iops := func(k float64) func(time.Time) float64 {
		return func(t time.Time) float64 { l, _ := lv.at(vms[0], t); return k * float64(l) }
	}
	checks := checkVM(o, lv, spec.Signals[0], env, vms[0], nil, series(o.From, o.To, iops(3)), nil, "database", "q")
	last := checks[len(checks)-1]
	if !last.Rises || last.Outcome != Passed {
		t.Errorf("rising with the level: %+v", last)
	}
	flat := func(time.Time) float64 { return 50 }
	checks = checkVM(o, lv, spec.Signals[0], env, vms[0], nil, series(o.From, o.To, flat), nil, "database", "q")
	if last := checks[len(checks)-1]; last.Outcome != Failed || !strings.Contains(last.Why, "level 40 shows 50, not more than level 10's 50") {
		t.Errorf("flat: %+v", last)
	}
	for _, c := range checks[:len(checks)-1] {
		if c.Outcome != Passed || c.High != nil {
			t.Errorf("a floor of min(level, 1): %+v", c)
		}
	}
}

// TestSelector: a signal's queries select the run's VMs of the signal's
// role only (network's servers, not their clients).
func TestSelector(t *testing.T) {
	cfg, b := run(t, "--workloads", "network,cpu")
	for name, want := range map[string]string{
		"network": `namespace="virtwork",name=~"virtwork-network-3f2b6c1e-server-[0-9]+(-[0-9]+)?"`,
		"cpu":     `namespace="virtwork",name=~"virtwork-cpu-3f2b6c1e-[0-9]+(-[0-9]+)?"`,
	} {
		w, _ := cfg.Registry.Lookup(name)
		sig := w.Spec().Signals[0]
		if got := QueryArgs(b.Namespaces, cfg.RunID, w.Spec(), sig, time.Minute).Selector; got != want {
			t.Errorf("%s: %s\nwant %s", name, got, want)
		}
	}
	// A run spread over namespaces: any of them, and no other.
	cfg, b = run(t, "--workloads", "cpu", "--vm-count", "3", "--namespaces", "3", "--namespace-prefix", "tenant")
	w, _ := cfg.Registry.Lookup("cpu")
	want := `namespace=~"tenant-0|tenant-1|tenant-2",name=~"virtwork-cpu-3f2b6c1e-[0-9]+(-[0-9]+)?"`
	if got := QueryArgs(b.Namespaces, cfg.RunID, w.Spec(), w.Spec().Signals[0], time.Minute).Selector; got != want {
		t.Errorf("spread: %s\nwant %s", got, want)
	}
}
