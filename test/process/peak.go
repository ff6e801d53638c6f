package process

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Usage is what a command run by StartMeasured used.
type Usage struct {
	// PeakRSS is the command's own high-water mark of resident memory, in
	// bytes: the kernel's VmHWM of its memory, read when it exits.
	PeakRSS int64
	// Wall runs from just before the start to the exit.
	Wall time.Duration
	// User and System are the CPU times of the command's threads.
	User, System time.Duration
}

// Measured is a command started by StartMeasured.
type Measured struct {
	cmd   *exec.Cmd
	start time.Time
	done  chan traceResult
}

type traceResult struct {
	peak   int64
	read   bool
	exited time.Time
	err    error
}

// RunMeasured runs cmd, as cmd.Run does, and returns what it used.
func RunMeasured(cmd *exec.Cmd) (Usage, error) {
	m, err := StartMeasured(cmd)
	if err != nil {
		return Usage{}, err
	}
	return m.Wait()
}

// StartMeasured starts cmd, as cmd.Start does, traced so that its own peak
// resident memory can be read as it exits. Call Wait, not cmd.Wait, once
// done reading any pipe of cmd's.
//
// Why not the rusage of its exit (maxrss): Go starts a child with
// clone(CLONE_VM|CLONE_VFORK), and at exec Linux records the high-water
// mark of the memory the child still shares, the parent's, in the child's
// maxrss; so maxrss is at least the parent's own peak. Polling
// /proc/PID/status misses what happens between reads and the whole of a
// short process. Here the command runs under ptrace with every thread
// stopping on its way out (PTRACE_O_TRACEEXIT) while its memory is still
// there; the largest VmHWM read at those stops is the peak.
//
// The command runs in a process group of its own (cmd.SysProcAttr.Setpgid),
// so that its threads can be waited for without taking another child's
// exit; it does not stay stopped by SIGSTOP; its own children are not
// traced, and not counted.
func StartMeasured(cmd *exec.Cmd) (*Measured, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Ptrace = true
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pgid = 0
	m := &Measured{cmd: cmd, done: make(chan traceResult, 1)}
	started := make(chan error, 1)
	go m.trace(started)
	if err := <-started; err != nil {
		return nil, err
	}
	return m, nil
}

// trace starts the command and follows it to its exit, on one OS thread:
// the thread that starts a process with Ptrace set is its tracer, and only
// it may make ptrace requests.
func (m *Measured) trace(started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	m.start = time.Now()
	if err := m.cmd.Start(); err != nil {
		started <- err
		return
	}
	started <- nil
	var r traceResult
	r.peak, r.read, r.err = follow(m.cmd.Process.Pid)
	r.exited = time.Now()
	m.done <- r
}

// Wait waits for the command to exit, as cmd.Wait does (its error is
// cmd.Wait's), and returns what it used.
func (m *Measured) Wait() (Usage, error) {
	r := <-m.done
	err := m.cmd.Wait()
	u := Usage{PeakRSS: r.peak, Wall: r.exited.Sub(m.start)}
	if m.cmd.ProcessState != nil {
		if ru, ok := m.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			u.User = time.Duration(ru.Utime.Nano())
			u.System = time.Duration(ru.Stime.Nano())
		}
	}
	if r.err != nil {
		return u, errors.Join(fmt.Errorf("tracing pid %d: %w", m.cmd.Process.Pid, r.err), err)
	}
	if err == nil && !r.read {
		return u, fmt.Errorf("pid %d exited without an exit stop: no peak RSS read", m.cmd.Process.Pid)
	}
	return u, err
}

// follow resumes every stop of the threads of process pid (its process
// group's tracees) until only the process's own exit is left, which it
// leaves for cmd.Wait to reap. It returns the largest VmHWM read at an
// exit stop. Should a ptrace request fail, it kills the process and goes
// on, so that the process never stays stopped.
func follow(pid int) (peak int64, read bool, err error) {
	started := map[int]bool{}
	fail := func(e error) {
		if err == nil {
			err = e
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	for {
		tid, leaderGone, werr := nextEvent(pid)
		if leaderGone {
			return peak, read, err
		}
		var ws syscall.WaitStatus
		if werr == nil {
			werr = wait4(tid, &ws)
		}
		if werr != nil { // not expected; the process is left killed
			_ = syscall.Kill(pid, syscall.SIGKILL)
			return peak, read, errors.Join(err, werr)
		}
		if !ws.Stopped() {
			delete(started, tid) // a thread other than the first one ended
			continue
		}
		first := !started[tid]
		started[tid] = true
		sig, e := resume(pid, tid, ws, first, &peak, &read)
		if e == nil {
			e = syscall.PtraceCont(tid, sig)
		}
		// ESRCH: killed while stopped; its end is the next event.
		if e != nil && !errors.Is(e, syscall.ESRCH) {
			fail(e)
		}
	}
}

// resume handles one stop of thread tid and returns the signal to resume
// it with.
func resume(pid, tid int, ws syscall.WaitStatus, first bool, peak *int64, read *bool) (int, error) {
	sig := ws.StopSignal()
	switch {
	case first && tid == pid && sig == syscall.SIGTRAP: // stopped after exec
		return 0, syscall.PtraceSetOptions(pid, unix.PTRACE_O_TRACEEXIT|unix.PTRACE_O_TRACECLONE|
			unix.PTRACE_O_TRACEEXEC|unix.PTRACE_O_EXITKILL)
	case first && sig == syscall.SIGSTOP: // a new thread, traced from its start
		return 0, nil
	case sig == syscall.SIGTRAP && ws.TrapCause() == unix.PTRACE_EVENT_EXIT:
		if kib, ok := vmHWM(tid); ok {
			*peak = max(*peak, kib*1024)
			*read = true
		}
		return 0, nil
	case sig == syscall.SIGTRAP && ws.TrapCause() > 0: // clone, exec
		return 0, nil
	case isStopSignal(sig) && groupStop(tid):
		return 0, nil
	}
	return int(sig), nil
}

// nextEvent waits for a stop or an exit in the process group pid, without
// taking it, and says whose it is and whether it is the process's own exit.
func nextEvent(pid int) (tid int, leaderGone bool, err error) {
	// siginfo_t of SIGCHLD (128 bytes): signo, errno, code, a gap, then
	// the pid, uid and status of the child.
	var info struct {
		signo, errno, code, _ int32
		pid                   int32
		uid                   uint32
		status                int32
		_                     [100]byte
	}
	for {
		err = unix.Waitid(unix.P_PGID, pid, (*unix.Siginfo)(unsafe.Pointer(&info)),
			unix.WEXITED|unix.WSTOPPED|unix.WNOWAIT|unix.WALL, nil)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return 0, false, fmt.Errorf("waitid: %w", err)
	}
	// si_code of an end: CLD_EXITED, CLD_KILLED, CLD_DUMPED (of a stop:
	// CLD_TRAPPED, CLD_STOPPED).
	const cldExited, cldDumped = 1, 3
	ended := info.code >= cldExited && info.code <= cldDumped
	return int(info.pid), ended && int(info.pid) == pid, nil
}

// wait4 takes the event of thread tid that nextEvent saw.
func wait4(tid int, ws *syscall.WaitStatus) error {
	for {
		_, err := syscall.Wait4(tid, ws, syscall.WALL, nil)
		if !errors.Is(err, syscall.EINTR) {
			if err != nil {
				return fmt.Errorf("wait4 %d: %w", tid, err)
			}
			return nil
		}
	}
}

func isStopSignal(sig syscall.Signal) bool {
	return sig == syscall.SIGSTOP || sig == syscall.SIGTSTP || sig == syscall.SIGTTIN || sig == syscall.SIGTTOU
}

// groupStop tells a group-stop from the delivery of a stop signal: only
// the delivery has signal information (ptrace(2), "Group-stop").
func groupStop(tid int) bool {
	var info [128]byte
	_, _, errno := syscall.Syscall6(syscall.SYS_PTRACE, syscall.PTRACE_GETSIGINFO, uintptr(tid), 0,
		uintptr(unsafe.Pointer(&info[0])), 0, 0)
	return errno == syscall.EINVAL
}

// vmHWM reads the VmHWM line of /proc/tid/status, in KiB.
func vmHWM(tid int) (int64, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kib, err == nil
		}
	}
	return 0, false
}
