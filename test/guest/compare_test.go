package guest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/test/runs"
)

// CompareEnv is the variable that lets TestGuestBootTimes boot VMs. It is
// not set in CI: the package-install half needs the Debian mirrors.
const CompareEnv = "VIRTWORK_GUEST_COMPARE"

// bootPath is one way a guest gets its workload's packages.
type bootPath struct {
	name string
	// golden: the golden image offline, rendered with --preinstalled;
	// otherwise the base image (no workload package), online, and
	// cloud-init installs the packages from deb.debian.org.
	golden bool
}

// TestGuestBootTimes measures, per workload, the time from qemu's start
// to the workload's unit active (every VM of a pair; the later counts) on
// the two paths: the golden image offline, and the package install at
// first boot. One boot runs at a time, so both paths see the same machine.
// make guest-boot-times runs it (WORKLOAD=cpu,network for some) and
// prints the table the README's Boot sources section shows.
func TestGuestBootTimes(t *testing.T) {
	if os.Getenv(CompareEnv) != "1" {
		t.Skipf("boots every workload twice under qemu, once installing from deb.debian.org; %s=1 (make guest-boot-times) runs it", CompareEnv)
	}
	reg := workloads.Builtin()
	golden, err := goldenImage(reg)
	if err != nil {
		t.Fatal(err)
	}
	base, err := buildImage(nil)
	if err != nil {
		t.Fatal(err)
	}
	timeout := time.Duration(envInt(t, "VIRTWORK_GUEST_TIMEOUT_SECONDS", 1200)) * time.Second
	only := map[string]bool{}
	for _, w := range strings.Split(os.Getenv("WORKLOAD"), ",") {
		if w != "" {
			only[w] = true
		}
	}
	paths := []bootPath{{"golden image, offline", true}, {"package install", false}}
	var rows []string
	for _, name := range reg.Names() {
		if len(only) > 0 && !only[name] {
			continue
		}
		row := "| `" + name + "` |"
		for _, p := range paths {
			img := base
			if p.golden {
				img = golden
			}
			row += " " + timeToActive(t, reg, img, name, p, timeout) + " |"
		}
		rows = append(rows, row)
	}
	t.Logf("boot to workload unit active, accel %s:\n| Workload | %s | %s |\n| --- | --- | --- |\n%s",
		accel(), paths[0].name, paths[1].name, strings.Join(rows, "\n"))
}

// timeToActive boots one run of the workload on path p and returns the
// time from qemu's start until every VM's unit is active, or why not.
func timeToActive(t *testing.T, reg *workloads.Registry, img *guestImage, name string, p bootPath, timeout time.Duration) string {
	w, _ := reg.Get(name)
	b, err := renderPath(name, p)
	if err != nil && strings.Contains(err.Error(), "cannot run on a debian guest") {
		t.Logf("%s, %s: %v", name, p.name, err)
		return "not on Debian"
	}
	if err != nil {
		t.Fatal(err)
	}
	vms, userData, hosts := bundleVMs(t, b, w.Spec())
	slug := "packages"
	if p.golden {
		slug = "golden"
	}
	dir := artifactDir(t, name+"-"+slug)
	netdevs := privateNetwork(t, len(vms))
	for i, g := range vms {
		vmDir := filepath.Join(dir, g.name)
		if err := os.MkdirAll(vmDir, 0o755); err != nil {
			t.Fatal(err)
		}
		net := networkConfig(g.spec.mac, g.ip+"/24")
		g.spec.netdev = netdevs[i]
		switch {
		case !p.golden && len(vms) == 1:
			// The same network as the offline test, not restricted, with
			// qemu's DNS forwarder.
			g.spec.netdev = "user,id=n0,net=10.99.0.0/24,host=10.99.0.254"
			net += "    nameservers:\n      addresses: [10.99.0.3]\n"
		case !p.golden:
			// A pair keeps its link and gets the outside on a second NIC.
			g.spec.mac2 = fmt.Sprintf("52:54:00:98:00:%02x", i+1)
			g.spec.netdev2 = "user,id=n1"
			net = pairOnlineNetworkConfig(g.spec.mac, g.ip+"/24", g.spec.mac2)
		}
		seedImg, err := writeSeed(vmDir, seed{
			userData:      userData[g.spec.seed],
			metaData:      metaData(g.name),
			networkConfig: net,
			vendorData:    activeReporter(g.name, g.unit, hosts),
		})
		if err != nil {
			t.Fatal(err)
		}
		g.spec.seed = seedImg
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	for _, g := range vms {
		g.qemu = startVM(t, img, g.spec, filepath.Join(dir, g.name))
	}
	defer func() {
		for _, g := range vms {
			g.qemu.powerOff(t, 2*time.Minute)
		}
	}()
	var last time.Duration
	for _, g := range vms {
		detail, err := g.qemu.waitMarker(ctx, "active")
		if err != nil {
			t.Errorf("%s, %s: %s: %v\n%s", name, p.name, g.name, err, tail(g.qemu.consoleText(), 40))
			return "failed"
		}
		last = max(last, time.Since(start))
		t.Logf("%s, %s: %s: %s active after %s (guest uptime %s s)", name, p.name, g.name, g.unit, since(start), detail)
	}
	return fmt.Sprintf("%d s", int(last.Round(time.Second).Seconds()))
}

// renderPath renders one instance of the workload for a Debian guest,
// with --preinstalled on the golden path.
func renderPath(name string, p bootPath) (*render.Bundle, error) {
	args := []string{"--workloads", name, "--vm-count", "1", "--guest", "debian", "--image", "quay.io/containerdisks/debian:12"}
	if p.golden {
		args = append(args, "--preinstalled")
	}
	return runs.Render(namespace, args...)
}

// pairOnlineNetworkConfig keeps a pair's link on the first NIC and takes
// the default route and DNS from qemu's DHCP on the second.
func pairOnlineNetworkConfig(mac, cidr, mac2 string) string {
	return fmt.Sprintf(`version: 2
ethernets:
  nic0:
    match:
      macaddress: "%s"
    addresses: [%s]
  nic1:
    match:
      macaddress: "%s"
    dhcp4: true
`, mac, cidr, mac2)
}

// activeReporter is the vendor-data of a timed boot: name the Services'
// hosts, then report on the console, with the guest's uptime, once the
// unit is active.
func activeReporter(vm, unit string, hosts []string) string {
	return fmt.Sprintf(`#!/bin/bash
# vendor-data from virtwork's guest boot times (test/guest), not part of
# what virtwork renders.
set -eu
cat >>/etc/hosts <<'VIRTWORK_HOSTS'
%sVIRTWORK_HOSTS
cat >/run/virtwork-boot-time <<'VIRTWORK_TIME'
#!/bin/bash
until systemctl is-active --quiet %s; do sleep 1; done
echo "%s%s active $(cut -d' ' -f1 /proc/uptime)" >/dev/ttyS0
VIRTWORK_TIME
systemd-run --no-block --unit=virtwork-boot-time /bin/bash /run/virtwork-boot-time
`, hostsLines(hosts), unit, markerPrefix, vm)
}
