package profile

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/templates"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// levelScript writes the guest's reader, as embedded in the binary, into a
// scratch directory and returns its path.
func levelScript(t *testing.T) string {
	t.Helper()
	data, err := templates.FS.ReadFile("lib/virtwork-level.sh")
	if err != nil {
		t.Fatalf("templates.FS lacks lib/virtwork-level.sh: %v", err)
	}
	p := filepath.Join(t.TempDir(), "virtwork-level")
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// guestCase is one schedule file: a profile placed in time for one VM.
// Without vm the file holds the fixed phase; with vm it holds the profile's
// spread rule, and the guest, whose hostname is vm+domain, computes the
// phase Go's rule gives vm.
type guestCase struct {
	text            string
	phase, duration time.Duration
	start           time.Duration // from t0; boot: the first reading, at t0
	boot            bool
	vm, domain      string
}

// rule is the case's phase line and the phase it gives its VM.
func (c guestCase) rule(p Profile) (PhaseRule, time.Duration) {
	if c.vm == "" {
		return FixedPhase(c.phase), c.phase
	}
	r := SpreadRule(testRun, p.Spread, p.Schedule().Cycle)
	return r, r.Of(c.vm)
}

func guestCases() []guestCase {
	s, m, h, d := time.Second, time.Minute, time.Hour, 24*time.Hour
	return []guestCase{
		{text: "constant:level=70"},
		{text: "constant:level=70,spread=jitter=1h", phase: 17 * m, duration: h, start: 5 * m},
		{text: "square:high=90,low=10,period=10m"},
		{text: "square:high=90,low=10,period=10m", phase: 2 * m, duration: 3 * h, start: 10 * m},
		{text: "square:high=80,low=0,period=10s,duty=1", phase: 9 * s},
		{text: "square:high=50,low=50,period=1h", phase: 13 * m},
		{text: "ramp:from=0,to=100,over=10m", duration: 2 * h},
		{text: "ramp:from=100,to=1,over=7d,then=repeat,spread=random", phase: 3*d + 5*s, start: d},
		{text: "ramp:from=10,to=40,over=1m,spread=jitter=1m", phase: 30 * s, start: 1},
		{text: "spike:base=10,peak=100,every=15m,length=1m,spread=random", phase: 14*m + 59*s, duration: 30 * d},
		{text: "spike:base=0,peak=100,every=7d,length=1s", phase: 6 * d, start: 30 * d},
		{text: "steps:levels=20@5m/50@5m/90@10m,repeat=true", duration: 20 * m},
		{text: "steps:levels=20@5m/50@5m/90@10m", phase: 1, start: 2 * h},
		{text: "steps:levels=20@1m/20@1m/50@1m/0@1m/20@1m,repeat=true", phase: 4 * m},
		{text: "steps:levels=" + repeatSteps(100) + ",repeat=true", phase: 7 * m, duration: 10 * d},
		{text: "sine:min=0,max=100,period=1m", duration: 10 * s},
		{text: "sine:min=5,max=95,period=61s,spread=random", phase: 60 * s},
		{text: "sine:min=0,max=100,period=7d", start: 3 * d, duration: 30 * d},
		{text: "square:high=90,low=10,period=10m", boot: true, duration: h},
		{text: "ramp:from=1,to=100,over=10m", boot: true, phase: 3 * m},
		{text: "spike:every=1m,length=10s", boot: true},
		// Spread: one file for every VM, each finding its phase from its name.
		{text: "spike:base=10,peak=100,every=15m,length=1m,spread=random", vm: "virtwork-cpu-3f2b6c1e-7", duration: 30 * d},
		{text: "ramp:from=100,to=1,over=7d,then=repeat,spread=random", vm: "virtwork-network-3f2b6c1e-client-12", domain: ".virtwork.svc.cluster.local", start: d},
		{text: "sine:min=5,max=95,period=61s,spread=jitter=7d", vm: "virtwork-memory-3f2b6c1e-1999", start: 3 * d},
		{text: "steps:levels=20@5m/50@5m/90@10m,spread=jitter=1h", vm: "virtwork-disk-3f2b6c1e-3", start: 2 * h, duration: 3 * h},
		{text: "constant:level=70,spread=jitter=1h", vm: "virtwork-database-3f2b6c1e-42", start: 5 * m, duration: h},
		{text: "square:high=90,low=10,period=10m,spread=random", vm: "virtwork-cpu-3f2b6c1e-0", boot: true, duration: h},
	}
}

// instants are the moments worth asking about: around the start, every
// boundary of the first cycles ±1s, many cycles and days later, and around
// the end. They are unix seconds, the boot case's first one first.
func (c guestCase) instants(s Schedule, ph time.Duration) []int64 {
	start, phase, cycle := t0.Add(c.start).Unix(), seconds(ph), seconds(s.Cycle)
	set := map[int64]bool{}
	add := func(ts ...int64) {
		for _, t := range ts {
			for _, dt := range []int64{-1, 0, 1} {
				if t+dt >= 0 {
					set[t+dt] = true
				}
			}
		}
	}
	add(start-86400, start, start+phase, start+3*86400+17, start+365*86400+1)
	if c.duration > 0 {
		end := start + seconds(c.duration)
		add(end, end+86400)
	}
	laps := []int64{0, 1, 2}
	if cycle > 0 {
		laps = append(laps, -1, 1000, 86400/cycle+1, 29*86400/cycle)
	} else {
		cycle = 86400 // a schedule that does not repeat: look at it a day and a month later too
		laps = append(laps, 30)
	}
	for k, lap := range laps {
		for i, seg := range s.Segments {
			// Every boundary of the first laps; some of each later one,
			// so that a 100-step table does not cost thousands of runs.
			if k < 2 || i%10 == 0 || i == len(s.Segments)-1 {
				add(start + phase + lap*cycle + seconds(seg.Offset))
			}
		}
	}
	out := make([]int64, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	slices.Sort(out)
	if c.boot { // the first reading records the start
		out = slices.DeleteFunc(out, func(t int64) bool { return t == start })
		out = append([]int64{start}, out...)
	}
	return out
}

// TestGuestAgreesWithGo: for every shape, with and without repeat, phase,
// a start in the future or at boot, and a duration, the guest's reader run
// over the file File writes prints exactly what Schedule.At says, at every
// boundary and around it, before the start, after the end, and many cycles
// and days later. The instants of a file go to one bash, which sources the
// reader and calls it once per instant, so thousands take a few seconds.
func TestGuestAgreesWithGo(t *testing.T) {
	bash := tools.Require(t, "bash")
	script, dir := levelScript(t), t.TempDir()
	total, began := 0, time.Now()
	for i, c := range guestCases() {
		p := mustParse(t, c.text, cpu)
		s := p.Schedule()
		rule, phase := c.rule(p)
		start := t0.Add(c.start)
		fileStart := start
		if c.boot {
			fileStart = time.Time{}
		}
		data, err := s.File(fileStart, rule, c.duration)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, fmt.Sprintf("case%d.schedule", i))
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		instants := c.instants(s, phase)
		var in, want strings.Builder
		for _, now := range instants {
			fmt.Fprintln(&in, now)
			level, next, state := s.At(start, phase, c.duration, time.Unix(now, 0))
			secs := int64(-1)
			if !next.IsZero() {
				secs = next.Unix() - now
			}
			fmt.Fprintf(&want, "%d %d %s\n", level, secs, state)
		}
		cmd := exec.Command(bash, "-c", `source "$1"; while read -r t; do VIRTWORK_NOW=$t virtwork_level "$2"; done`, "bash", script, file)
		cmd.Env = append(os.Environ(), "VIRTWORK_STATE_DIR="+filepath.Join(dir, "state"), "VIRTWORK_HOSTNAME="+c.vm+c.domain)
		cmd.Stdin = strings.NewReader(in.String())
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: bash: %v\n%s", c.text, err, stderr.String())
		}
		got, wantLines := strings.Split(string(out), "\n"), strings.Split(want.String(), "\n")
		for j := range wantLines {
			if j >= len(got) || got[j] != wantLines[j] {
				t.Errorf("%s (phase %v of %q, duration %v, start t0+%v, boot %v) at unix %d (t0%+ds): guest %q, Go %q",
					c.text, phase, c.vm, c.duration, c.start, c.boot, instants[min(j, len(instants)-1)],
					instants[min(j, len(instants)-1)]-t0.Unix(), lineAt(got, j), wantLines[j])
				break
			}
		}
		total += len(instants)
	}
	if total < 2000 {
		t.Errorf("only %d instants compared", total)
	}
	t.Logf("%d files, %d instants compared in %v", len(guestCases()), total, time.Since(began).Round(time.Millisecond))
}

func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(nothing)"
}

// TestGuestBootStart: run as a command (not sourced), the first reading of
// a "start boot" file records the start, and later readings, as from a
// restarted unit, carry on from it instead of starting the profile again.
func TestGuestBootStart(t *testing.T) {
	script, dir := levelScript(t), t.TempDir()
	file := filepath.Join(dir, "cpu.schedule")
	s := mustParse(t, "square:high=90,low=10,period=10m", cpu).Schedule()
	data, err := s.File(time.Time{}, PhaseRule{}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	boot := t0.Unix()
	for _, tc := range []struct {
		now  int64
		want string
	}{{boot, "90 300 running"}, {boot + 400, "10 200 running"}, {boot + 10, "90 290 running"}, {boot + 3599, "10 1 running"}, {boot + 3600, "0 -1 finished"}} {
		cmd := exec.Command(script)
		cmd.Env = append(os.Environ(), "VIRTWORK_SCHEDULE="+file, "VIRTWORK_NOW="+strconv.FormatInt(tc.now, 10), "VIRTWORK_STATE_DIR="+filepath.Join(dir, "run"))
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != tc.want {
			t.Errorf("at boot+%d: %q, %v; want %q", tc.now-boot, out, err, tc.want)
		}
	}
	rec, err := os.ReadFile(filepath.Join(dir, "run", "cpu.start"))
	if err != nil || string(rec) != strconv.FormatInt(boot, 10)+"\n" {
		t.Errorf("the recorded start is %q, %v; want %d", rec, err, boot)
	}
}

// TestShellcheck: the reader passes shellcheck, as every script a guest
// receives must.
func TestShellcheck(t *testing.T) {
	sc := tools.Require(t, "shellcheck")
	if out, err := exec.Command(sc, "-s", "bash", levelScript(t)).CombinedOutput(); err != nil {
		t.Errorf("shellcheck templates/lib/virtwork-level.sh: %v\n%s", err, out)
	}
}
