package guest

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// vmSpec is one guest to boot: what the rendered VirtualMachine asks for,
// plus the test's network and seed.
type vmSpec struct {
	name     string
	cores    int
	memoryMi int64
	seed     string     // NoCloud seed image
	disks    []dataDisk // blank data disks
	mac      string
	netdev   string // qemu -netdev value, id n0
	// A second NIC when netdev2 is set (-netdev value, id n1).
	mac2, netdev2 string
}

// dataDisk is a blank disk the guest finds by its serial.
type dataDisk struct {
	serial string
	bytes  int64
}

// qemuVM is a running guest.
type qemuVM struct {
	name    string
	console string // serial console log
	qga     string // guest agent socket
	cmd     *exec.Cmd
	exited  chan struct{} // closed when qemu has exited
	waitErr error         // set before exited is closed
}

// startVM boots spec under qemu-system-x86_64 in dir; t.Cleanup kills it if
// it still runs.
func startVM(t *testing.T, img *guestImage, spec vmSpec, dir string) *qemuVM {
	t.Helper()
	vm := &qemuVM{
		name:    spec.name,
		console: filepath.Join(dir, "console.log"),
		qga:     filepath.Join(dir, "qga.sock"),
		exited:  make(chan struct{}),
	}
	acc := accel()
	cpu := "max"
	if acc == "kvm" {
		cpu = "host"
	}
	args := []string{
		"-name", spec.name,
		"-machine", "q35,accel=" + acc, "-cpu", cpu,
		"-smp", strconv.Itoa(spec.cores), "-m", fmt.Sprintf("%dM", spec.memoryMi),
		"-nodefaults", "-display", "none", "-no-reboot",
		// The disk boots as KubeVirt boots it: BIOS, then its own GRUB.
		// snapshot=on: writes go to a temporary overlay, so every boot is a
		// first boot of the same image.
		"-drive", "file=" + img.disk + ",format=qcow2,if=none,id=root,snapshot=on",
		"-device", "virtio-blk-pci,drive=root,bootindex=0",
		"-drive", "file=" + spec.seed + ",format=raw,if=none,id=seed,readonly=on",
		"-device", "virtio-blk-pci,drive=seed",
		"-netdev", spec.netdev,
		"-device", "virtio-net-pci,netdev=n0,mac=" + spec.mac,
		"-chardev", "socket,id=qga,path=" + vm.qga + ",server=on,wait=off",
		"-device", "virtio-serial-pci",
		"-device", "virtserialport,chardev=qga,name=org.qemu.guest_agent.0",
		"-chardev", "file,id=console,path=" + vm.console,
		"-serial", "chardev:console",
	}
	if spec.netdev2 != "" {
		args = append(args, "-netdev", spec.netdev2, "-device", "virtio-net-pci,netdev=n1,mac="+spec.mac2)
	}
	for i, d := range spec.disks {
		f := filepath.Join(dir, fmt.Sprintf("data%d.raw", i))
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(f, d.bytes); err != nil { // sparse: a blank disk costs nothing
			t.Fatal(err)
		}
		id := fmt.Sprintf("data%d", i)
		args = append(args,
			"-drive", "file="+f+",format=raw,if=none,cache=unsafe,id="+id,
			"-device", "virtio-blk-pci,drive="+id+",serial="+d.serial)
	}
	out, err := os.Create(filepath.Join(dir, "qemu.log"))
	if err != nil {
		t.Fatal(err)
	}
	vm.cmd = exec.Command("qemu-system-x86_64", args...)
	vm.cmd.Stdout, vm.cmd.Stderr = out, out
	// Should the test binary die without its cleanups (a -timeout
	// panic), its guests die with it.
	vm.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := vm.cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("starting qemu for %s: %v", spec.name, err)
	}
	t.Logf("%s: qemu pid %d (%s), console %s", spec.name, vm.cmd.Process.Pid, acc, vm.console)
	go func() {
		vm.waitErr = vm.cmd.Wait()
		out.Close()
		close(vm.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-vm.exited:
		default:
			_ = vm.cmd.Process.Kill()
			<-vm.exited
		}
	})
	return vm
}

// running reports whether qemu is still running.
func (vm *qemuVM) running() bool {
	select {
	case <-vm.exited:
		return false
	default:
		return true
	}
}

// ansiEscape matches the colour and cursor sequences systemd writes to the
// console.
var ansiEscape = regexp.MustCompile(`\x1b(\[[0-9;?]*[A-Za-z]|[A-Za-z])`)

// consoleText returns the serial console so far, without terminal escapes.
func (vm *qemuVM) consoleText() string {
	b, err := os.ReadFile(vm.console)
	if err != nil {
		return fmt.Sprintf("(no console: %v)", err)
	}
	return ansiEscape.ReplaceAllString(strings.ReplaceAll(string(b), "\r", ""), "")
}

// tail returns the last n lines of text.
func tail(text string, n int) string {
	lines := strings.Split(text, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// journalDump waits (briefly) for the checker's dump of the unit's journal
// to be complete on the console and returns the console before the dump
// and the dump; without a dump, the whole console and "".
func (vm *qemuVM) journalDump(unit string) (before, dump string) {
	begin := "VIRTWORK-JOURNAL " + vm.name + " " + unit + " begin"
	end := "VIRTWORK-JOURNAL " + vm.name + " " + unit + " end"
	deadline := time.Now().Add(30 * time.Second)
	for {
		text := vm.consoleText()
		i := strings.LastIndex(text, begin)
		if i < 0 {
			return text, ""
		}
		if j := strings.Index(text[i:], end); j >= 0 || time.Now().After(deadline) || !vm.running() {
			if j < 0 {
				j = len(text) - i
			}
			return text[:i], text[i : i+j]
		}
		time.Sleep(time.Second)
	}
}

// markerPrefix starts every line the checker writes to the console.
const markerPrefix = "VIRTWORK-CHECK "

// errMarkerFail is wrapped by waitMarker when the checker reported failure.
var errMarkerFail = errors.New("the guest check failed")

// waitMarker waits until the console shows the checker's line "VIRTWORK-CHECK
// <vm> <kind> <detail>" and returns its detail. A "fail" line, qemu exiting
// or ctx ending is an error.
func (vm *qemuVM) waitMarker(ctx context.Context, kind string) (string, error) {
	prefix := markerPrefix + vm.name + " "
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		exitedBefore := !vm.running()
		if f, err := os.Open(vm.console); err == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				line := strings.TrimRight(sc.Text(), "\r")
				i := strings.Index(line, prefix)
				if i < 0 {
					continue
				}
				k, detail, _ := strings.Cut(line[i+len(prefix):], " ")
				switch k {
				case kind:
					f.Close()
					return detail, nil
				case "fail":
					f.Close()
					return "", fmt.Errorf("%w: %s", errMarkerFail, detail)
				}
			}
			f.Close()
		}
		if exitedBefore {
			return "", fmt.Errorf("qemu exited before the check reported %q: %v", kind, vm.waitErr)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no %q from the guest check: %w", kind, ctx.Err())
		case <-tick.C:
		}
	}
}

// powerOff asks the guest to power off through its agent and waits for
// qemu to exit; a guest that does not go in time is killed.
func (vm *qemuVM) powerOff(t *testing.T, timeout time.Duration) {
	t.Helper()
	if !vm.running() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	// The agent is killed by the shutdown it starts, so an error or no
	// answer at all is normal: qemu exiting is what counts.
	err := qgaCall(ctx, vm.qga, "guest-shutdown", map[string]any{"mode": "powerdown"}, nil)
	cancel()
	select {
	case <-vm.exited:
		return
	case <-time.After(timeout):
	}
	t.Errorf("%s: did not power off within %s of guest-shutdown (%v); killed", vm.name, timeout, err)
	_ = vm.cmd.Process.Signal(syscall.SIGKILL)
	<-vm.exited
}

// execResult is what a command run through the guest agent did.
type execResult struct {
	exitCode       int
	stdout, stderr string
}

// guestExec runs argv in the guest through the guest agent (guest-exec),
// the way KubeVirt runs a VM's exec probe, and waits for it to exit.
func (vm *qemuVM) guestExec(ctx context.Context, argv ...string) (execResult, error) {
	var started struct {
		PID int `json:"pid"`
	}
	if err := qgaCall(ctx, vm.qga, "guest-exec", map[string]any{"path": argv[0], "arg": argv[1:], "capture-output": true}, &started); err != nil {
		return execResult{}, err
	}
	for {
		var st struct {
			Exited   bool   `json:"exited"`
			ExitCode int    `json:"exitcode"`
			Signal   int    `json:"signal"`
			OutData  string `json:"out-data"`
			ErrData  string `json:"err-data"`
		}
		if err := qgaCall(ctx, vm.qga, "guest-exec-status", map[string]any{"pid": started.PID}, &st); err != nil {
			return execResult{}, err
		}
		if st.Exited {
			out, _ := base64.StdEncoding.DecodeString(st.OutData)
			errOut, _ := base64.StdEncoding.DecodeString(st.ErrData)
			code := st.ExitCode
			if st.Signal != 0 {
				code = 128 + st.Signal
			}
			return execResult{exitCode: code, stdout: string(out), stderr: string(errOut)}, nil
		}
		select {
		case <-ctx.Done():
			return execResult{}, fmt.Errorf("%v still running in the guest: %w", argv, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// qgaCall sends one command to the guest agent on a fresh connection,
// after a guest-sync that skips anything a previous client left unread.
func qgaCall(ctx context.Context, socket, command string, args map[string]any, result any) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return fmt.Errorf("connecting to the guest agent: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	enc, dec := json.NewEncoder(conn), json.NewDecoder(conn)
	type reply struct {
		Return json.RawMessage `json:"return"`
		Error  *struct {
			Class string `json:"class"`
			Desc  string `json:"desc"`
		} `json:"error"`
	}
	syncID := time.Now().UnixNano() & 0x7fffffff
	if err := enc.Encode(map[string]any{"execute": "guest-sync", "arguments": map[string]any{"id": syncID}}); err != nil {
		return fmt.Errorf("guest-sync: %w", err)
	}
	for {
		var r reply
		if err := dec.Decode(&r); err != nil {
			return fmt.Errorf("guest-sync: %w", err)
		}
		if string(r.Return) == strconv.FormatInt(syncID, 10) {
			break
		}
	}
	msg := map[string]any{"execute": command}
	if args != nil {
		msg["arguments"] = args
	}
	if err := enc.Encode(msg); err != nil {
		return fmt.Errorf("%s: %w", command, err)
	}
	var r reply
	if err := dec.Decode(&r); err != nil {
		return fmt.Errorf("%s: %w", command, err)
	}
	if r.Error != nil {
		return fmt.Errorf("%s: %s: %s", command, r.Error.Class, r.Error.Desc)
	}
	if result != nil {
		if err := json.Unmarshal(r.Return, result); err != nil {
			return fmt.Errorf("%s: decoding %s: %w", command, r.Return, err)
		}
	}
	return nil
}
