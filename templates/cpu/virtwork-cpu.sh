#!/bin/bash
# virtwork cpu workload: one stress-ng CPU worker per online CPU, each held at
# the configured load, forever (the unit restarts it if it ever exits).
# With VIRTWORK_SCHEDULE (a load profile, --start-at or --duration) the load
# follows the schedule instead: stress-ng runs at each segment's level for
# exactly that segment, the script sleeps while the level is 0, and it never
# exits, so the unit stays active (and the VM ready) before the start,
# between segments and after the end. Each change is one journal line.
set -euo pipefail
: "${VIRTWORK_CPU_LOAD:?not set; expected in /etc/virtwork/cpu.env}"
: "${VIRTWORK_CPU_METHOD:?not set; expected in /etc/virtwork/cpu.env}"

if [[ -z ${VIRTWORK_SCHEDULE:-} ]]; then
	exec stress-ng --cpu 0 --cpu-method "$VIRTWORK_CPU_METHOD" --cpu-load "$VIRTWORK_CPU_LOAD" \
		--timeout 0 --metrics-brief
fi

# virtwork_level: LEVEL SECONDS_UNTIL_NEXT_CHANGE STATE (see its header;
# templates/lib/virtwork-level.sh, checked on its own).
# shellcheck source=/dev/null
. "${VIRTWORK_LEVEL_LIB:-/usr/local/bin/virtwork-level}"

# until_text prints the instant $1 seconds from $2 as HH:MM:SSZ.
until_text() {
	date -u -d "@$(($2 + $1))" +%H:%M:%SZ
}

said=""
while true; do
	# One reading of the clock per change: the level and the line agree.
	now=$(date +%s)
	out=$(VIRTWORK_NOW=$now virtwork_level)
	read -r level secs state <<<"$out"
	if [[ $state == finished ]]; then
		msg="virtwork: cpu finished"
	elif ((level == 0)); then
		msg="virtwork: cpu idle"
	else
		msg="virtwork: cpu level ${level}"
	fi
	if ((secs >= 0)) && [[ $state != finished ]]; then
		msg+=" until $(until_text "$secs" "$now")"
	fi
	if [[ $msg != "$said" ]]; then
		echo "$msg"
		said=$msg
	fi
	if ((secs < 0 && level == 0)); then
		exec sleep infinity
	elif ((secs < 0)); then
		exec stress-ng --cpu 0 --cpu-method "$VIRTWORK_CPU_METHOD" --cpu-load "$level" --timeout 0 --metrics-brief
	elif ((level == 0)); then
		sleep "$secs"
	else
		rc=0
		timeout "$secs" stress-ng --cpu 0 --cpu-method "$VIRTWORK_CPU_METHOD" --cpu-load "$level" \
			--timeout 0 --metrics-brief || rc=$?
		# 124: timeout ended the segment; anything else is stress-ng's
		# own failure, which the unit's restart handles.
		if ((rc != 0 && rc != 124)); then
			echo "virtwork: cpu stress-ng exited with status ${rc}" >&2
			exit "$rc"
		fi
	fi
done
