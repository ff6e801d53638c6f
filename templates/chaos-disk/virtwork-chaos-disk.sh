#!/bin/bash
# virtwork chaos-disk workload: fill the mounted data disk's file system to
# VIRTWORK_CHAOS_FILL_PERCENT (as df counts Use%), hold it full for
# VIRTWORK_CHAOS_HOLD seconds, release it, wait VIRTWORK_CHAOS_PAUSE
# seconds, and repeat for ever. It writes one file, only on the data disk,
# and refuses to run unless the data disk is what is mounted there.
#
# With VIRTWORK_SCHEDULE (a profile of the active param: 1 on, 0 off) it
# runs only in active windows: virtwork_follow (virtwork-level) runs this
# script again for exactly each active segment and ends it (timeout, TERM)
# when the segment ends, and sleeps while inactive. The end of a window
# releases the fill (the TERM and EXIT traps below), so inactive means the
# disk is free.
set -euo pipefail
: "${VIRTWORK_DATA_MOUNT:?not set; expected in /etc/virtwork/chaos-disk.env}"
: "${VIRTWORK_CHAOS_FILL_PERCENT:?not set; expected in /etc/virtwork/chaos-disk.env}"
: "${VIRTWORK_CHAOS_HOLD:?not set; expected in /etc/virtwork/chaos-disk.env}"
: "${VIRTWORK_CHAOS_PAUSE:?not set; expected in /etc/virtwork/chaos-disk.env}"
: "${VIRTWORK_CHAOS_ACTIVE:?not set; expected in /etc/virtwork/chaos-disk.env}"

if [[ -n ${VIRTWORK_SCHEDULE:-} && -z ${VIRTWORK_LEVEL:-} ]]; then
	# shellcheck source=/dev/null
	. "${VIRTWORK_LEVEL_LIB:-/usr/local/bin/virtwork-level}"
	virtwork_follow chaos-disk "$0"
fi
if [[ ${VIRTWORK_LEVEL:-$VIRTWORK_CHAOS_ACTIVE} == 0 ]]; then
	echo "virtwork: chaos-disk inactive (active=0)"
	exec sleep infinity
fi

mnt=$VIRTWORK_DATA_MOUNT
if ! mountpoint -q "$mnt"; then
	echo "virtwork: ${mnt} is not a mount point; refusing to fill the root disk" >&2
	exit 1
fi
# A bind mount of a directory of / is a mount point too: the device must
# differ from the root file system's.
if [ "$(stat -c %d "$mnt")" = "$(stat -c %d /)" ]; then
	echo "virtwork: ${mnt} is on the root file system; refusing to fill it" >&2
	exit 1
fi

fill=${mnt}/virtwork-chaos-fill
# Stopping the unit (SIGTERM) or any exit releases the space.
trap 'rm -f "$fill"' EXIT
trap 'exit 0' TERM INT

# usage prints the file system's used and used+available bytes; like df's
# Use%, blocks reserved for root count as neither. The sum is bash's: mawk
# (Debian's and Ubuntu's awk) prints sums past 2^31 as 9.91037e+09.
usage() {
	local used avail
	read -r used avail < <(df -B1 --output=used,avail "$mnt" | tail -n1)
	echo "$used" "$((used + avail))"
}

# pause sleeps in the background so the TERM trap runs at once.
pause() {
	sleep "$1" &
	wait $!
}

rm -f "$fill" # left over from a run that was killed
while true; do
	read -r used total < <(usage)
	want=$((total * VIRTWORK_CHAOS_FILL_PERCENT / 100 - used))
	if [ "$want" -gt 0 ]; then
		# fallocate reserves the blocks without writing them. At 100% the
		# file system may run out a little before the last byte: that is
		# the point, so a short allocation is logged, not fatal.
		if ! fallocate -l "$want" "$fill"; then
			echo "virtwork: fallocate of ${want} bytes on ${mnt} stopped short (disk full)" >&2
		fi
	fi
	read -r used total < <(usage)
	echo "virtwork: filled ${mnt} to $((used * 100 / total))% (${used} of ${total} bytes used); holding ${VIRTWORK_CHAOS_HOLD}s"
	pause "$VIRTWORK_CHAOS_HOLD"
	rm -f "$fill"
	read -r used total < <(usage)
	echo "virtwork: released ${mnt}: $((used * 100 / total))% used; next fill in ${VIRTWORK_CHAOS_PAUSE}s"
	pause "$VIRTWORK_CHAOS_PAUSE"
done
