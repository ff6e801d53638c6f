package workloads

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// The chaos scripts run for real here, but only inside private namespaces
// (network, PID, mount) made for the test: they must never touch the host's
// interfaces, processes or file systems.

// runIsolated runs a command to completion in its own process group and
// returns its combined output. If it outlives the deadline, or the test
// ends first, the whole group is killed; a namespace goes away with its
// last process.
func runIsolated(t *testing.T, env []string, within time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	c := exec.CommandContext(ctx, name, args...)
	c.Env = append(os.Environ(), env...)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	out, err := c.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within %s; output:\n%s", name, within, out)
	}
	return string(out), err
}

// requireRoot skips (or fails, when tools are required) without root:
// namespaces, qdiscs and mounts need it.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		tools.Missing(t, "not root: cannot create the private namespaces the chaos scripts run in")
	}
}

// noInstallPath returns a PATH whose first directory holds a dnf that
// refuses, so a script that would install a package on a guest cannot do
// so on the test host.
func noInstallPath(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dnf"), []byte("#!/bin/sh\necho 'dnf: no package installs from tests' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return "PATH=" + dir + ":" + os.Getenv("PATH")
}

// netnsDriver runs inside `unshare --net`: a veth pair with a default route
// in the fresh namespace, then the chaos script twice, each time in a
// process group of its own (as in its unit's control group): its lines
// until it holds netem, the qdisc then, and the qdisc once the group got a
// signal (TERM: the unit stopping; KILL: a crash or a stop that timed out).
// Its stop (the unit's ExecStopPost) follows the KILL.
const netnsDriver = `set -eu
script=$1
dir=$2
ip link set lo up
ip link add vw0 type veth peer name vw1
ip addr add 10.99.0.1/24 dev vw0
ip link set vw0 up
ip link set vw1 up
ip route add default via 10.99.0.2 dev vw0
mkfifo "$dir/out"
for sig in TERM KILL; do
	setsid "$script" >"$dir/out" 2>&1 &
	pid=$!
	exec 3<"$dir/out"
	while IFS= read -r line <&3; do
		echo "$line"
		[[ $line != "virtwork: netem on "* ]] || break
	done
	echo "--- held: $(tc qdisc show dev vw0 root)"
	kill -s "$sig" -- "-$pid" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	cat <&3
	exec 3<&-
	echo "--- $sig exit $rc: $(tc qdisc show dev vw0 root)"
done
rc=0
"$script" stop || rc=$?
echo "--- stop exit $rc: $(tc qdisc show dev vw0 root)"
`

// kernelHasNetem reports whether a qdisc netem can be added in a throw-away
// network namespace.
func kernelHasNetem(t *testing.T) bool {
	out, err := runIsolated(t, nil, 30*time.Second, "unshare", "--net", "sh", "-c", "ip link set lo up && tc qdisc add dev lo root netem delay 1ms")
	if err != nil && !strings.Contains(out, "unknown") {
		t.Fatalf("probing for netem: %v\n%s", err, out)
	}
	return err == nil
}

// TestChaosNetworkInNetns: run puts netem with the configured delay, jitter
// and loss on the default-route interface of a fresh network namespace and
// holds it; SIGTERM takes it away again; after SIGKILL it stays, and stop
// takes it away. Where the kernel has no netem (some CI VMs), run must fail
// loudly and leave the qdisc alone.
func TestChaosNetworkInNetns(t *testing.T) {
	requireRoot(t)
	tools.Require(t, "unshare")
	tools.Require(t, "tc")
	tools.Require(t, "ip")
	dir := t.TempDir()
	script := writeScript(t, dir, "chaos-network/virtwork-chaos-network.sh")
	env := []string{
		noInstallPath(t), "RUNTIME_DIRECTORY=" + filepath.Join(dir, "run"),
		"VIRTWORK_CHAOS_DELAY_MS=150", "VIRTWORK_CHAOS_JITTER_MS=20", "VIRTWORK_CHAOS_LOSS_PERCENT=7", "VIRTWORK_CHAOS_ACTIVE=1",
	}
	if err := os.Mkdir(filepath.Join(dir, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	netem := kernelHasNetem(t)
	out, err := runIsolated(t, env, time.Minute, "unshare", "--net", "bash", "-c", netnsDriver, "driver", script, dir)
	if err != nil {
		t.Fatalf("driver: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`--- stop exit 0: qdisc (noqueue|pfifo_fast|fq_codel|mq) `).MatchString(out) {
		t.Errorf("stop failed or left netem as the root qdisc:\n%s", out)
	}
	if !netem {
		if strings.Count(out, "the kernel has no netem qdisc") != 2 || strings.Count(out, " exit 1: qdisc noqueue") != 2 {
			t.Errorf("without netem in the kernel, run must fail and say so:\n%s", out)
		}
		if !strings.Contains(out, "no netem on vw0; nothing to remove") {
			t.Errorf("stop after a failed run:\n%s", out)
		}
		t.Skip("this kernel has no sch_netem: checked the failure path only; the netem assertions need a kernel with netem")
	}
	// tc prints the jitter after the delay, spacing varying by version.
	held := regexp.MustCompile(`netem on vw0: delay 150ms jitter 20ms loss 7%\n--- held: qdisc netem .*delay 150(\.0)?ms\s+20(\.0)?ms.* loss 7%`)
	if n := len(held.FindAllString(out, -1)); n != 2 {
		t.Errorf("%d of 2 runs held netem with delay 150ms jitter 20ms loss 7%%:\n%s", n, out)
	}
	noNetem := `qdisc (noqueue|pfifo_fast|fq_codel|mq) `
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`netem removed from vw0\n--- TERM exit 0: ` + noNetem),
		regexp.MustCompile(`--- KILL exit 137: qdisc netem .*\nvirtwork: netem removed from vw0\n--- stop exit 0: ` + noNetem),
	} {
		if !want.MatchString(out) {
			t.Errorf("no %q:\n%s", want, out)
		}
	}
}

// TestChaosDiskOnTmpfs runs the filler against an 8 MiB tmpfs mounted in a
// private mount namespace: it fills to fill-percent, holds, releases and
// goes round again, writing only its one file there.
func TestChaosDiskOnTmpfs(t *testing.T) {
	nsenter := tools.Require(t, "nsenter")
	// The driver prints its pid, then execs the script under it, so the
	// test can look into the namespace with nsenter.
	out, mnt := startFiller(t, "8m", 50, `echo "ns pid $$" && `)
	waitFor(t, out, "holding 5s", 30*time.Second)
	var pid string
	for _, l := range strings.Split(out.String(), "\n") {
		if p, ok := strings.CutPrefix(l, "ns pid "); ok {
			pid = p
		}
	}
	if pid == "" {
		t.Fatalf("no pid from the driver:\n%s", out.String())
	}
	if want := "virtwork: filled " + mnt + " to 50% (4194304 of 8388608 bytes used)"; !strings.Contains(out.String(), want) {
		t.Errorf("no %q:\n%s", want, out.String())
	}
	// Seen from inside the namespace, during the hold: half full, by the
	// script's one file.
	look, err := runIsolated(t, nil, 30*time.Second, nsenter, "--target", pid, "--mount", "--", "sh", "-c",
		`df -B1 --output=used "$1" | tail -n1; ls -A "$1"`, "look", mnt)
	if err != nil {
		t.Fatalf("nsenter: %v\n%s", err, look)
	}
	if look != "4194304\nvirtwork-chaos-fill\n" {
		t.Errorf("during the hold, used bytes and files of the tmpfs:\n%s", look)
	}
	waitFor(t, out, "virtwork: released "+mnt+": 0% used", 30*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(out.String(), "holding 5s") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no second fill:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestChaosDiskRefusesNonMounts: the filler writes nothing unless the path
// is a mount point of a file system other than /.
func TestChaosDiskRefusesNonMounts(t *testing.T) {
	dir := t.TempDir()
	script := writeScript(t, dir, "chaos-disk/virtwork-chaos-disk.sh")
	plain := filepath.Join(dir, "plain")
	if err := os.Mkdir(plain, 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"VIRTWORK_CHAOS_FILL_PERCENT=50", "VIRTWORK_CHAOS_HOLD=1", "VIRTWORK_CHAOS_PAUSE=1", "VIRTWORK_CHAOS_ACTIVE=1"}
	out, err := runIsolated(t, append(env, "VIRTWORK_DATA_MOUNT="+plain), 30*time.Second, script)
	if err == nil || !strings.Contains(out, "is not a mount point; refusing") {
		t.Errorf("on a plain directory: %v\n%s", err, out)
	}
	if entries, _ := os.ReadDir(plain); len(entries) != 0 {
		t.Errorf("wrote %v into a plain directory", entries)
	}

	// A bind mount of a directory of / is a mount point, but still the root
	// disk. Only meaningful where the temp dir is on the root file system.
	var st, root syscall.Stat_t
	if syscall.Stat(dir, &st) != nil || syscall.Stat("/", &root) != nil || st.Dev != root.Dev || os.Geteuid() != 0 {
		t.Log("temp dir not on / (or not root): bind-mount case not checked")
		return
	}
	out, err = runIsolated(t, append(env, "VIRTWORK_DATA_MOUNT="+plain), 30*time.Second, "unshare", "--mount", "--propagation", "private",
		"bash", "-c", `mount --bind "$1" "$1" && exec "$2"`, "driver", plain, script)
	if err == nil || !strings.Contains(out, "is on the root file system; refusing") {
		t.Errorf("on a bind mount of the root file system: %v\n%s", err, out)
	}
}

// TestChaosSignalsAreRealSignals: every signal the param allows is one that
// kill knows.
func TestChaosSignalsAreRealSignals(t *testing.T) {
	bash := tools.Require(t, "bash")
	out, err := exec.Command(bash, "-c", "kill -l").CombinedOutput()
	if err != nil {
		t.Fatalf("kill -l: %v\n%s", err, out)
	}
	known := map[string]bool{}
	for _, f := range strings.Fields(string(out)) {
		known[strings.TrimPrefix(f, "SIG")] = true
	}
	w, _ := Builtin().Get("chaos-process")
	p, _ := w.Spec().Param("signal")
	for _, s := range p.Allowed {
		if !known[s] {
			t.Errorf("signal %q is not in kill -l", s)
		}
	}
}

// processDriver runs as PID 1 of a private PID namespace: three dummy
// sleeps, four sleeps under protected names, and the chaos script. It waits
// for every dummy to die, then reports which protected ones still live.
const processDriver = `set -u
dir=$1
script=$2
for name in sshd qemu-ga qemu-guest-agent cloud-init systemd-journald; do
	cp "$(command -v sleep)" "$dir/$name"
	"$dir/$name" 1000 &
	echo "protected $name pid $!"
	prot+=("$!:$name")
done
for _ in 1 2 3; do
	sleep 1000 &
	dummies+=("$!")
done
"$script" &
chaos=$!
for d in "${dummies[@]}"; do
	rc=0
	wait "$d" || rc=$?
	echo "dummy $d exit $rc"
done
for p in "${prot[@]}"; do
	if kill -0 "${p%%:*}"; then echo "alive ${p#*:}"; fi
done
kill "$chaos"
`

// TestChaosProcessInPidNamespace: inside a private PID namespace (never
// against the host's processes) the script signals the dummies one by one
// and never a protected process, PID 1 or itself.
func TestChaosProcessInPidNamespace(t *testing.T) {
	requireRoot(t)
	tools.Require(t, "unshare")
	tools.Require(t, "ps")
	dir := t.TempDir()
	script := writeScript(t, dir, "chaos-process/virtwork-chaos-process.sh")
	out, err := runIsolated(t, []string{"VIRTWORK_CHAOS_INTERVAL=1", "VIRTWORK_CHAOS_SIGNAL=TERM", "VIRTWORK_CHAOS_ACTIVE=1"}, time.Minute,
		"unshare", "--pid", "--fork", "--mount-proc", "bash", "-c", processDriver, "driver", dir, script)
	if err != nil {
		t.Fatalf("driver: %v\n%s", err, out)
	}
	if n := strings.Count(out, " exit 143"); n != 3 {
		t.Errorf("%d of 3 dummies died of SIGTERM:\n%s", n, out)
	}
	if n := strings.Count(out, "virtwork: sending SIGTERM to pid "); n < 3 {
		t.Errorf("%d signals to the dummies logged:\n%s", n, out)
	}
	for _, name := range []string{"sshd", "qemu-ga", "qemu-guest-agent", "cloud-init", "systemd-journald"} {
		if !strings.Contains(out, "alive "+name+"\n") {
			t.Errorf("protected %s did not survive:\n%s", name, out)
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "virtwork: sending") && !strings.HasSuffix(l, "(sleep)") {
			t.Errorf("signalled something other than a dummy: %s\n%s", l, out)
		}
	}
}

// TestChaosDiskPastTwoGiB: on a file system over 2^31 bytes the filler's
// arithmetic stays exact whatever awk the guest has (mawk, Debian's,
// prints such sums as 3.22123e+09).
func TestChaosDiskPastTwoGiB(t *testing.T) {
	out, _ := startFiller(t, "3g", 1, "")
	waitFor(t, out, "holding 5s", 30*time.Second)
	// 1% is 32212254 bytes, rounded up to whole pages by tmpfs.
	if want := regexp.MustCompile(`virtwork: filled \S+ to 1% \(322\d{5} of 3221225472 bytes used\)`); !want.MatchString(out.String()) {
		t.Errorf("no %q:\n%s", want, out.String())
	}
}

// startFiller runs the chaos-disk filler on a tmpfs of size mounted in a
// private mount namespace, holding for 5s at percent; a non-empty announce
// is a line the driver prints (with its pid) before it runs the script.
func startFiller(t *testing.T, size string, percent int, announce string) (*tools.Buffer, string) {
	t.Helper()
	requireRoot(t)
	tools.Require(t, "unshare")
	tools.Require(t, "fallocate")
	dir := t.TempDir()
	script := writeScript(t, dir, "chaos-disk/virtwork-chaos-disk.sh")
	mnt := filepath.Join(dir, "data")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	out := &tools.Buffer{}
	driver := `mount -t tmpfs -o size=` + size + ` virtwork-test "$1" && ` + announce + `exec "$2"`
	start(t, []string{"VIRTWORK_DATA_MOUNT=" + mnt, "VIRTWORK_CHAOS_FILL_PERCENT=" + strconv.Itoa(percent), "VIRTWORK_CHAOS_HOLD=5", "VIRTWORK_CHAOS_PAUSE=1", "VIRTWORK_CHAOS_ACTIVE=1"},
		out, "unshare", "--mount", "--propagation", "private", "bash", "-c", driver, "driver", mnt, script)
	return out, mnt
}
