package profile

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// FuzzProfile: any text given after --profile WORKLOAD= is refused with
// one line, or gives a profile whose canonical form parses back to it,
// whose schedule is a valid table of allowed levels, and whose schedule
// file holds only digits, fixed words, spaces and newlines and reads back
// in Go to what was written.
func FuzzProfile(f *testing.F) {
	for _, s := range []string{
		"constant", "constant:level=0", "square:high=90,low=10,period=10m,duty=50",
		"steps:levels=20@5m/50@5m/90@10m,repeat=true", "spike:base=10,peak=100,every=15m,length=1m,spread=random",
		"ramp:from=100,to=1,over=7d,then=repeat", "sine:min=0,max=100,period=61s,spread=jitter=1d1s",
		"square:period=1d23h59m59s", "steps:levels=1@10s/1@10s", "spike:every=10s,length=9s", "square:high=9$(id)",
		"ramp:over=1e3s", "square:period=0x10s", "steps:levels=1@1d-1s", "sine:period=+10m", "constant:level=+5",
	} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, text string, floor bool) {
		lv := cpu
		if floor {
			lv = iops
		}
		p, err := Parse(text, "--profile cpu="+text, lv)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "--profile cpu=") || strings.Contains(msg, "\n") && !strings.Contains(text, "\n") {
				t.Fatalf("error %q does not start with the source or is more than one line", msg)
			}
			return
		}
		again, err := Parse(p.String(), "canonical", lv)
		if err != nil || !cmp.Equal(p, again) {
			t.Fatalf("%q: String() = %q does not parse back: %v", text, p.String(), err)
		}
		s := p.Schedule()
		checkTable(t, text, s, lv)
		rule := SpreadRule("run", p.Spread, s.Cycle)
		phase := rule.Of("vm")
		if p.Spread.Kind == SpreadRandom && phase >= s.Cycle || p.Spread.Kind == SpreadJitter && phase >= p.Spread.Jitter {
			t.Fatalf("%q: phase %v out of its bound", text, phase)
		}
		for _, at := range []time.Time{{}, t0} { // start boot, and a start instant
			file, err := s.File(at, rule, MaxDuration)
			if err != nil {
				t.Fatalf("%q: File: %v", text, err)
			}
			if strings.Trim(string(file), "abcdefghijklmnopqrstuvwxyz0123456789- \n") != "" {
				t.Fatalf("%q: the schedule file holds other characters:\n%s", text, file)
			}
			back, err := ParseFile(file)
			if err != nil {
				t.Fatalf("%q: ParseFile: %v\n%s", text, err, file)
			}
			if diff := cmp.Diff(FileContent{Schedule: s, Start: at, Phase: rule, Duration: MaxDuration}, back); diff != "" {
				t.Fatalf("%q: the file reads back differently (-want +got):\n%s", text, diff)
			}
		}
	})
}

// TestImportsArePure guards the package's promise: no client, no cluster
// types, no database; only the YAML reader and the standard library.
func TestImportsArePure(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/virtwork/kubectl-virtwork/pkg/profile").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, d := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(d, "/")
		if strings.Contains(first, ".") && !strings.HasPrefix(d, "github.com/virtwork/kubectl-virtwork/pkg/") &&
			!strings.HasPrefix(d, "go.yaml.in/yaml/") && !strings.HasPrefix(d, "vendor/") {
			t.Errorf("pkg/profile depends on %s", d)
		}
	}
}
