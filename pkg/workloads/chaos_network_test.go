package workloads

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/virtwork/kubectl-virtwork/pkg/profile"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// The chaos-network script's tools, faked on PATH: one interface, eth7,
// behind the default route, whose root qdisc is netem while the file $QDISC
// exists. tc logs each change it is asked for, at the fake clock's time;
// modprobe only logs.
const (
	netTC = `#!/bin/bash
at=" at $(cat "$CLOCK")"
case "$1 $2 $3 $4 $5" in
"qdisc show dev eth7 root")
	if [[ -e $QDISC ]]; then echo "qdisc netem 8001: root refcnt 2 limit 1000 $(cat "$QDISC")"; else echo "qdisc fq_codel 0: root refcnt 2"; fi ;;
"qdisc replace dev eth7 root")
	echo "CALL tc $*$at"
	echo "${*:7}" >"$QDISC" ;;
"qdisc del dev eth7 root")
	echo "CALL tc $*$at"
	rm "$QDISC" ;;
*)
	echo "tc: unexpected $*" >&2
	exit 1 ;;
esac
`
	netIP = `#!/bin/bash
[[ "$*" == "-4 route show default" ]] && echo "default via 192.0.2.1 dev eth7 proto static metric 100"
`
	netModprobe = `#!/bin/bash
echo "CALL modprobe $*"
`
	// netSleep is the fake clock's sleep, except that sleep infinity in an
	// active window (VIRTWORK_LEVEL set: the script's hold) sleeps for
	// real, after saying so on $HOLD_FIFO when a timeout waits for that.
	netSleep = `#!/bin/bash
if [[ $1 == infinity && -n ${VIRTWORK_LEVEL:-} ]]; then
	[[ -z ${HOLD_FIFO:-} ]] || echo held >"$HOLD_FIFO"
	exec REALSLEEP infinity
fi
`
	// netTimeout ends a window as the real timeout does, on the fake
	// clock: the command runs, in a process group of its own, until it
	// holds; then the clock moves to the window's end and the group gets
	// SIGTERM. A command that ends first ends it with its status.
	netTimeout = `#!/bin/bash
set -m
echo "CALL timeout $1 at $(cat "$CLOCK") with level $VIRTWORK_LEVEL"
fifo=$(mktemp -u)
mkfifo "$fifo"
HOLD_FIFO=$fifo "${@:2}" &
cmd=$!
{ read -r _ <"$fifo"; } &
reader=$!
rc=0
wait -n -p ended "$cmd" "$reader" || rc=$?
if [[ $ended == "$cmd" ]]; then
	kill "$reader"
	rm -f "$fifo"
	exit "$rc"
fi
rm -f "$fifo"
echo $(($(cat "$CLOCK") + $1)) >"$CLOCK"
kill -TERM -- "-$cmd"
wait "$cmd" || true
exit 124
`
	// netTimeoutHold holds a window until the test stops the script.
	netTimeoutHold = `#!/bin/bash
echo "CALL timeout $1 at $(cat "$CLOCK") with level $VIRTWORK_LEVEL"
exec "${@:2}"
`
)

const netScript = "chaos-network/virtwork-chaos-network.sh"

// netRun is a chaos-network run on the fake tools, with window's timeout:
// its state files (the qdisc, the unit's RuntimeDirectory) under a
// directory of its own.
type netRun struct {
	clockRun
	qdisc, runtime, realSleep string
}

func newNetRun(t *testing.T, spec, timeout string, env ...string) netRun {
	t.Helper()
	realSleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	dir := t.TempDir()
	r := netRun{qdisc: filepath.Join(dir, "qdisc"), runtime: filepath.Join(dir, "run"), realSleep: realSleep}
	if err := os.Mkdir(r.runtime, 0o755); err != nil {
		t.Fatal(err)
	}
	sleep := strings.Replace(netSleep, "REALSLEEP", realSleep, 1) + strings.TrimPrefix(fakeSleep, "#!/bin/bash\n")
	r.clockRun = clockRun{src: netScript, profile: spec, levels: profile.Levels{Min: 0, Max: 1, Default: 1},
		fakes: map[string]string{"tc": netTC, "ip": netIP, "modprobe": netModprobe, "sleep": sleep, "timeout": timeout},
		env: append([]string{"QDISC=" + r.qdisc, "RUNTIME_DIRECTORY=" + r.runtime, "VIRTWORK_CHAOS_DELAY_MS=100",
			"VIRTWORK_CHAOS_JITTER_MS=0", "VIRTWORK_CHAOS_LOSS_PERCENT=1", "VIRTWORK_CHAOS_ACTIVE=1"}, env...)}
	return r
}

// netem reports whether the fake interface has netem.
func (r netRun) netem(t *testing.T) bool {
	t.Helper()
	_, err := os.Stat(r.qdisc)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// stop runs the script as the unit's ExecStopPost, on the same tools and
// state, and returns its lines.
func (r netRun) stop(t *testing.T) []string {
	t.Helper()
	cmd := r.command(t)
	cmd.Args = append(cmd.Args, "stop")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// TestChaosNetworkFollowsWindows: under a square profile of active (on one
// minute, off the next) netem is added at the start of each active window
// and removed at its end (the window's timeout ending the hold with
// SIGTERM), stays off through the inactive ones, and is off after the end,
// where the script carries on (sleep infinity: the unit stays active). The
// module is loaded once, before the schedule starts.
func TestChaosNetworkFollowsWindows(t *testing.T) {
	r := newNetRun(t, "square:high=1,low=0,period=2m", netTimeout)
	v := "virtwork: chaos-network"
	want := []string{"CALL modprobe sch_netem", v + " idle until 10:00:00Z", "CALL sleep 100 at 1767347900"}
	for i, at := range []string{"1767348000", "1767348120", "1767348240"} {
		end := map[int]string{0: "1767348060", 1: "1767348180", 2: "1767348300"}[i]
		want = append(want, v+" level 1 until "+[]string{"10:01:00Z", "10:03:00Z", "10:05:00Z"}[i],
			"CALL timeout 60 at "+at+" with level 1",
			"CALL tc qdisc replace dev eth7 root netem delay 100ms loss 1% at "+at,
			"virtwork: netem on eth7: delay 100ms jitter 0ms loss 1%",
			"CALL tc qdisc del dev eth7 root at "+end,
			"virtwork: netem removed from eth7")
		if i < 2 {
			want = append(want, v+" idle until "+[]string{"10:02:00Z", "10:04:00Z"}[i], "CALL sleep 60 at "+end)
		}
	}
	want = append(want, v+" finished", "CALL sleep infinity at 1767348300")
	if diff := cmp.Diff(want, r.lines(t)); diff != "" {
		t.Errorf("the script's lines and calls (-want +got):\n%s", diff)
	}
	if r.netem(t) {
		t.Error("netem left on eth7 after the end")
	}

	// Without a schedule, active=0: no netem, only sleep.
	r = newNetRun(t, "", netTimeout, "VIRTWORK_CHAOS_ACTIVE=0")
	if diff := cmp.Diff([]string{v + " inactive (active=0)", "CALL sleep infinity at 1767347900"}, r.lines(t)); diff != "" || r.netem(t) {
		t.Errorf("active=0 without a schedule, netem %v (-want +got):\n%s", r.netem(t), diff)
	}
}

// startNet starts the run in its own process group, as its unit's
// control group, and waits until it holds netem.
func startNet(t *testing.T, r netRun) (*exec.Cmd, *tools.Buffer, chan error) {
	t.Helper()
	cmd := r.command(t)
	out := &tools.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	waitFor(t, out, "virtwork: netem on eth7", 30*time.Second)
	if !r.netem(t) {
		t.Fatalf("no netem while holding:\n%s", out.String())
	}
	return cmd, out, done
}

// TestChaosNetworkStopRemovesNetem: stopping the unit (SIGTERM to every
// process of its group) removes netem, without a schedule and in the middle
// of an active window; a hold ended by SIGKILL leaves it, and the unit's
// ExecStopPost (stop) removes it then.
func TestChaosNetworkStopRemovesNetem(t *testing.T) {
	add := "CALL tc qdisc replace dev eth7 root netem delay 100ms loss 1% at 1767347900"
	del := "CALL tc qdisc del dev eth7 root at 1767347900"
	cases := []struct {
		name, spec string
		signal     syscall.Signal
		// held is what the run prints up to its hold; stopped, after the
		// signal; stop, what ExecStopPost then prints.
		held, stopped, stop []string
	}{
		{name: "no schedule, SIGTERM", signal: syscall.SIGTERM,
			held:    []string{add, "virtwork: netem on eth7: delay 100ms jitter 0ms loss 1%"},
			stopped: []string{del, "virtwork: netem removed from eth7"},
			stop:    []string{"virtwork: no netem on eth7; nothing to remove"}},
		{name: "mid-window, SIGTERM", spec: "square:high=1,low=0,period=2m", signal: syscall.SIGTERM,
			held: []string{"CALL modprobe sch_netem", "virtwork: chaos-network idle until 10:00:00Z", "CALL sleep 100 at 1767347900",
				"virtwork: chaos-network level 1 until 10:01:00Z", "CALL timeout 60 at 1767348000 with level 1",
				"CALL tc qdisc replace dev eth7 root netem delay 100ms loss 1% at 1767348000", "virtwork: netem on eth7: delay 100ms jitter 0ms loss 1%"},
			stopped: []string{"CALL tc qdisc del dev eth7 root at 1767348000", "virtwork: netem removed from eth7"},
			stop:    []string{"virtwork: no netem on eth7; nothing to remove"}},
		{name: "no schedule, SIGKILL", signal: syscall.SIGKILL,
			held: []string{add, "virtwork: netem on eth7: delay 100ms jitter 0ms loss 1%"},
			stop: []string{del, "virtwork: netem removed from eth7"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newNetRun(t, c.spec, netTimeoutHold)
			if c.spec == "" {
				// The real sleep: nothing but a signal ends the hold.
				r.fakes["sleep"] = "#!/bin/bash\nexec " + r.realSleep + " \"$@\"\n"
			}
			cmd, out, done := startNet(t, r)
			if err := syscall.Kill(-cmd.Process.Pid, c.signal); err != nil {
				t.Fatal(err)
			}
			err := <-done
			var exit *exec.ExitError
			if err != nil && !(errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == c.signal) {
				t.Errorf("ended by %v: %v", c.signal, err)
			}
			if diff := cmp.Diff(append(c.held, c.stopped...), strings.Split(strings.TrimSpace(out.String()), "\n")); diff != "" {
				t.Errorf("the run's lines (-want +got):\n%s", diff)
			}
			if got := r.stop(t); !cmp.Equal(got, c.stop) || r.netem(t) {
				t.Errorf("ExecStopPost: %q, netem %v; want %q and none", got, r.netem(t), c.stop)
			}
			if _, err := os.Stat(filepath.Join(r.runtime, "interface")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("stop left the recorded interface: %v", err)
			}
		})
	}
}
