package workloads

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/virtwork/kubectl-virtwork/pkg/profile"
)

// fakeTimeoutNoRun is fakeTimeout for scripts whose segment never ends on
// its own (the chaos loops): it logs the segment and advances the clock
// without running the command.
const fakeTimeoutNoRun = `#!/bin/bash
echo "CALL timeout $1 at $(cat "$CLOCK") with level $VIRTWORK_LEVEL"
echo $(($(cat "$CLOCK") + $1)) >"$CLOCK"
exit 124
`

// followRun runs the script src (under templates/) on the fake clock of
// cpu_script_test.go with the schedule of --profile spec, --start-at
// 10:00:00Z (the unit starts 100 s before) and --duration 5m, and returns
// its output lines. timeout is the fake timeout's body; env adds the
// script's variables.
func followRun(t *testing.T, src, spec string, levels profile.Levels, timeout string, env ...string) []string {
	t.Helper()
	return clockRun{src: src, profile: spec, levels: levels, env: env,
		fakes: map[string]string{"timeout": timeout, "stress-ng": fakeStress}}.lines(t)
}

// memorySizes blanks the sizes the memory script computes from the test
// host's /proc/meminfo and drops its line about a cap (a busy host may have
// less available than a level asks).
func memorySizes(lines []string) []string {
	mib := regexp.MustCompile(`\d+ MiB`)
	kib := regexp.MustCompile(`--vm-bytes \d+k`)
	var got []string
	for _, l := range lines {
		if strings.Contains(l, "is available; holding") {
			continue
		}
		got = append(got, kib.ReplaceAllString(mib.ReplaceAllString(l, "N MiB"), "--vm-bytes Nk"))
	}
	return got
}

// TestMemoryScriptFollowsSchedule: under a square profile the memory script
// holds each segment's level (a percentage of MemTotal) for exactly that
// segment, idles before the start and after the end, and without a
// schedule holds percent as before.
func TestMemoryScriptFollowsSchedule(t *testing.T) {
	vars := []string{"VIRTWORK_MEMORY_PERCENT=80", "VIRTWORK_MEMORY_MODE=hold", "VIRTWORK_MEMORY_METHOD=all"}
	lines := followRun(t, "memory/virtwork-memory.sh", "square:high=30,low=0,period=2m",
		profile.Levels{Min: 1, Max: 95, Default: 80}, fakeTimeout, vars...)
	hold := func(level string) []string {
		return []string{
			"virtwork: memory: hold N MiB, " + level + "% of MemTotal N MiB wanted",
			"CALL stress-ng --vm 1 --vm-bytes Nk --vm-keep --vm-hang 0 --vm-method write64 --vm-madvise normal --timeout 0 --metrics-brief",
		}
	}
	want := []string{"virtwork: memory idle until 10:00:00Z", "CALL sleep 100 at 1767347900",
		"virtwork: memory level 30 until 10:01:00Z", "CALL timeout 60 at 1767348000 with level 30"}
	want = append(want, hold("30")...)
	want = append(want, "virtwork: memory idle until 10:02:00Z", "CALL sleep 60 at 1767348060",
		"virtwork: memory level 30 until 10:03:00Z", "CALL timeout 60 at 1767348120 with level 30")
	want = append(want, hold("30")...)
	want = append(want, "virtwork: memory idle until 10:04:00Z", "CALL sleep 60 at 1767348180",
		"virtwork: memory level 30 until 10:05:00Z", "CALL timeout 60 at 1767348240 with level 30")
	want = append(want, hold("30")...)
	want = append(want, "virtwork: memory finished", "CALL sleep infinity at 1767348300")
	if diff := cmp.Diff(want, memorySizes(lines)); diff != "" {
		t.Errorf("the script's lines and calls (-want +got):\n%s", diff)
	}

	// Without a schedule: percent, as before.
	cmd := exec.Command("bash", writeScript(t, t.TempDir(), "memory/virtwork-memory.sh"))
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "stress-ng"), []byte(fakeStress), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "VIRTWORK_MEMORY_PERCENT=5", "VIRTWORK_MEMORY_MODE=hold", "VIRTWORK_MEMORY_METHOD=all")
	out, err := cmd.CombinedOutput()
	if diff := cmp.Diff(hold("5"), memorySizes(strings.Split(strings.TrimSpace(string(out)), "\n"))); err != nil || diff != "" {
		t.Errorf("without a schedule: %v (-want +got):\n%s", err, diff)
	}
}
