package guest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// seed is one VM's NoCloud seed. userData is exactly what the VM's Secret
// holds; everything the test adds travels in the other files, so the
// product's user-data is processed as it would be under KubeVirt.
type seed struct {
	userData      []byte
	metaData      string
	networkConfig string
	vendorData    string
}

// writeSeed makes the seed disk: a small FAT file system labelled cidata,
// built and filled without mounting anything.
func writeSeed(dir string, s seed) (string, error) {
	files := map[string][]byte{
		"user-data":      s.userData,
		"meta-data":      []byte(s.metaData),
		"network-config": []byte(s.networkConfig),
		"vendor-data":    []byte(s.vendorData),
	}
	src := filepath.Join(dir, "seed")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	var paths []string
	for name, data := range files {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return "", err
		}
		paths = append(paths, p)
	}
	img := filepath.Join(dir, "seed.img")
	if out, err := exec.Command("mkfs.vfat", "-C", "-n", "CIDATA", img, "2048").CombinedOutput(); err != nil {
		return "", fmt.Errorf("mkfs.vfat: %v: %s", err, out)
	}
	args := append([]string{"-i", img}, paths...)
	if out, err := exec.Command("mcopy", append(args, "::/")...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("mcopy: %v: %s", err, out)
	}
	return img, nil
}

// metaData names the instance; a new instance id is what makes cloud-init
// treat a boot as the first.
func metaData(vm string) string {
	return fmt.Sprintf("instance-id: %s\nlocal-hostname: %s\n", vm, vm)
}

// networkConfig gives the NIC with mac a static address and a default route
// through 10.99.0.254: for a lone guest qemu's restricted user networking,
// which forwards nothing; for a pair an address nobody has. The guest
// reaches its peer, if it has one, and nothing else, and a workload that
// needs a default-route interface has one.
func networkConfig(mac, cidr string) string {
	return fmt.Sprintf(`version: 2
ethernets:
  nic0:
    match:
      macaddress: "%s"
    addresses: [%s]
    routes:
      - to: 0.0.0.0/0
        via: 10.99.0.254
`, mac, cidr)
}

// checker is the test's own check of one VM, shipped as the seed's
// vendor-data. It waits until the unit is active and ready() finds load,
// checks that the guest cannot reach the package mirror (when mirror is
// set; a guest that can fails), reports "ready", waits for the test to run the probe, runs final() and
// reports "ok" or "fail" on the serial console, followed by the unit's
// journal.
type checker struct {
	vm, unit, serial string
	hosts            []string // /etc/hosts lines
	ready, final     string   // bash function bodies
	timeout          time.Duration
	mirror           mirrorAddr // must be unreachable; none when zero
}

// probedFile is what the test creates in the guest once it has run the
// probe; the checker then goes on to final().
const probedFile = "/run/virtwork-guest-check/probed"

func (c checker) vendorData() string {
	final := c.final
	if final == "" {
		// The load was seen; a second look could race its gaps (between
		// two iperf3 tests, say), so only the unit is checked again.
		final = `	systemctl is-active --quiet "$UNIT" || { echo "$UNIT stopped after it was ready"; return 1; }
	echo "$UNIT still active"`
	}
	var b strings.Builder
	fmt.Fprintf(&b, `#!/bin/bash
# vendor-data from virtwork's guest boot test (test/guest), not part of what
# virtwork renders: name the Services' hosts, then start the checker.
set -eu
cat >>/etc/hosts <<'VIRTWORK_HOSTS'
%sVIRTWORK_HOSTS
mkdir -p /run/virtwork-guest-check
cat >/run/virtwork-guest-check/check <<'VIRTWORK_CHECK'
#!/bin/bash
set -u
# chaos-process may pick this script; only SIGKILL would end it, and then
# systemd starts it again.
trap '' TERM HUP INT QUIT USR1 USR2
VM=%s
UNIT=%s
SERIAL=%s
MIRROR="%s"
say() { echo "%s$VM $*" >/dev/ttyS0; }
journal() {
	{
		echo "VIRTWORK-JOURNAL $VM $UNIT begin"
		systemctl status --no-pager --lines=0 "$UNIT"
		journalctl -u "$UNIT" --no-pager -o short-monotonic -n "$1"
		echo "VIRTWORK-JOURNAL $VM $UNIT end"
	} >/dev/ttyS0 2>&1
}
fail() {
	say "fail $*"
	journal 100
	exit 0
}
logs() { journalctl -u "$UNIT" -o cat --no-pager; }
# datadisk prints where the data disk (found by its serial) is mounted.
datadisk() {
	local dev mnt
	dev=$(readlink -e "/dev/disk/by-id/virtio-$SERIAL") || { echo "no data disk $SERIAL"; return 1; }
	mnt=$(findmnt -rno TARGET --source "$dev" | head -n1)
	[ -n "$mnt" ] || { echo "data disk $dev not mounted"; return 1; }
	echo "data-disk=$dev mount=$mnt"
}
# number succeeds when $1 is a whole number of at least $2.
number() { case $1 in '' | *[!0-9]*) return 1 ;; esac; [ "$1" -ge "$2" ]; }
ready() {
%s
}
final() {
%s
}
evidence=none
deadline=$((SECONDS + %d))
until systemctl is-active --quiet "$UNIT" && evidence=$(ready 2>&1); do
	if [ "$SECONDS" -ge "$deadline" ]; then
		fail "$UNIT is $(systemctl is-active "$UNIT"); load: $(echo $evidence)"
	fi
	# A unit that keeps failing will not get better: say so now, not at
	# the deadline.
	restarts=$(systemctl show -P NRestarts "$UNIT")
	if number "$restarts" 5; then
		fail "$UNIT restarted $restarts times; load: $(echo $evidence)"
	fi
	sleep 3
done
seen=$(echo $evidence)
if [ -n "$MIRROR" ]; then
	# The package mirror, by name and by the address the host resolved:
	# an HTTP connection to either is a guest that is not offline.
	for target in $MIRROR; do
		if timeout 20 bash -c "exec 3<>/dev/tcp/${target%%:*}/${target##*:}" 2>/dev/null; then
			fail "connected to $target: the guest is not offline"
		fi
	done
	seen="$seen; offline: no connection to $MIRROR"
fi
say "ready $seen"
until [ -e %s ]; do
	if [ "$SECONDS" -ge "$deadline" ]; then
		fail "the test never ran the probe"
	fi
	sleep 1
done
if evidence=$(final 2>&1); then
	say "ok $seen; $(echo $evidence)"
	journal 30
else
	fail "$(echo $evidence)"
fi
VIRTWORK_CHECK
systemd-run --no-block --unit=virtwork-guest-check --property=Restart=on-failure /bin/bash /run/virtwork-guest-check/check
`, hostsLines(c.hosts), c.vm, c.unit, orNone(c.serial), c.mirror.targets(), markerPrefix, c.ready, final, int(c.timeout.Seconds()), probedFile)
	return b.String()
}

// targets is what the checker tries to connect to: host:80 and ip:80.
func (m mirrorAddr) targets() string {
	var t []string
	for _, h := range []string{m.host, m.ip} {
		if h != "" {
			t = append(t, h+":80")
		}
	}
	return strings.Join(t, " ")
}

func hostsLines(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
