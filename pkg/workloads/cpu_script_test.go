package workloads

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/virtwork/kubectl-virtwork/pkg/profile"
)

// TestCPUScriptFollowsSchedule runs templates/cpu/virtwork-cpu.sh with
// the schedule file render writes for a square wave with --start-at and
// --duration: idle until the start, stress-ng at each level for exactly
// its segment, one journal line per change, and after the end it stays
// (sleep infinity) instead of exiting, so the unit stays active.
func TestCPUScriptFollowsSchedule(t *testing.T) {
	run := clockRun{src: "cpu/virtwork-cpu.sh", profile: "square:high=80,low=10,period=2m",
		levels: profile.Levels{Min: 1, Max: 100, Default: 100}, fakes: map[string]string{"stress-ng": fakeStress},
		env: []string{"VIRTWORK_CPU_LOAD=100", "VIRTWORK_CPU_METHOD=all"}}
	got := run.lines(t)
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
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the script's lines and calls (-want +got):\n%s", diff)
	}

	// Without a schedule: stress-ng at the configured load, as before.
	run.profile, run.env = "", []string{"VIRTWORK_CPU_LOAD=55", "VIRTWORK_CPU_METHOD=fft"}
	want = []string{"CALL stress-ng --cpu 0 --cpu-method fft --cpu-load 55 --timeout 0 --metrics-brief"}
	if diff := cmp.Diff(want, run.lines(t)); diff != "" {
		t.Errorf("without a schedule (-want +got):\n%s", diff)
	}
}
