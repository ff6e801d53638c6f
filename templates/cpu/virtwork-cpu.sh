#!/bin/bash
# virtwork cpu workload: one stress-ng CPU worker per online CPU, each held at
# the configured load, forever (the unit restarts it if it ever exits).
# With VIRTWORK_SCHEDULE (a load profile, --start-at or --duration) the load
# follows the schedule instead: virtwork_follow (virtwork-level) runs this
# script again at each segment's level (VIRTWORK_LEVEL) for exactly that
# segment, sleeps while the level is 0, and never exits, so the unit stays
# active (and the VM ready) before the start, between segments and after
# the end. Each change is one journal line.
set -euo pipefail
: "${VIRTWORK_CPU_LOAD:?not set; expected in /etc/virtwork/cpu.env}"
: "${VIRTWORK_CPU_METHOD:?not set; expected in /etc/virtwork/cpu.env}"

if [[ -n ${VIRTWORK_SCHEDULE:-} && -z ${VIRTWORK_LEVEL:-} ]]; then
	# shellcheck source=/dev/null
	. "${VIRTWORK_LEVEL_LIB:-/usr/local/bin/virtwork-level}"
	virtwork_follow cpu "$0"
fi

exec stress-ng --cpu 0 --cpu-method "$VIRTWORK_CPU_METHOD" --cpu-load "${VIRTWORK_LEVEL:-$VIRTWORK_CPU_LOAD}" \
	--timeout 0 --metrics-brief
