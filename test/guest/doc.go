// Package guest boots what virtwork renders in real guests: for each
// workload it renders a run, writes each VM's user-data (unchanged, from its
// Secret) to a NoCloud seed, attaches the data disks the VM declares and
// boots the Debian golden image's disk (hack/build-golden-image.sh, the one
// make golden-image packs) through BIOS and its own GRUB under
// qemu-system-x86_64, offline: a lone guest on user networking with
// restrict=on, a pair on a link of its own. A checker the test adds
// through the seed's vendor-data waits until the workload's unit is active
// and producing load, checks that the package mirror is out of reach, and
// reports on the serial console; the test runs each VM's probe command
// through the guest agent, as KubeVirt would, and powers the guest off.
//
// The tests boot VMs only when VIRTWORK_GUEST_TEST=1 (make test-guest); then
// a missing tool is a failure, not a skip.
package guest
