package workloads

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/virtwork/kubectl-virtwork/pkg/profile"
)

// fakeClock is a PATH directory whose date, sleep and timeout keep a clock
// in a file: sleep and timeout advance it (timeout runs its command, which
// returns at once, then ends as a timeout would, status 124) and log what they were asked, and sleep
// infinity ends the run, so a schedule of many minutes plays in
// milliseconds against virtwork-level's real arithmetic.
const (
	fakeDate = `#!/bin/bash
if [[ $1 == +%s ]]; then cat "$CLOCK"; else exec REALDATE "$@"; fi
`
	fakeSleep = `#!/bin/bash
if [[ $1 == infinity ]]; then echo "CALL sleep infinity at $(cat "$CLOCK")"; exit 0; fi
echo "CALL sleep $1 at $(cat "$CLOCK")"
echo $(($(cat "$CLOCK") + $1)) >"$CLOCK"
`
	fakeTimeout = `#!/bin/bash
echo "CALL timeout $1 at $(cat "$CLOCK") with level $VIRTWORK_LEVEL"
"${@:2}"
echo $(($(cat "$CLOCK") + $1)) >"$CLOCK"
exit 124
`
	fakeStress = `#!/bin/bash
echo "CALL stress-ng $*"
`
)

// TestCPUScriptFollowsSchedule runs templates/cpu/virtwork-cpu.sh with
// the schedule file render writes for a square wave with --start-at and
// --duration: idle until the start, stress-ng at each level for exactly
// its segment, one journal line per change, and after the end it stays
// (sleep infinity) instead of exiting, so the unit stays active.
func TestCPUScriptFollowsSchedule(t *testing.T) {
	date, err := exec.LookPath("date")
	if err != nil || !strings.HasPrefix(date, "/") {
		t.Skip("no date")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	fakes := map[string]string{"date": strings.Replace(fakeDate, "REALDATE", date, 1), "sleep": fakeSleep, "timeout": fakeTimeout, "stress-ng": fakeStress}
	for name, body := range fakes {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p, err := profile.Parse("square:high=80,low=10,period=2m", "test", profile.Levels{Min: 1, Max: 100, Default: 100})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	sched := filepath.Join(dir, "cpu.schedule")
	if err := os.WriteFile(sched, p.Schedule().File(start, 0, 5*time.Minute), 0o644); err != nil {
		t.Fatal(err)
	}
	clock := filepath.Join(dir, "clock")
	// The unit starts 100 s before --start-at.
	if err := os.WriteFile(clock, []byte("1767347900\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := writeScript(t, dir, "cpu/virtwork-cpu.sh")
	lib := writeScript(t, dir, "lib/virtwork-level.sh")
	cmd := exec.Command("bash", script)
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "CLOCK="+clock, "VIRTWORK_LEVEL_LIB="+lib,
		"VIRTWORK_CPU_LOAD=100", "VIRTWORK_CPU_METHOD=all", "VIRTWORK_SCHEDULE="+sched)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	stress := "stress-ng --cpu 0 --cpu-method all --cpu-load %s --timeout 0 --metrics-brief"
	s := func(level string) string { return strings.Replace(stress, "%s", level, 1) }
	want := []string{
		"virtwork: cpu idle until 10:00:00Z",
		"CALL sleep 100 at 1767347900",
		"virtwork: cpu level 80 until 10:01:00Z",
		"CALL timeout 60 at 1767348000 with level 80", "CALL " + s("80"),
		"virtwork: cpu level 10 until 10:02:00Z",
		"CALL timeout 60 at 1767348060 with level 10", "CALL " + s("10"),
		"virtwork: cpu level 80 until 10:03:00Z",
		"CALL timeout 60 at 1767348120 with level 80", "CALL " + s("80"),
		"virtwork: cpu level 10 until 10:04:00Z",
		"CALL timeout 60 at 1767348180 with level 10", "CALL " + s("10"),
		// The duration ends in the middle of a high half.
		"virtwork: cpu level 80 until 10:05:00Z",
		"CALL timeout 60 at 1767348240 with level 80", "CALL " + s("80"),
		"virtwork: cpu finished",
		"CALL sleep infinity at 1767348300",
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSpace(string(out)), "\n")); diff != "" {
		t.Errorf("the script's lines and calls (-want +got):\n%s", diff)
	}

	// Without a schedule: stress-ng at the configured load, as before.
	cmd = exec.Command("bash", script)
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "VIRTWORK_CPU_LOAD=55", "VIRTWORK_CPU_METHOD=fft")
	out, err = cmd.CombinedOutput()
	if got, want := strings.TrimSpace(string(out)), "CALL stress-ng --cpu 0 --cpu-method fft --cpu-load 55 --timeout 0 --metrics-brief"; err != nil || got != want {
		t.Errorf("without a schedule: %v, %q; want %q", err, got, want)
	}
}
