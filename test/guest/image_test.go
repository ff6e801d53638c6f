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

// guestImage is a built guest: the golden image's bootable disk (BIOS,
// GRUB on a serial console), booted as it is, with no -kernel or -initrd.
type guestImage struct {
	disk string // qcow2
}

// goldenImage is the golden image make golden-image packs: its disk with
// every workload's packages.
func goldenImage(reg *workloads.Registry) (*guestImage, error) {
	packages, err := workloads.GoldenPackages(reg, workloads.Debian)
	if err != nil {
		return nil, err
	}
	return buildImage(packages)
}

// buildImage runs hack/build-golden-image.sh with these packages (beside
// the base it always has), which does nothing when that disk is already
// cached. Its progress goes to stderr; its last line of output is the
// image directory.
func buildImage(packages []string) (*guestImage, error) {
	script, err := filepath.Abs("../../hack/build-golden-image.sh")
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	cmd := exec.Command(script, packages...)
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("building the golden image (%s %s): %w", script, strings.Join(packages, " "), err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	img := &guestImage{disk: filepath.Join(lines[len(lines)-1], "disk.qcow2")}
	if _, err := os.Stat(img.disk); err != nil {
		return nil, fmt.Errorf("golden image incomplete: %w", err)
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
