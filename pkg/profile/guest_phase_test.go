package profile

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// phaseTriple is one (run id, name, bound) to hash both ways.
type phaseTriple struct {
	run, name string
	bound     int64
}

// phaseTriples: run ids of every length the file allows, names of dashes,
// dots and digits as long as a hostname, and bounds from 1 to 2^32 with
// the ones around 2^16, 2^31 and 2^32 (where a careless reduction would
// overflow or lose bits), each combined with the others, then random ones
// from a fixed seed.
func phaseTriples() []phaseTriple {
	runs := []string{testRun, "0", "run", "a-b-c", strings.Repeat("f", 64), "00000000-0000-0000-0000-000000000000"}
	names := []string{"virtwork-cpu-3f2b6c1e-0", "virtwork-network-3f2b6c1e-client-12-3", "a", "0", "a.b.c",
		"virtwork-cpu-3f2b6c1e-0.virtwork.svc.cluster.local", "-.-", strings.Repeat("x-", 31) + "y", "vm..", "..."}
	bounds := []int64{1, 2, 3, 7, 59, 60, 61, 600, 65535, 65536, 65537, 86400, 604800, 1<<31 - 1, 1 << 31, 1<<31 + 1,
		1<<32 - 65536, 1<<32 - 3, 1<<32 - 1, 1 << 32}
	var out []phaseTriple
	for i, b := range bounds {
		for j, n := range names {
			out = append(out, phaseTriple{runs[(i+j)%len(runs)], n, b})
		}
	}
	rng := rand.New(rand.NewPCG(14, 2026))
	for i := range 600 {
		id := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", rng.Uint32(), rng.Uint32N(1<<16), rng.Uint32N(1<<16), rng.Uint32N(1<<16), rng.Uint64N(1<<48))
		b := 1 + rng.Int64N(1<<32)
		if i%3 == 0 {
			b = 1 + rng.Int64N(7*86400)
		}
		out = append(out, phaseTriple{id, fmt.Sprintf("virtwork-w%d-%s-%d.%d", i%7, id[:8], rng.IntN(2000), i), b})
	}
	return out
}

// TestGuestPhase: the guest's virtwork_level_phase gives exactly Go's
// phase (PhaseRule.Of, which Phase is) for each triple, bounds near 2^32
// included. All triples go to one bash.
func TestGuestPhase(t *testing.T) {
	bash := tools.Require(t, "bash")
	tools.Require(t, "sha256sum")
	triples := phaseTriples()
	var in, want strings.Builder
	for _, tr := range triples {
		fmt.Fprintf(&in, "%s %s %d\n", tr.run, tr.name, tr.bound)
		fmt.Fprintln(&want, seconds(PhaseRule{RunID: tr.run, Bound: time.Duration(tr.bound) * time.Second}.Of(tr.name)))
	}
	cmd := exec.Command(bash, "-c", `source "$1"; while read -r id name bound; do virtwork_level_phase "$id" "$name" "$bound"; done`, "bash", levelScript(t))
	cmd.Stdin = strings.NewReader(in.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, stderr.String())
	}
	got, wantLines := strings.Split(string(out), "\n"), strings.Split(want.String(), "\n")
	bad := 0
	for i, tr := range triples {
		if lineAt(got, i) != wantLines[i] {
			if bad++; bad <= 5 {
				t.Errorf("run id %q, name %q, bound %d: guest %q, Go %q", tr.run, tr.name, tr.bound, lineAt(got, i), wantLines[i])
			}
		}
	}
	if bad > 5 {
		t.Errorf("%d of %d triples differ", bad, len(triples))
	}
}

// TestGuestHostname: the guest's name is its hostname up to the first dot,
// from the kernel unless VIRTWORK_HOSTNAME stands in for it, so a hostname
// with a domain gives the phase of the bare name; a hostname with nothing
// before its dot is refused with one line, exit 2.
func TestGuestHostname(t *testing.T) {
	bash := tools.Require(t, "bash")
	script, dir := levelScript(t), t.TempDir()
	s := mustParse(t, "square:high=90,low=10,period=1h,spread=random", cpu).Schedule()
	rule := PhaseRule{RunID: testRun, Bound: s.Cycle}
	data, err := s.File(t0, rule, 0)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "cpu.schedule")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	kernel, err := os.ReadFile("/proc/sys/kernel/hostname")
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(90 * time.Minute)
	for _, tc := range []struct{ host, name string }{
		{"virtwork-cpu-3f2b6c1e-0", "virtwork-cpu-3f2b6c1e-0"},
		{"virtwork-cpu-3f2b6c1e-0.virtwork.svc.cluster.local", "virtwork-cpu-3f2b6c1e-0"},
		{"virtwork-cpu-3f2b6c1e-1.", "virtwork-cpu-3f2b6c1e-1"},
		{"", strings.SplitN(strings.TrimSpace(string(kernel)), ".", 2)[0]}, // the kernel's
	} {
		if tc.name == "" {
			t.Fatalf("this machine's hostname %q has no name before a dot", kernel)
		}
		level, next, state := s.At(t0, rule.Of(tc.name), 0, now)
		want := fmt.Sprintf("%d %d %s\n", level, next.Unix()-now.Unix(), state)
		cmd := exec.Command(bash, script, file)
		cmd.Env = append(os.Environ(), fmt.Sprintf("VIRTWORK_NOW=%d", now.Unix()), "VIRTWORK_HOSTNAME="+tc.host)
		if out, err := cmd.CombinedOutput(); err != nil || string(out) != want {
			t.Errorf("hostname %q: %q, %v; want %q (the phase of %q)", tc.host, out, err, want, tc.name)
		}
	}
	cmd := exec.Command(bash, script, file)
	cmd.Env = append(os.Environ(), "VIRTWORK_NOW=1000", "VIRTWORK_HOSTNAME=.cluster.local")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || stdout.Len() > 0 || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("hostname .cluster.local: %v, stdout %q, stderr %q; want exit 2 and one line on stderr", err, stdout.String(), stderr.String())
	}
}
