#!/bin/bash
# Formats (once) and mounts a virtwork data disk, found only by its serial.
# Usage: virtwork-mount-data-disk SERIAL MOUNTPOINT
#
# It fails, loudly and without touching anything, when the disk is missing or
# would be the disk that holds /, so a workload never writes to the root disk.
set -euo pipefail

if [ "$#" -ne 2 ]; then
	echo "usage: virtwork-mount-data-disk SERIAL MOUNTPOINT" >&2
	exit 2
fi
serial=$1
mnt=$2
link=/dev/disk/by-id/virtio-${serial}

# udev may still be creating the by-id link early in boot.
for _ in $(seq 1 30); do
	[ -e "$link" ] && break
	sleep 1
done
if [ ! -b "$link" ]; then
	echo "virtwork: data disk with serial '${serial}' not found (no ${link}); refusing to use any other disk" >&2
	exit 1
fi
dev=$(readlink -f "$link")

root_src=$(findmnt -nro SOURCE / || true)
root_disk=$(lsblk -nro PKNAME "$root_src" 2>/dev/null | head -n1 || true)
if [ "$dev" = "$root_src" ] || [ "$(basename "$dev")" = "$root_disk" ]; then
	echo "virtwork: ${dev} (serial '${serial}') holds the root file system; refusing to format it" >&2
	exit 1
fi

if mountpoint -q "$mnt"; then
	current=$(readlink -f "$(findmnt -nro SOURCE "$mnt")")
	if [ "$current" != "$dev" ]; then
		echo "virtwork: ${mnt} is already mounted from ${current}, not the data disk ${dev}" >&2
		exit 1
	fi
	exit 0
fi

# blkid exits 2 when the device carries no recognisable signature: a blank disk.
rc=0
blkid -p "$dev" >/dev/null 2>&1 || rc=$?
if [ "$rc" -eq 2 ]; then
	echo "virtwork: formatting blank data disk ${dev} as ext4"
	mkfs.ext4 -q -L virtwork-data "$dev"
elif [ "$rc" -ne 0 ]; then
	echo "virtwork: cannot probe ${dev} (blkid exit ${rc})" >&2
	exit 1
fi

mkdir -p "$mnt"
mount "$dev" "$mnt"
echo "virtwork: mounted ${dev} at ${mnt}"
