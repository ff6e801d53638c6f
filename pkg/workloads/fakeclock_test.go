package workloads

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/profile"
)

// The fake clock is a PATH directory whose date, sleep and timeout keep a
// clock in a file: sleep and timeout advance it (timeout runs its command,
// which returns at once, then ends as a timeout would, status 124) and log
// what they were asked, and sleep infinity ends the run, so a schedule of
// many minutes plays in milliseconds against virtwork-level's real
// arithmetic.
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

// clockRun is one run of a workload's script on the fake clock, as its unit
// would run it.
type clockRun struct {
	src string // the script, under templates/
	// profile is --profile's text for the schedule, which starts at
	// 10:00:00Z (the unit 100 s before) and lasts 5m; "" runs the script
	// without a schedule.
	profile string
	levels  profile.Levels
	// fakes are more commands on PATH, by name; a "timeout" replaces the
	// clock's.
	fakes map[string]string
	env   []string
	// mayFail accepts a script that a fake generator ended.
	mayFail bool
}

// lines runs it and returns the lines it printed.
func (r clockRun) lines(t *testing.T) []string {
	t.Helper()
	cmd := r.command(t)
	out, err := cmd.CombinedOutput()
	if err != nil && !r.mayFail {
		t.Fatalf("%v\n%s", err, out)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// command is the run, ready to start.
func (r clockRun) command(t *testing.T) *exec.Cmd {
	t.Helper()
	date, err := exec.LookPath("date")
	if err != nil || !strings.HasPrefix(date, "/") {
		t.Skip("no date")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	all := map[string]string{"date": strings.Replace(fakeDate, "REALDATE", date, 1), "sleep": fakeSleep, "timeout": fakeTimeout}
	for name, body := range r.fakes {
		all[name] = body
	}
	for name, body := range all {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	clock := filepath.Join(dir, "clock")
	if err := os.WriteFile(clock, []byte("1767347900\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "CLOCK="+clock,
		"VIRTWORK_LEVEL_LIB="+writeScript(t, dir, "lib/virtwork-level.sh"))
	if r.profile != "" {
		p, err := profile.Parse(r.profile, "test", r.levels)
		if err != nil {
			t.Fatal(err)
		}
		sched := filepath.Join(dir, "w.schedule")
		start := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
		data, err := p.Schedule().File(start, profile.PhaseRule{}, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sched, data, 0o644); err != nil {
			t.Fatal(err)
		}
		env = append(env, "VIRTWORK_SCHEDULE="+sched)
	}
	cmd := exec.Command("bash", writeScript(t, dir, r.src))
	cmd.Env = append(env, r.env...)
	return cmd
}
