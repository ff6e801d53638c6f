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
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// chaosEnv is each levelled chaos script's variables, active as by default.
var chaosEnv = map[string][]string{
	"chaos-disk":    {"VIRTWORK_DATA_MOUNT=/nonexistent", "VIRTWORK_CHAOS_FILL_PERCENT=50", "VIRTWORK_CHAOS_HOLD=5", "VIRTWORK_CHAOS_PAUSE=1", "VIRTWORK_CHAOS_ACTIVE=1"},
	"chaos-process": {"VIRTWORK_CHAOS_INTERVAL=1", "VIRTWORK_CHAOS_SIGNAL=TERM", "VIRTWORK_CHAOS_ACTIVE=1"},
}

// TestChaosScriptsFollowWindows: under a square profile of active (on one
// minute, off the next) each chaos script runs for exactly the active
// segments (its segment's command is not run here: the fake timeout only
// logs it, since a chaos loop never ends on its own), sleeps through the
// inactive ones, and stays after the end. Without a schedule, active=0
// sleeps for ever instead of running the chaos.
func TestChaosScriptsFollowWindows(t *testing.T) {
	for name, env := range chaosEnv {
		t.Run(name, func(t *testing.T) {
			lines := followRun(t, name+"/virtwork-"+name+".sh", "square:high=1,low=0,period=2m",
				profile.Levels{Min: 0, Max: 1, Default: 1}, fakeTimeoutNoRun, env...)
			v := "virtwork: " + name
			want := []string{v + " idle until 10:00:00Z", "CALL sleep 100 at 1767347900",
				v + " level 1 until 10:01:00Z", "CALL timeout 60 at 1767348000 with level 1",
				v + " idle until 10:02:00Z", "CALL sleep 60 at 1767348060",
				v + " level 1 until 10:03:00Z", "CALL timeout 60 at 1767348120 with level 1",
				v + " idle until 10:04:00Z", "CALL sleep 60 at 1767348180",
				v + " level 1 until 10:05:00Z", "CALL timeout 60 at 1767348240 with level 1",
				v + " finished", "CALL sleep infinity at 1767348300"}
			if diff := cmp.Diff(want, lines); diff != "" {
				t.Errorf("the script's lines and calls (-want +got):\n%s", diff)
			}

			// Without a schedule, active=0: no chaos, only sleep.
			bin := t.TempDir()
			if err := os.WriteFile(filepath.Join(bin, "sleep"), []byte("#!/bin/bash\necho \"CALL sleep $*\"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("bash", writeScript(t, t.TempDir(), name+"/virtwork-"+name+".sh"))
			cmd.Env = append(append(os.Environ(), env...), "PATH="+bin+":"+os.Getenv("PATH"), "VIRTWORK_CHAOS_ACTIVE=0")
			out, err := cmd.CombinedOutput()
			if got, want := strings.TrimSpace(string(out)), v+" inactive (active=0)\nCALL sleep infinity"; err != nil || got != want {
				t.Errorf("active=0 without a schedule: %v, %q; want %q", err, got, want)
			}
		})
	}
}

// TestChaosDiskWindowEndReleases: the end of an active window (timeout
// sending TERM to the segment's process group, as virtwork_follow does)
// during a hold removes the fill, so an inactive window has the disk free.
// It runs on a tmpfs in a private mount namespace.
func TestChaosDiskWindowEndReleases(t *testing.T) {
	requireRoot(t)
	for _, tool := range []string{"unshare", "fallocate", "timeout"} {
		tools.Require(t, tool)
	}
	dir := t.TempDir()
	script := writeScript(t, dir, "chaos-disk/virtwork-chaos-disk.sh")
	mnt := filepath.Join(dir, "data")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	// The segment lasts 3 s of a 600 s hold; then the driver looks.
	driver := `mount -t tmpfs -o size=8m virtwork-test "$1" && { timeout 3 "$2"; echo "status $?"; } &&
		echo "used $(($(df -B1 --output=used "$1" | tail -n1)))" && echo "files $(ls -A "$1")"`
	out, err := runIsolated(t, []string{"VIRTWORK_DATA_MOUNT=" + mnt, "VIRTWORK_CHAOS_FILL_PERCENT=50", "VIRTWORK_CHAOS_HOLD=600",
		"VIRTWORK_CHAOS_PAUSE=1", "VIRTWORK_CHAOS_ACTIVE=1", "VIRTWORK_LEVEL=1"}, time.Minute,
		"unshare", "--mount", "--propagation", "private", "bash", "-c", driver, "driver", mnt, script)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"virtwork: filled " + mnt + " to 50% (4194304 of 8388608 bytes used); holding 600s\n",
		"status 124\nused 0\nfiles \n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q:\n%s", want, out)
		}
	}
}
