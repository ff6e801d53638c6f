package process

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"
)

// Set in the environment of this test binary run as a child: touch that
// many MiB, say so on stdout, then exit with touchExit's code, or, with
// touchBlock set, wait for stdin to close first.
const (
	touchMiB   = "PROCESS_TEST_TOUCH_MIB"
	touchExit  = "PROCESS_TEST_TOUCH_EXIT"
	touchBlock = "PROCESS_TEST_TOUCH_BLOCK"
)

func TestMain(m *testing.M) {
	if n := os.Getenv(touchMiB); n != "" {
		os.Exit(touch(n))
	}
	os.Exit(m.Run())
}

// touch is the child: it writes a byte to each page of n MiB.
func touch(n string) int {
	mib, err := strconv.Atoi(n)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	buf := touchPages(mib)
	fmt.Printf("touched %d MiB\n", len(buf)>>20)
	if os.Getenv(touchBlock) != "" {
		_, _ = io.Copy(io.Discard, os.Stdin)
	}
	code, _ := strconv.Atoi(os.Getenv(touchExit))
	runtime.KeepAlive(buf)
	return code
}

func touchPages(mib int) []byte {
	buf := make([]byte, mib<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	return buf
}

// child is this test binary run as a child that touches mib MiB.
func child(t *testing.T, mib int, env ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), append(env, touchMiB+"="+strconv.Itoa(mib))...)
	return cmd
}

// selfHWM is this process's own VmHWM, in bytes.
func selfHWM(t *testing.T) int64 {
	t.Helper()
	kib, ok := vmHWM(os.Getpid())
	if !ok {
		t.Fatal("no VmHWM in /proc/self/status")
	}
	return kib * 1024
}

func TestRunMeasuredCountsWhatTheCommandTouches(t *testing.T) {
	const mib = 64
	u, err := RunMeasured(child(t, mib))
	if err != nil {
		t.Fatal(err)
	}
	if u.PeakRSS < mib<<20 {
		t.Fatalf("peak RSS %d KiB after touching %d MiB", u.PeakRSS>>10, mib)
	}
}

// TestRunMeasuredLeavesOutTheParentsPeak: after this process touched 256
// MiB, a child that touches 1 MiB peaks far below it, though its rusage
// maxrss (logged) counts this process's peak.
func TestRunMeasuredLeavesOutTheParentsPeak(t *testing.T) {
	buf := touchPages(256)
	parent := selfHWM(t)
	cmd := child(t, 1)
	u, err := RunMeasured(cmd)
	runtime.KeepAlive(buf)
	if err != nil {
		t.Fatal(err)
	}
	if parent < 256<<20 {
		t.Fatalf("this process's VmHWM is %d MiB after touching 256 MiB", parent>>20)
	}
	if u.PeakRSS <= 1<<20 || u.PeakRSS > 64<<20 {
		t.Fatalf("child touching 1 MiB peaked at %d KiB, want 1–64 MiB (this process: %d MiB)", u.PeakRSS>>10, parent>>20)
	}
	t.Logf("child peak %d KiB; its rusage maxrss %d KiB; this process %d KiB",
		u.PeakRSS>>10, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss, parent>>10)
}

// TestStartMeasuredWithPipesAndExitCode reads the command's stdout while it
// runs, as a benchmark watching its output does, and keeps its exit code.
func TestStartMeasuredWithPipesAndExitCode(t *testing.T) {
	cmd := child(t, 8, touchExit+"=3")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	m, err := StartMeasured(cmd)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	u, err := m.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("Wait: %v, want exit status 3", err)
	}
	if line != "touched 8 MiB\n" {
		t.Fatalf("stdout %q", line)
	}
	if u.PeakRSS < 8<<20 {
		t.Fatalf("peak RSS %d KiB after touching 8 MiB", u.PeakRSS>>10)
	}
}

// TestStartMeasuredKilled: a command killed with SIGKILL is reaped, its
// error says so, and nothing hangs.
func TestStartMeasuredKilled(t *testing.T) {
	cmd := child(t, 1, touchBlock+"=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	m, err := StartMeasured(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		t.Fatalf("reading the child's ready line %q: %v", line, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, err = m.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("Wait: %v, want killed by SIGKILL", err)
	}
}

func TestStartMeasuredMissingBinary(t *testing.T) {
	if _, err := StartMeasured(exec.Command("/nonexistent/binary")); err == nil {
		t.Fatal("started a binary that does not exist")
	}
}
