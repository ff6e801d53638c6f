package profile

import (
	"bytes"
	"flag"
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
		name, text      string
		start           time.Time
		phase, duration time.Duration
	}{
		{"constant", "constant:level=70", time.Time{}, 0, 0},
		{"square", "square:high=90,low=10,period=10m,spread=random", t0, 130 * time.Second, time.Hour},
		{"ramp", "ramp:from=10,to=90,over=2m,then=repeat", t0, 0, 0},
		{"spike", "spike:base=10,peak=100,every=15m,length=1m", time.Time{}, 0, 24 * time.Hour},
		{"steps", "steps:levels=20@5m/50@5m/90@10m", t0, 0, 30 * 24 * time.Hour},
		{"sine", "sine:min=10,max=90,period=2m,spread=jitter=10s", t0, 7 * time.Second, 0},
	} {
		s := mustParse(t, tc.text, cpu).Schedule()
		got := s.File(tc.start, tc.phase, tc.duration)
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
		wantBack := FileContent{Schedule: s, Start: tc.start, Phase: tc.phase, Duration: tc.duration}
		if err != nil {
			t.Errorf("%s: ParseFile: %v", path, err)
		} else if diff := cmp.Diff(wantBack, back); diff != "" {
			t.Errorf("%s: ParseFile (-want +got):\n%s", path, diff)
		}
	}
}

// TestFileClamps: File never writes a sign, whatever Schedule it is handed.
func TestFileClamps(t *testing.T) {
	s := Schedule{Segments: []Segment{{0, -5}}, Cycle: -time.Second}
	got := string(s.File(time.Unix(-100, 0), -time.Second, -time.Hour))
	want := "virtwork-schedule 1\nstart 0\nduration never\nphase 0\ncycle 0\n0 0\n"
	if got != want {
		t.Errorf("File = %q, want %q", got, want)
	}
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
	}
	accepted := map[string]string{"good": "10 300 running\n", "largest": "0 4294966396 idle\n"}
	files["missing"] = "" // not written: no file at all
	for name, content := range files {
		file := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".schedule")
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil || name == "missing" && os.Remove(file) != nil {
			t.Fatal(err)
		}
		_, goErr := ParseFile([]byte(content))
		cmd := exec.Command(bash, script, file)
		cmd.Env = append(os.Environ(), "VIRTWORK_NOW=1000", "VIRTWORK_STATE_DIR="+dir)
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
