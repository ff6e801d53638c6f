#!/bin/bash
# virtwork disk workload: run the fio profiles on the mounted data disk for
# ever. Refuses to run unless the data disk is what is mounted there.
#
# The level: iops and mibps cap the random profile's reads plus writes (with
# both set, the lower wins). fio's rate applies to each direction on its own
# (rate_iops=100 on a 70/30 mix makes 100 reads and 100 writes a second), so
# the cap is split between reads and writes by read-percent and given to fio
# as bytes per second. With a level only the random profile runs: the
# sequential 1M writes between its passes would change the size and the
# number of I/Os every runtime seconds, and the disk would not see the level.
#
# With VIRTWORK_SCHEDULE (a load profile, --start-at or --duration) the
# level (IOPS) follows the schedule: virtwork_follow (virtwork-level) runs
# this script again with VIRTWORK_LEVEL, each segment's IOPS, for exactly
# that segment (mibps still caps it), and sleeps while the level is 0.
set -euo pipefail
: "${VIRTWORK_DATA_MOUNT:?not set; expected in /etc/virtwork/disk.env}"
: "${VIRTWORK_DISK_BLOCK_SIZE:?not set; expected in /etc/virtwork/disk.env}"
: "${VIRTWORK_DISK_READ_PERCENT:?not set; expected in /etc/virtwork/disk.env}"
: "${VIRTWORK_DISK_IOPS:?not set; expected in /etc/virtwork/disk.env}"
: "${VIRTWORK_DISK_MIBPS:?not set; expected in /etc/virtwork/disk.env}"
jobfile=/etc/virtwork/fio/virtwork-disk.fio

if [[ -n ${VIRTWORK_SCHEDULE:-} && -z ${VIRTWORK_LEVEL:-} ]]; then
	# shellcheck source=/dev/null
	. "${VIRTWORK_LEVEL_LIB:-/usr/local/bin/virtwork-level}"
	virtwork_follow disk "$0"
fi
iops=${VIRTWORK_LEVEL:-$VIRTWORK_DISK_IOPS}

if ! mountpoint -q "$VIRTWORK_DATA_MOUNT"; then
	echo "virtwork: ${VIRTWORK_DATA_MOUNT} is not a mount point; refusing to write to the root disk" >&2
	exit 1
fi

# Bytes per second, reads plus writes; 0 is unlimited.
level=0
if [ "$iops" -gt 0 ]; then
	level=$((iops * VIRTWORK_DISK_BLOCK_SIZE))
fi
if [ "$VIRTWORK_DISK_MIBPS" -gt 0 ]; then
	bw=$((VIRTWORK_DISK_MIBPS * 1048576))
	if [ "$level" -eq 0 ] || [ "$bw" -lt "$level" ]; then
		level=$bw
	fi
fi
args=()
if [ "$level" -gt 0 ]; then
	reads=$((level * VIRTWORK_DISK_READ_PERCENT / 100))
	args=(--section=randrw "--rate=${reads},$((level - reads))")
	echo "virtwork: disk level ${level} bytes/s ($((level / VIRTWORK_DISK_BLOCK_SIZE)) IOPS of ${VIRTWORK_DISK_BLOCK_SIZE} bytes), ${VIRTWORK_DISK_READ_PERCENT}% reads; random profile only"
fi

while true; do
	fio "${args[@]}" "$jobfile"
done
