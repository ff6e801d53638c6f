package profile

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/virtwork/kubectl-virtwork/test/tools"
)

var update = flag.Bool("update", false, "rewrite testdata/*.schedule")

// TestFileGolden: the schedule file of each shape, as the guest gets it,
// is reviewed like code in testdata/ (rewritten by -update), and reads back
// to what was written.
func TestFileGolden(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		start      time.Time
		duration   time.Duration
	}{
		{"constant", "constant:level=70", time.Time{}, 0},
		{"square", "square:high=90,low=10,period=10m,spread=random", t0, time.Hour},
		{"ramp", "ramp:from=10,to=90,over=2m,then=repeat", t0, 0},
		{"spike", "spike:base=10,peak=100,every=15m,length=1m", time.Time{}, 24 * time.Hour},
		{"steps", "steps:levels=20@5m/50@5m/90@10m", t0, 30 * 24 * time.Hour},
		{"sine", "sine:min=10,max=90,period=2m,spread=jitter=10s", t0, 0},
	} {
		p := mustParse(t, tc.text, cpu)
		s, rule := p.Schedule(), SpreadRule(testRun, p.Spread, p.Schedule().Cycle)
		got, err := s.File(tc.start, rule, tc.duration)
		if err != nil {
			t.Fatalf("%s: File: %v", tc.text, err)
		}
		path := filepath.Join("testdata", tc.name+".schedule")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./pkg/profile -run TestFileGolden -update)", err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s: %s (-want +got):\n%s", path, tc.text, diff)
		}
		back, err := ParseFile(got)
		wantBack := FileContent{Schedule: s, Start: tc.start, Phase: rule, Duration: tc.duration}
		if err != nil {
			t.Errorf("%s: ParseFile: %v", path, err)
		} else if diff := cmp.Diff(wantBack, back); diff != "" {
			t.Errorf("%s: ParseFile (-want +got):\n%s", path, diff)
		}
	}
}

// testRun is the run id of these tests' spread files.
const testRun = "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93"

// TestFileClamps: File never writes a sign, whatever Schedule it is handed.
func TestFileClamps(t *testing.T) {
	s := Schedule{Segments: []Segment{{0, -5}}, Cycle: -time.Second}
	got, err := s.File(time.Unix(-100, 0), FixedPhase(-time.Second), -time.Hour)
	want := "virtwork-schedule 1\nstart 0\nduration never\nphase 0\ncycle 0\n0 0\n"
	if err != nil || string(got) != want {
		t.Errorf("File = %q, %v; want %q", got, err, want)
	}
}

// TestFileRefusesRule: a phase rule the guest could not read is an error,
// not a file; the largest it can read is written.
func TestFileRefusesRule(t *testing.T) {
	s := mustParse(t, "square", cpu).Schedule()
	limit := time.Duration(maxFileSeconds) * time.Second
	for _, r := range []PhaseRule{
		{RunID: "", Bound: time.Minute}, {RunID: "Run", Bound: time.Minute}, {RunID: "-run", Bound: time.Minute},
		{RunID: "run id", Bound: time.Minute}, {RunID: "run\n", Bound: time.Minute}, {RunID: "r$(id)", Bound: time.Minute},
		{RunID: strings.Repeat("a", 65), Bound: time.Minute}, {RunID: testRun, Bound: limit + time.Second},
		{Fixed: limit + time.Second},
	} {
		if got, err := s.File(t0, r, 0); err == nil {
			t.Errorf("File with %+v wrote\n%s", r, got)
		}
	}
	for _, r := range []PhaseRule{{RunID: strings.Repeat("a", 64), Bound: limit}, {RunID: "0", Bound: time.Second}, FixedPhase(limit)} {
		got, err := s.File(t0, r, 0)
		if err != nil {
			t.Errorf("File with %+v: %v", r, err)
			continue
		}
		if back, err := ParseFile(got); err != nil || back.Phase != r {
			t.Errorf("File with %+v reads back as %+v, %v", r, back.Phase, err)
		}
	}
}

// hashed is the head of TestBadFiles' files with the phase line "phase hash
// " + rule.
func hashed(rule string) string {
	return "virtwork-schedule 1\nstart 100\nduration never\nphase hash " + rule + "\ncycle 600\n"
}

// TestBadFiles: what the Go reader refuses, the guest's reader refuses
// too (exit 2, one message), and both accept the good file.
func TestBadFiles(t *testing.T) {
	bash := tools.Require(t, "bash")
	script, dir := levelScript(t), t.TempDir()
	const head = "virtwork-schedule 1\nstart 100\nduration never\nphase 0\ncycle 600\n"
	files := map[string]string{
		"good":             head + "0 90\n300 10\n",
		"empty":            "",
		"no segments":      head,
		"no newline":       head + "0 90",
		"version 2":        strings.Replace(head, "schedule 1", "schedule 2", 1),
		"no header":        strings.TrimPrefix(head, "virtwork-schedule 1\n") + "0 90\n",
		"keys swapped":     "virtwork-schedule 1\nduration never\nstart 100\nphase 0\ncycle 600\n0 90\n",
		"start soon":       strings.Replace(head, "start 100", "start soon", 1) + "0 90\n",
		"negative start":   strings.Replace(head, "start 100", "start -100", 1) + "0 90\n",
		"octal phase":      strings.Replace(head, "phase 0", "phase 010", 1) + "0 90\n",
		"phase boot":       strings.Replace(head, "phase 0", "phase boot", 1) + "0 90\n",
		"11 digits":        strings.Replace(head, "start 100", "start 12345678901", 1) + "0 90\n",
		"first not 0":      head + "5 90\n",
		"not rising":       head + "0 90\n300 10\n300 20\n",
		"past the cycle":   head + "0 90\n600 10\n",
		"three fields":     head + "0 90 1\n",
		"tab":              head + "0\t90\n",
		"two spaces":       head + "0  90\n",
		"negative level":   head + "0 -90\n",
		"shell":            head + "0 $(reboot)\n",
		"blank line":       head + "0 90\n\n",
		"trailing space":   head + "0 90 \n",
		"cr":               head + "0 90\r\n",
		"duration minus":   strings.Replace(head, "duration never", "duration -1", 1) + "0 90\n",
		"spaced keyword":   strings.Replace(head, "cycle 600", "cycle  600", 1) + "0 90\n",
		"level too long":   head + "0 12345678901\n",
		"level too large":  head + "0 2147483648\n",
		"phase too large":  strings.Replace(head, "phase 0", "phase 4294967297", 1) + "0 90\n",
		"offset too large": strings.Replace(head, "cycle 600", "cycle 0", 1) + "0 90\n4294967297 1\n",
		"largest":          strings.Replace(strings.Replace(head, "cycle 600", "cycle 0", 1), "phase 0", "phase 4294967296", 1) + "0 2147483647\n4294967296 1\n",
		"hash":             hashed(testRun+" 600") + "0 90\n300 10\n",
		"hash bound 0":     hashed(testRun+" 0") + "0 90\n",
		"hash bound large": hashed(testRun+" 4294967297") + "0 90\n",
		"hash octal bound": hashed(testRun+" 0600") + "0 90\n",
		"hash minus bound": hashed(testRun+" -600") + "0 90\n",
		"hash no bound":    hashed(testRun) + "0 90\n",
		"hash no run id":   hashed("600") + "0 90\n",
		"hash only":        strings.Replace(head, "phase 0", "phase hash", 1) + "0 90\n",
		"hash upper id":    hashed("RUN 600") + "0 90\n",
		"hash dash id":     hashed("-run 600") + "0 90\n",
		"hash long id":     hashed(strings.Repeat("a", 65)+" 600") + "0 90\n",
		"hash shell id":    hashed("$(reboot) 600") + "0 90\n",
		"hash extra":       hashed(testRun+" 600 1") + "0 90\n",
		"hash two spaces":  hashed(" "+testRun+" 600") + "0 90\n",
		"hash tab":         strings.Replace(head, "phase 0", "phase hash\t"+testRun+" 600", 1) + "0 90\n",
		"hash glued":       strings.Replace(head, "phase 0", "phase hash"+testRun+" 600", 1) + "0 90\n",
		"hash cr":          hashed(testRun+" 600\r") + "0 90\n",
	}
	// The guest of the hash file computes its phase from its hostname.
	const host = "virtwork-cpu-3f2b6c1e-0"
	fc, err := ParseFile([]byte(files["hash"]))
	if err != nil {
		t.Fatal(err)
	}
	level, next, state := fc.Schedule.At(fc.Start, fc.Phase.Of(host), fc.Duration, time.Unix(1000, 0))
	accepted := map[string]string{"good": "10 300 running\n", "largest": "0 4294966396 idle\n",
		"hash": fmt.Sprintf("%d %d %s\n", level, next.Unix()-1000, state)}
	files["missing"] = "" // not written: no file at all
	for name, content := range files {
		file := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".schedule")
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil || name == "missing" && os.Remove(file) != nil {
			t.Fatal(err)
		}
		_, goErr := ParseFile([]byte(content))
		cmd := exec.Command(bash, script, file)
		cmd.Env = append(os.Environ(), "VIRTWORK_NOW=1000", "VIRTWORK_STATE_DIR="+dir, "VIRTWORK_HOSTNAME="+host)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if want, ok := accepted[name]; ok {
			if goErr != nil || err != nil || stdout.String() != want {
				t.Errorf("%s: Go %v; guest %v %q %q, want %q", name, goErr, err, stdout.String(), stderr.String(), want)
			}
			continue
		}
		if goErr == nil {
			t.Errorf("%s: ParseFile accepted %q", name, content)
		}
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || stdout.Len() > 0 || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%s: the guest's reader gave %v, stdout %q, stderr %q; want exit 2 and one line on stderr", name, err, stdout.String(), stderr.String())
		}
	}
}
