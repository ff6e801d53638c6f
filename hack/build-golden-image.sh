#!/usr/bin/env bash
# build-golden-image.sh builds a bootable Debian bookworm disk, the golden
# image of docs/golden-image.md: a root file system made by mmdebstrap from
# the mirrors this machine's apt already uses, with a kernel, systemd,
# cloud-init (datasources NoCloud and ConfigDrive, the two KubeVirt offers),
# growpart (a root disk larger than the image grows to its size at first
# boot), the guest agent, GRUB for BIOS (KubeVirt's default firmware) on a
# serial console, and every package given on the command line preinstalled.
#
# Usage: hack/build-golden-image.sh PACKAGE...
#
# No loop device or mount is needed: the disk is a raw file with an MBR
# partition table (sfdisk), the file system is written into its partition
# by mkfs.ext4 -d -E offset=..., and GRUB is installed by hand: boot.img's
# code in sector 0, core.img (made by grub-mkimage inside the image, with
# what it needs to read /boot/grub embedded) from sector 1 on.
#
# The result is cached outside the clone, keyed by the sorted package list
# and the hashes of this script and the mirror library, in
#   ${VIRTWORK_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/virtwork/guest}/golden-<key>/
# as disk.qcow2 (compressed) and packages.txt. A key already built is
# reused as it is. The directory is printed on stdout as the last line.
# Runs as root (mmdebstrap's root mode and mkfs.ext4 -d keep file ownership
# that way).
set -euo pipefail

log() { printf 'build-golden-image: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
	log "must run as root"
	exit 1
fi
for tool in mmdebstrap sfdisk mkfs.ext4 qemu-img; do
	command -v "$tool" >/dev/null || {
		log "$tool is needed (hack/install-guest-deps.sh installs it)"
		exit 1
	}
done

here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=hack/lib/debian-mirrors.sh
. "$here/lib/debian-mirrors.sh"

# What every golden image has, whatever the workloads: boot (kernel, GRUB
# for BIOS, systemd), first-boot configuration (cloud-init, growpart), the
# guest agent KubeVirt probes through, name resolution from DHCP (clients
# reach their servers by Service name), and what cloud-init's users and SSH
# modules need for --ssh-user.
base=(linux-image-amd64 grub-pc-bin systemd-sysv systemd-resolved udev kmod dbus cloud-init cloud-guest-utils
	qemu-guest-agent iproute2 procps e2fsprogs util-linux sudo openssh-server ca-certificates)
mapfile -t packages < <(printf '%s\n' "${base[@]}" "$@" | sort -u)
script_hash=$(cat "${BASH_SOURCE[0]}" "$here/lib/debian-mirrors.sh" | sha256sum | cut -d' ' -f1)
key=$( (printf '%s\n' "${packages[@]}" && echo "$script_hash") | sha256sum | cut -c1-16)
cache="${VIRTWORK_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/virtwork/guest}"
out="$cache/golden-$key"

if [ -s "$out/disk.qcow2" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
# One build at a time: two runs asking for the same key wait for each
# other instead of building it twice.
exec 9>"$cache/.golden.lock"
flock 9
if [ -s "$out/disk.qcow2" ]; then
	echo "$out"
	exit 0
fi

mapfile -t mirrors < <(debian_mirrors)
if [ "${#mirrors[@]}" -eq 0 ]; then
	log "this machine's apt has no Debian bookworm mirror configured (see /etc/apt/sources.list*)"
	exit 1
fi

tmp=$(mktemp -d "$cache/.golden.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
tree="$tmp/tree"
label=virtwork-root
# The partition starts at 1 MiB; core.img goes in the gap before it.
part_start=2048

log "building golden-$key with ${packages[*]}"
log "mirrors: ${mirrors[*]}"
start=$SECONDS
# The customize hooks run on the host, with the tree as $1; $1/.. is $tmp.
# Debian's postgresql starts a stock cluster at boot: in the image it stays
# off (every VM would run an idle server); the database workload makes its
# own cluster on its data disk and starts that.
# shellcheck disable=SC2016 # mmdebstrap expands the hooks' $1
mmdebstrap --variant=minbase --mode=root --quiet \
	--aptopt='APT::Install-Recommends "false"' \
	--include="$(
		IFS=,
		echo "${packages[*]}"
	)" \
	--customize-hook='echo "LABEL='"$label"' / ext4 defaults 0 1" > "$1/etc/fstab"' \
	--customize-hook='echo debian > "$1/etc/hostname"' \
	--customize-hook='ln -sf ../run/systemd/resolve/stub-resolv.conf "$1/etc/resolv.conf"' \
	--customize-hook='printf "%s\n" "datasource_list: [NoCloud, ConfigDrive]" "system_info:" "  network:" "    renderers: [networkd]" > "$1/etc/cloud/cloud.cfg.d/90-virtwork-golden.cfg"' \
	--customize-hook='chroot "$1" systemctl enable systemd-networkd.service systemd-networkd-wait-online.service systemd-resolved.service' \
	--customize-hook='chroot "$1" systemctl mask apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer e2scrub_reap.service' \
	--customize-hook='if [ -e "$1/lib/systemd/system/postgresql.service" ]; then chroot "$1" systemctl disable postgresql.service; fi' \
	--customize-hook='mkdir -p "$1/boot/grub" && kernel=$(cd "$1/boot" && ls vmlinuz-*) && printf "%s\n" "set timeout=0" "serial --unit=0 --speed=115200" "terminal_input serial console" "terminal_output serial console" "menuentry \"Debian 12 (virtwork golden image)\" {" "  linux /boot/$kernel root=LABEL='"$label"' ro console=tty0 console=ttyS0,115200" "  initrd /boot/initrd.img-${kernel#vmlinuz-}" "}" > "$1/boot/grub/grub.cfg"' \
	--customize-hook='cp -r "$1/usr/lib/grub/i386-pc" "$1/boot/grub/" && chroot "$1" grub-mkimage -O i386-pc -o /boot/grub/i386-pc/core.img -p "(hd0,msdos1)/boot/grub" biosdisk part_msdos ext2 normal configfile linux search search_label serial terminal echo test gzio && cp "$1/boot/grub/i386-pc/core.img" "$1/usr/lib/grub/i386-pc/boot.img" "$1/.."' \
	bookworm "$tree" "${mirrors[@]}"
log "rootfs built in $((SECONDS - start))s"

# Room for what the workloads write on the root disk, the whole disk a
# whole number of GiB.
tree_mib=$(du -sxm "$tree" | cut -f1)
disk_mib=$(((tree_mib + 1536 + 1 + 1023) / 1024 * 1024))
raw="$tmp/disk.raw"
truncate -s "${disk_mib}M" "$raw"
printf 'label: dos\nstart=%d, type=83, bootable\n' "$part_start" | sfdisk --quiet "$raw"
mkfs.ext4 -q -L "$label" -d "$tree" -E offset=$((part_start * 512)) "$raw" "$((disk_mib - 1))M"
rm -rf "$tree"

# GRUB's MBR code is boot.img's first 440 bytes (the disk signature and
# partition table after them stay); it loads core.img from sector 1, whose
# first sector (diskboot) reads the rest: grub-mkimage wrote its length.
core_sectors=$((($(stat -c %s "$tmp/core.img") + 511) / 512))
if [ "$core_sectors" -ge "$part_start" ]; then
	log "core.img needs $core_sectors sectors, more than the $((part_start - 1)) before the partition"
	exit 1
fi
dd if="$tmp/boot.img" of="$raw" bs=440 count=1 conv=notrunc status=none
dd if="$tmp/core.img" of="$raw" bs=512 seek=1 conv=notrunc status=none
rm "$tmp/boot.img" "$tmp/core.img"

qemu-img convert -c -f raw -O qcow2 "$raw" "$tmp/disk.qcow2"
rm "$raw"
printf '%s\n' "${packages[@]}" >"$tmp/packages.txt"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
log "disk of ${disk_mib}M, $(du -m "$out/disk.qcow2" | cut -f1)M as qcow2, built in $((SECONDS - start))s: $out"
echo "$out"
