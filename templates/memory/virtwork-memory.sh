#!/bin/bash
# virtwork memory workload: one stress-ng VM stressor (a single worker, so it
# holds all of it) on the configured percentage of the guest's memory
# (MemTotal).
#
# hold (the default) writes every page once, so the memory is resident and
# counts as used, then sleeps on it for ever (--vm-hang 0): the unit stays
# active and holds the memory with no CPU. touch keeps rewriting the pages
# with the configured method, which keeps one vCPU busy.
#
# The size is computed here: stress-ng's own "N%" is N% of the memory free
# when it starts (sysconf _SC_AVPHYS_PAGES), not of the guest's memory. It is
# capped at what is available less a reserve, so a high percentage on a small
# guest holds less (and says so) instead of calling the OOM killer, which
# stress-ng would answer by allocating again and again.
#
# With VIRTWORK_SCHEDULE (a load profile, --start-at or --duration) the
# share follows the schedule instead: virtwork_follow (virtwork-level) runs
# this script again at each segment's level (VIRTWORK_LEVEL, a percentage
# like VIRTWORK_MEMORY_PERCENT) for exactly that segment, so each segment
# allocates afresh at its level and a level of 0 holds nothing.
set -euo pipefail
: "${VIRTWORK_MEMORY_PERCENT:?not set; expected in /etc/virtwork/memory.env}"
: "${VIRTWORK_MEMORY_MODE:?not set; expected in /etc/virtwork/memory.env}"
: "${VIRTWORK_MEMORY_METHOD:?not set; expected in /etc/virtwork/memory.env}"

if [[ -n ${VIRTWORK_SCHEDULE:-} && -z ${VIRTWORK_LEVEL:-} ]]; then
	# shellcheck source=/dev/null
	. "${VIRTWORK_LEVEL_LIB:-/usr/local/bin/virtwork-level}"
	virtwork_follow memory "$0"
fi
percent=${VIRTWORK_LEVEL:-$VIRTWORK_MEMORY_PERCENT}

reserve_kib=$((64 * 1024))
total_kib=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
avail_kib=$(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo)
want_kib=$((total_kib * percent / 100))
kib=$want_kib
if [ "$kib" -gt $((avail_kib - reserve_kib)) ]; then
	kib=$((avail_kib - reserve_kib))
	if [ "$kib" -lt 4096 ]; then
		kib=4096
	fi
	echo "virtwork: memory: ${percent}% of MemTotal is $((want_kib / 1024)) MiB but only $((avail_kib / 1024)) MiB is available; holding $((kib / 1024)) MiB"
fi
echo "virtwork: memory: $VIRTWORK_MEMORY_MODE $((kib / 1024)) MiB, ${percent}% of MemTotal $((total_kib / 1024)) MiB wanted"

case $VIRTWORK_MEMORY_MODE in
hold)
	exec stress-ng --vm 1 --vm-bytes "${kib}k" --vm-keep --vm-hang 0 --vm-method write64 \
		--vm-madvise normal --timeout 0 --metrics-brief
	;;
touch)
	exec stress-ng --vm 1 --vm-bytes "${kib}k" --vm-keep --vm-method "$VIRTWORK_MEMORY_METHOD" \
		--timeout 0 --metrics-brief
	;;
*)
	echo "VIRTWORK_MEMORY_MODE must be hold or touch, got $VIRTWORK_MEMORY_MODE" >&2
	exit 2
	;;
esac
