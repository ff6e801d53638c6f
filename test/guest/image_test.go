package guest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// guestImage is a built guest: an ext4 root file system and the kernel and
// initrd to boot it with.
type guestImage struct {
	root, kernel, initrd string
}

// guestPackages is what the image pre-installs: every package the built-in
// workloads install on a Debian guest, because the guest has no network to
// install them at boot. A workload that cannot run on Debian as a whole
// (tps: netperf is not in Debian main) still gets the packages Debian has,
// so whatever of it is installable runs.
func guestPackages(reg *workloads.Registry) ([]string, error) {
	var out []string
	add := func(pkgs []string) {
		for _, p := range pkgs {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	for _, name := range reg.Names() {
		w, _ := reg.Get(name)
		pkgs, err := workloads.PackagesFor(w, workloads.Debian)
		if err == nil {
			add(pkgs)
			continue
		}
		for _, p := range w.Spec().Packages {
			if one, err := workloads.Debian.Packages([]string{p}); err == nil {
				add(one)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no workload has packages for a Debian guest")
	}
	slices.Sort(out)
	return out, nil
}

// buildImage runs hack/build-guest-image.sh, which does nothing when the
// image for this package list is already cached. Its progress goes to
// stderr; its last line of output is the image directory.
func buildImage(packages []string) (*guestImage, error) {
	script, err := filepath.Abs("../../hack/build-guest-image.sh")
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	cmd := exec.Command(script, packages...)
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("building the guest image (%s %s): %w", script, strings.Join(packages, " "), err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	dir := lines[len(lines)-1]
	img := &guestImage{root: filepath.Join(dir, "root.img"), kernel: filepath.Join(dir, "vmlinuz"), initrd: filepath.Join(dir, "initrd.img")}
	for _, f := range []string{img.root, img.kernel, img.initrd} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("guest image incomplete: %w", err)
		}
	}
	return img, nil
}

// accel picks KVM only when it can run a stock guest kernel: /dev/kvm opens,
// the CPU shows hardware virtualisation (vmx or svm) and KVM is not the
// paravirtual kvm_pvm, which cannot. Anything else gets TCG.
// VIRTWORK_GUEST_ACCEL=kvm|tcg overrides the choice.
func accel() string {
	if a := os.Getenv("VIRTWORK_GUEST_ACCEL"); a != "" {
		return a
	}
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return "tcg"
	}
	f.Close()
	if _, err := os.Stat("/sys/module/kvm_pvm"); err == nil {
		return "tcg"
	}
	if modules, err := os.ReadFile("/proc/modules"); err == nil && bytes.Contains(modules, []byte("kvm_pvm ")) {
		return "tcg"
	}
	cpuinfo, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "tcg"
	}
	for _, line := range strings.Split(string(cpuinfo), "\n") {
		if strings.HasPrefix(line, "flags") {
			fields := strings.Fields(line)
			if slices.Contains(fields, "vmx") || slices.Contains(fields, "svm") {
				return "kvm"
			}
			break
		}
	}
	return "tcg"
}
