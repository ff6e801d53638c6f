#!/usr/bin/env bash
# build-guest-image.sh builds the Debian bookworm guest that test/guest boots
# under qemu: a root file system made by mmdebstrap from the mirrors this
# machine's apt already uses, with a kernel, systemd, cloud-init (NoCloud
# only), the guest agent and every package given on the command line
# pre-installed, because the guest has no network to install them at boot.
#
# Usage: hack/build-guest-image.sh PACKAGE...
#
# The result is cached outside the clone, keyed by the sorted package list
# and this script's own hash, in
#   ${VIRTWORK_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/virtwork/guest}/<key>/
# as root.img (ext4, label virtwork-root, no partition table), vmlinuz and
# initrd.img, to boot with qemu -kernel/-initrd and root=LABEL=virtwork-root.
# A key already built is reused as it is. The directory is printed on stdout
# as the last line. Runs as root (mmdebstrap's root mode and mkfs.ext4 -d
# keep file ownership that way).
set -euo pipefail

log() { printf 'build-guest-image: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
	log "must run as root"
	exit 1
fi

base=(linux-image-amd64 systemd-sysv udev kmod dbus cloud-init qemu-guest-agent iproute2 procps e2fsprogs util-linux)
mapfile -t packages < <(printf '%s\n' "${base[@]}" "$@" | sort -u)
script_hash=$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)
key=$( (printf '%s\n' "${packages[@]}" && echo "$script_hash") | sha256sum | cut -c1-16)
cache="${VIRTWORK_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/virtwork/guest}"
out="$cache/$key"

if [ -s "$out/root.img" ] && [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.img" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
# One build at a time: two test runs asking for the same key wait for each
# other instead of building it twice.
exec 9>"$cache/.lock"
flock 9
if [ -s "$out/root.img" ]; then
	echo "$out"
	exit 0
fi

# The guest's apt sources are the host's own bookworm mirrors (main only).
# shellcheck source=hack/lib/debian-mirrors.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/debian-mirrors.sh"
mapfile -t mirrors < <(debian_mirrors)
if [ "${#mirrors[@]}" -eq 0 ]; then
	log "this machine's apt has no Debian bookworm mirror configured (see /etc/apt/sources.list*)"
	exit 1
fi

tmp=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
tree="$tmp/tree"

log "building $key with ${packages[*]}"
log "mirrors: ${mirrors[*]}"
start=$SECONDS
# The customize hooks run on the host, with the tree as $1.
# shellcheck disable=SC2016 # mmdebstrap expands the hooks' $1
mmdebstrap --variant=minbase --mode=root --quiet \
	--aptopt='APT::Install-Recommends "false"' \
	--include="$(
		IFS=,
		echo "${packages[*]}"
	)" \
	--customize-hook='echo "LABEL=virtwork-root / ext4 defaults 0 1" > "$1/etc/fstab"' \
	--customize-hook='echo debian > "$1/etc/hostname"' \
	--customize-hook=': > "$1/etc/resolv.conf"' \
	--customize-hook='printf "%s\n" "datasource_list: [NoCloud]" "system_info:" "  network:" "    renderers: [networkd]" > "$1/etc/cloud/cloud.cfg.d/90-virtwork-guest.cfg"' \
	--customize-hook='chroot "$1" systemctl enable systemd-networkd.service systemd-networkd-wait-online.service' \
	--customize-hook='chroot "$1" systemctl mask apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer e2scrub_reap.service' \
	--customize-hook='cp "$1"/boot/vmlinuz-* "$1/../vmlinuz" && cp "$1"/boot/initrd.img-* "$1/../initrd.img"' \
	bookworm "$tree" "${mirrors[@]}"
log "rootfs built in $((SECONDS - start))s"

# Room for what the workloads write on the root disk (boots use snapshot=on,
# so the image itself never changes).
size=$(($(du -sxm "$tree" | cut -f1) + 1536))
mkfs.ext4 -q -L virtwork-root -d "$tree" "$tmp/root.img" "${size}M"
rm -rf "$tree"
printf '%s\n' "${packages[@]}" >"$tmp/packages.txt"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
log "image ${size}M built in $((SECONDS - start))s: $out"
echo "$out"
