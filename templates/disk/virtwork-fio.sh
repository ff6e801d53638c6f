#!/bin/bash
# virtwork disk workload: run the fio profiles on the mounted data disk for
# ever. Refuses to run unless the data disk is what is mounted there.
set -euo pipefail
: "${VIRTWORK_DATA_MOUNT:?not set; expected in /etc/virtwork/disk.env}"
jobfile=/etc/virtwork/fio/virtwork-disk.fio

if ! mountpoint -q "$VIRTWORK_DATA_MOUNT"; then
	echo "virtwork: ${VIRTWORK_DATA_MOUNT} is not a mount point; refusing to write to the root disk" >&2
	exit 1
fi

while true; do
	fio "$jobfile"
done
