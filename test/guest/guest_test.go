package guest

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/test/runs"
)

// EnableEnv is the variable that lets the tests boot VMs.
const EnableEnv = "VIRTWORK_GUEST_TEST"

const namespace = "virtwork"

// TestGuest boots every built-in workload (one instance each) and checks
// that its units run and produce load. make test-guest WORKLOAD=cpu runs one.
func TestGuest(t *testing.T) {
	if os.Getenv(EnableEnv) != "1" {
		t.Skipf("boots VMs under qemu; %s=1 (make test-guest) runs it", EnableEnv)
	}
	for _, tool := range []string{"qemu-system-x86_64", "qemu-img", "mkfs.vfat", "mcopy", "mmdebstrap", "mkfs.ext4", "sfdisk"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to boot guests (hack/install-guest-deps.sh installs it): %v", tool, err)
		}
	}
	reg := workloads.Builtin()
	start := time.Now()
	img, err := goldenImage(reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("golden image ready in %s: %s (accel %s)", time.Since(start).Round(time.Second), img.disk, accel())
	mirror := lookupMirror(t)

	all := checks()
	slots := newSlots(envInt(t, "VIRTWORK_GUEST_PARALLEL", 2), longest(reg.Names(), all))
	timeout := time.Duration(envInt(t, "VIRTWORK_GUEST_TIMEOUT_SECONDS", 1200)) * time.Second
	for _, name := range reg.Names() {
		c, ok := all[name]
		if !ok {
			t.Errorf("workload %s has no guest check: add one to checks()", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			bootWorkload(t, reg, img, slots, name, c, mirror, timeout)
		})
	}
}

// renderRun renders the test's run of one workload for a Debian guest,
// with --preinstalled: the golden image has the packages, and the guest is
// offline. A workload render refuses there (tps: netperf is not in Debian
// main) is rendered for the default guest instead: whatever of its
// packages the image has must still run.
func renderRun(t *testing.T, workload string, c workloadCheck) *render.Bundle {
	args := append([]string{"--workloads", workload, "--vm-count", "1", "--preinstalled"}, c.params...)
	// The image only names what KubeVirt would boot; the test boots its own
	// Debian disk.
	b, err := runs.Render(namespace, append(args, "--guest", "debian", "--image", "quay.io/containerdisks/debian:12")...)
	if err != nil && strings.Contains(err.Error(), "cannot run on a debian guest") {
		t.Logf("booting the default guest's user-data on Debian: %v", err)
		return runs.Bundle(t, namespace, args...)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// guestVM is one rendered VM and how the test boots it.
type guestVM struct {
	name, role, unit string
	probe            []string
	probeTimeout     time.Duration
	spec             vmSpec
	check            checker
	ip               string
	labels           map[string]string
	qemu             *qemuVM
	started          time.Time
}

func bootWorkload(t *testing.T, reg *workloads.Registry, img *guestImage, slots *slots, name string, c workloadCheck, mirror mirrorAddr, timeout time.Duration) {
	w, _ := reg.Get(name)
	spec := w.Spec()
	// The slots are taken before rendering: a check whose run starts at a
	// --start-at relative to render time must not lose it waiting.
	need := 0
	for _, r := range spec.Roles {
		need += r.VMs()
	}
	slots.acquire(name, need)
	defer slots.release(need)
	b := renderRun(t, name, c)

	vms, userData, hosts := bundleVMs(t, b, spec)
	netdevs := privateNetwork(t, len(vms))
	dir := artifactDir(t, name)
	for i, g := range vms {
		ud, ok := userData[g.spec.seed]
		if !ok {
			t.Fatalf("%s: no Secret %s", g.name, g.spec.seed)
		}
		ready, final := c.ready[g.role], c.final[g.role]
		if ready == "" {
			t.Fatalf("the check of %s has nothing for role %s", name, g.role)
		}
		g.check = checker{vm: g.name, unit: g.unit, serial: dataSerial(g.spec), hosts: hosts, ready: ready, final: final, timeout: timeout, mirror: mirror}
		vmDir := filepath.Join(dir, g.name)
		if err := os.MkdirAll(vmDir, 0o755); err != nil {
			t.Fatal(err)
		}
		seedImg, err := writeSeed(vmDir, seed{
			userData:      ud,
			metaData:      metaData(g.name),
			networkConfig: networkConfig(g.spec.mac, g.ip+"/24"),
			vendorData:    g.check.vendorData(),
		})
		if err != nil {
			t.Fatal(err)
		}
		g.spec.seed = seedImg
		g.spec.netdev = netdevs[i]
	}

	if len(vms) != need {
		t.Fatalf("rendered %d VMs, the workload's roles say %d", len(vms), need)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, g := range vms {
		g.started = time.Now()
		g.qemu = startVM(t, img, g.spec, filepath.Join(dir, g.name))
	}
	defer func() {
		for _, g := range vms {
			g.qemu.powerOff(t, 2*time.Minute)
		}
	}()

	// Both VMs of a pair boot at once; each reports on its own console.
	failed := false
	for _, g := range vms {
		detail, err := g.qemu.waitMarker(ctx, "ready")
		if err != nil {
			report(t, g, err)
			failed = true
			continue
		}
		t.Logf("%s: %s active after %s: %s", g.name, g.unit, since(g.started), detail)
	}
	if failed {
		return
	}
	for _, g := range vms {
		// KubeVirt gives the probe its timeoutSeconds; emulation (TCG) is
		// many times slower than the hardware that number is meant for.
		pctx, pcancel := context.WithTimeout(ctx, probeTimeout(g.probeTimeout))
		probeStart := time.Now()
		res, err := g.qemu.guestExec(pctx, g.probe...)
		if err == nil && res.exitCode != 0 {
			err = fmt.Errorf("exit code %d, stdout %q, stderr %q", res.exitCode, res.stdout, res.stderr)
		}
		if err == nil {
			_, err = g.qemu.guestExec(pctx, "touch", probedFile)
		}
		pcancel()
		if err != nil {
			report(t, g, fmt.Errorf("probe %q: %w", strings.Join(g.probe, " "), err))
			return
		}
		t.Logf("%s: probe %q succeeded in %s", g.name, strings.Join(g.probe, " "), time.Since(probeStart).Round(time.Millisecond))
	}
	for _, g := range vms {
		detail, err := g.qemu.waitMarker(ctx, "ok")
		if err != nil {
			report(t, g, err)
			continue
		}
		t.Logf("%s: ok after %s: %s", g.name, since(g.started), detail)
	}
}

// guestSize is the VM's vCPUs (sockets x cores x threads, as KubeVirt
// counts them, each 1 when unset) and guest memory in bytes. A VM sized by
// an instance type has neither: the test has no cluster to read it from.
func guestSize(vm *kubevirtv1.VirtualMachine) (int, int64, error) {
	d := vm.Spec.Template.Spec.Domain
	if d.CPU == nil || d.Memory == nil || d.Memory.Guest == nil {
		if it := vm.Spec.Instancetype; it != nil {
			return 0, 0, fmt.Errorf("%s: sized by the instance type %s, which the guest test cannot read; size it with --cpu-cores and --memory", vm.Name, it.Name)
		}
		return 0, 0, fmt.Errorf("%s: no domain.cpu or domain.memory.guest", vm.Name)
	}
	n := 1
	for _, v := range []uint32{d.CPU.Sockets, d.CPU.Cores, d.CPU.Threads} {
		n *= int(max(v, 1))
	}
	return n, d.Memory.Guest.Value(), nil
}

// bundleVMs reads the rendered run: its VMs (one, or one pair), the
// user-data of each Secret by name, and the /etc/hosts lines that make
// each Service's name resolve, in every guest, to the VM it selects.
func bundleVMs(t *testing.T, b *render.Bundle, spec workloads.Spec) ([]*guestVM, map[string][]byte, []string) {
	t.Helper()
	userData := map[string][]byte{}
	var services []struct {
		host     string
		selector map[string]string
	}
	var vms []*guestVM
	for obj := range b.Objects() {
		switch obj.GetKind() {
		case "Secret":
			data, _, _ := unstructured.NestedString(obj.Object, "data", "userdata")
			ud, err := base64.StdEncoding.DecodeString(data)
			if err != nil {
				t.Fatalf("Secret %s: %v", obj.GetName(), err)
			}
			userData[obj.GetName()] = ud
		case "Service":
			sel, _, _ := unstructured.NestedStringMap(obj.Object, "spec", "selector")
			services = append(services, struct {
				host     string
				selector map[string]string
			}{obj.GetName() + "." + obj.GetNamespace() + ".svc", sel})
		case "VirtualMachine":
			var vm kubevirtv1.VirtualMachine
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &vm); err != nil {
				t.Fatalf("VirtualMachine %s: %v", obj.GetName(), err)
			}
			g, err := newGuestVM(&vm, spec, len(vms))
			if err != nil {
				t.Fatal(err)
			}
			vms = append(vms, g)
		}
	}
	if len(vms) == 0 || len(vms) > 2 {
		t.Fatalf("got %d VMs; the test boots one VM or one pair", len(vms))
	}

	var hosts []string
	for _, s := range services {
		for _, g := range vms {
			if selects(s.selector, g.labels) {
				hosts = append(hosts, g.ip+" "+s.host)
			}
		}
	}
	return vms, userData, hosts
}

// newGuestVM reads what the test needs from a rendered VirtualMachine: its
// size, data disks, role, unit and probe. Its seed field holds the name of
// its user-data Secret until the seed image is written.
func newGuestVM(vm *kubevirtv1.VirtualMachine, spec workloads.Spec, index int) (*guestVM, error) {
	vmi := vm.Spec.Template.Spec
	role := vm.Labels[labels.Role]
	r, ok := spec.Role(role)
	if !ok {
		return nil, fmt.Errorf("%s: role %q is not one of workload %s's", vm.Name, role, spec.Name)
	}
	probe, err := probeCommand(&vmi)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", vm.Name, err)
	}
	cpus, memory, err := guestSize(vm)
	if err != nil {
		return nil, err
	}
	g := &guestVM{
		name:  vm.Name,
		role:  role,
		unit:  r.Unit,
		probe: probe,
		// KubeVirt's default when the probe sets none.
		probeTimeout: time.Second,
		ip:           fmt.Sprintf("10.99.0.%d", index+1),
		labels:       vm.Spec.Template.ObjectMeta.Labels,
		spec: vmSpec{
			name:     vm.Name,
			cores:    cpus,
			memoryMi: memory >> 20,
			mac:      fmt.Sprintf("52:54:00:99:00:%02x", index+1),
		},
	}
	if s := vmi.ReadinessProbe.TimeoutSeconds; s > 0 {
		g.probeTimeout = time.Duration(s) * time.Second
	}
	sizes := map[string]int64{}
	for _, dvt := range vm.Spec.DataVolumeTemplates {
		if q, ok := dvt.Spec.Storage.Resources.Requests["storage"]; ok {
			sizes[dvt.Name] = q.Value()
		}
	}
	volumes := map[string]kubevirtv1.Volume{}
	for _, v := range vmi.Volumes {
		volumes[v.Name] = v
	}
	for _, d := range vmi.Domain.Devices.Disks {
		v := volumes[d.Name]
		switch {
		case v.CloudInitNoCloud != nil:
			if v.CloudInitNoCloud.UserDataSecretRef == nil {
				return nil, fmt.Errorf("%s: cloud-init volume without a Secret", vm.Name)
			}
			g.spec.seed = v.CloudInitNoCloud.UserDataSecretRef.Name
		case v.DataVolume != nil:
			size, ok := sizes[v.DataVolume.Name]
			if !ok || d.Serial == "" {
				return nil, fmt.Errorf("%s: data disk %s has no size or serial", vm.Name, d.Name)
			}
			g.spec.disks = append(g.spec.disks, dataDisk{serial: d.Serial, bytes: size})
		}
	}
	return g, nil
}

// probeCommand is the VM's readiness probe command: what KubeVirt runs in
// the guest, through the guest agent, to call the VM ready.
func probeCommand(vmi *kubevirtv1.VirtualMachineInstanceSpec) ([]string, error) {
	p := vmi.ReadinessProbe
	if p == nil || p.Exec == nil || len(p.Exec.Command) == 0 {
		return nil, fmt.Errorf("no readiness probe command")
	}
	return p.Exec.Command, nil
}

// probeTimeout is how long the test lets a probe take: the probe's own
// timeout under KVM, twenty times that (at least a minute) under TCG.
func probeTimeout(d time.Duration) time.Duration {
	if accel() == "kvm" {
		return d
	}
	return max(20*d, time.Minute)
}

func dataSerial(s vmSpec) string {
	if len(s.disks) == 0 {
		return ""
	}
	return s.disks[0].serial
}

func selects(selector, lbl map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if lbl[k] != v {
			return false
		}
	}
	return true
}

// privateNetwork returns the -netdev of each VM: a lone VM gets qemu's
// user networking with restrict=on, whose gateway (10.99.0.254, the route
// the seed's network-config sets) forwards nothing to the host or beyond;
// a pair two UDP sockets on loopback that talk to each other and to
// nothing else, so neither needs the other to start first. The checker
// proves the guest offline either way (checker.mirror).
func privateNetwork(t *testing.T, n int) []string {
	if n == 1 {
		return []string{"user,id=n0,net=10.99.0.0/24,host=10.99.0.254,restrict=on"}
	}
	ports := make([]int, n)
	for i := range ports {
		l, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.LocalAddr().(*net.UDPAddr).Port
		l.Close()
	}
	return []string{
		fmt.Sprintf("socket,id=n0,localaddr=127.0.0.1:%d,udp=127.0.0.1:%d", ports[0], ports[1]),
		fmt.Sprintf("socket,id=n0,localaddr=127.0.0.1:%d,udp=127.0.0.1:%d", ports[1], ports[0]),
	}
}

// mirrorAddr is the package mirror the guests must not reach: its name
// and, resolved on the host (which reaches it), its address, so that the
// guest's failure to connect is not only its failure to resolve the name.
type mirrorAddr struct {
	host, ip string
}

// mirrorHost is where Debian guests install packages from.
const mirrorHost = "deb.debian.org"

func lookupMirror(t *testing.T) mirrorAddr {
	m := mirrorAddr{host: mirrorHost}
	addrs, err := net.LookupHost(mirrorHost)
	for _, a := range addrs {
		if ip := net.ParseIP(a); ip != nil && ip.To4() != nil {
			m.ip = a
			break
		}
	}
	if m.ip == "" {
		t.Logf("%s does not resolve here (%v): the guests' offline check tries its name only", mirrorHost, err)
	}
	return m
}

// report fails t with what the guest showed: the console's tail, which
// holds the checker's dump of the unit's journal when it got that far, or
// else the journal read through the guest agent.
func report(t *testing.T, g *guestVM, err error) {
	t.Helper()
	before, dump := g.qemu.journalDump(g.unit)
	msg := fmt.Sprintf("%s (%s, after %s): %v\n--- console tail ---\n%s", g.name, g.unit, since(g.started), err, tail(before, 60))
	switch {
	case dump != "":
		msg += "\n--- journal of " + g.unit + ", from the checker ---\n" + dump
	case g.qemu.running():
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, jerr := g.qemu.guestExec(ctx, "journalctl", "-u", g.unit, "--no-pager", "-n", "100")
		cancel()
		if jerr != nil {
			msg += fmt.Sprintf("\n--- journal of %s: unavailable: %v", g.unit, jerr)
		} else {
			msg += fmt.Sprintf("\n--- journal of %s, through the guest agent ---\n%s%s", g.unit, res.stdout, res.stderr)
		}
	default:
		msg += "\n--- journal of " + g.unit + ": unavailable, qemu has exited"
	}
	t.Error(msg)
}

// artifactDir is where the workload's seeds, disks and consoles go: a
// temporary directory, or one kept under VIRTWORK_GUEST_ARTIFACTS.
func artifactDir(t *testing.T, workload string) string {
	root := os.Getenv("VIRTWORK_GUEST_ARTIFACTS")
	if root == "" {
		return t.TempDir()
	}
	dir := filepath.Join(root, workload)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Data disks are sparse but large; only the logs are worth keeping.
	t.Cleanup(func() {
		matches, _ := filepath.Glob(filepath.Join(dir, "*", "*.raw"))
		for _, m := range matches {
			os.Remove(m)
		}
	})
	return dir
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Second) }

// slots bounds how many guests run at once; a pair takes two. The
// longest check takes its slot before any other, so the others run beside
// it instead of after it: make test-guest runs every subtest at once
// (-parallel 16), and the others wait for it for the first 15 s, in case
// -run left it out.
type slots struct {
	mu    sync.Mutex
	cond  *sync.Cond
	free  int
	max   int
	first string // the workload that goes first; "" once it has
}

func newSlots(n int, first string) *slots {
	s := &slots{free: n, max: n, first: first}
	s.cond = sync.NewCond(&s.mu)
	// -run may leave the first one out (WORKLOAD=memory): after a grace
	// the others stop waiting for it.
	time.AfterFunc(15*time.Second, func() {
		s.mu.Lock()
		s.first = ""
		s.mu.Unlock()
		s.cond.Broadcast()
	})
	return s
}

func (s *slots) acquire(name string, n int) {
	n = min(n, s.max)
	s.mu.Lock()
	for s.free < n || (s.first != "" && s.first != name) {
		s.cond.Wait()
	}
	s.free -= n
	if s.first == name {
		s.first = ""
		s.cond.Broadcast()
	}
	s.mu.Unlock()
}

// longest is the selected workload whose check runs longest, by its
// minutes; "" when none says.
func longest(names []string, all map[string]workloadCheck) string {
	best, most := "", 0
	for _, n := range names {
		if c, ok := all[n]; ok && c.minutes > most {
			best, most = n, c.minutes
		}
	}
	return best
}

func (s *slots) release(n int) {
	n = min(n, s.max)
	s.mu.Lock()
	s.free += n
	s.mu.Unlock()
	s.cond.Broadcast()
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s must be a positive integer, got %q", name, v)
	}
	return n
}
