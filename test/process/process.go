// Package process starts and stops the server binaries the tests and the
// dev cluster run (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, Prometheus): each on free ports of 127.0.0.1, with its output in a log
// file so a failed start can show why, stopped by its own PID only; and
// runs a command measuring its own peak resident memory (StartMeasured).
package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	utilwait "k8s.io/apimachinery/pkg/util/wait"
)

// stopGrace is how long a process gets between SIGTERM and SIGKILL.
const stopGrace = 10 * time.Second

// Process is one started binary.
type Process struct {
	// Name names the process in errors and PID files.
	Name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error
}

// Start runs bin with args, its output appended to logPath. When
// killWithParent is set the kernel kills the process if this one dies (a
// test binary that times out or panics), so nothing outlives the test run.
func Start(name, bin string, args []string, logPath string, killWithParent bool) (*Process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening %s log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if killWithParent {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Process{Name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// PID returns the operating-system process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// LogPath is the file that receives the process's output.
func (p *Process) LogPath() string { return p.logPath }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM, then SIGKILL after a grace period, and waits for the
// process to be reaped. Only this process's PID is signalled.
func (p *Process) Stop() error {
	if p.Exited() {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping %s (pid %d): %w", p.Name, p.PID(), err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopGrace):
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing %s (pid %d): %w", p.Name, p.PID(), err)
	}
	<-p.done
	return nil
}

// Failure describes a process that exited or never became ready, with the
// end of its log.
func (p *Process) Failure(reason error) error {
	state := "still running"
	if p.Exited() {
		state = fmt.Sprintf("exited: %v", p.waitErr)
	}
	return fmt.Errorf("%s (pid %d, %s): %w\n--- last lines of %s ---\n%s",
		p.Name, p.PID(), state, reason, p.logPath, Tail(p.logPath, 25))
}

// PortConflict reports whether the process died because a port it was
// given was taken between picking and binding it.
func (p *Process) PortConflict() bool {
	return p.Exited() && strings.Contains(Tail(p.logPath, 50), "address already in use")
}

// WaitReady polls check until it succeeds, the process exits or timeout
// passes.
func (p *Process) WaitReady(ctx context.Context, timeout time.Duration, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	err := utilwait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		if p.Exited() {
			return false, errors.New("exited before becoming ready")
		}
		last = check(ctx)
		return last == nil, nil
	})
	if err != nil && last != nil {
		return fmt.Errorf("%w (last check: %v)", err, last)
	}
	return err
}

// Tail returns the last lines of the file at path.
func Tail(path string, lines int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	all := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return string(bytes.Join(all, []byte("\n")))
}

// FreePorts returns n distinct ports that were free on 127.0.0.1. Another
// process may take one before it is bound; callers retry on a conflict
// (Process.PortConflict).
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// startAttempts bounds the retries when another process takes a free port
// before the server binds it.
const startAttempts = 3

// Server describes a server to start on fresh ports of 127.0.0.1.
type Server struct {
	Name, Bin string
	// Ports is how many free ports the server needs.
	Ports int
	// Args builds the command line for the ports picked.
	Args func(ports []int) []string
	// Ready checks that the server answers on the ports picked.
	Ready func(ctx context.Context, ports []int) error
	// ReadyTimeout bounds one attempt's wait for Ready.
	ReadyTimeout   time.Duration
	LogPath        string
	KillWithParent bool
}

// StartServer starts s on fresh ports and waits until it is ready,
// retrying with new ports when it died of a port conflict. On failure
// nothing is left running.
func StartServer(ctx context.Context, s Server) (*Process, []int, error) {
	for attempt := 1; ; attempt++ {
		ports, err := FreePorts(s.Ports)
		if err != nil {
			return nil, nil, err
		}
		p, err := Start(s.Name, s.Bin, s.Args(ports), s.LogPath, s.KillWithParent)
		if err != nil {
			return nil, nil, err
		}
		err = p.WaitReady(ctx, s.ReadyTimeout, func(ctx context.Context) error { return s.Ready(ctx, ports) })
		if err == nil {
			return p, ports, nil
		}
		conflict := p.PortConflict()
		stopErr := p.Stop()
		if !conflict || attempt == startAttempts {
			return nil, nil, errors.Join(p.Failure(err), stopErr)
		}
	}
}
