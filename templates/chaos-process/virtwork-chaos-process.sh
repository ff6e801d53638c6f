#!/bin/bash
# virtwork chaos-process workload: every VIRTWORK_CHAOS_INTERVAL seconds,
# send VIRTWORK_CHAOS_SIGNAL to one process chosen at random among those
# the guest can lose. Never signalled: PID 1 and PID 2, kernel threads,
# zombies, this script, its ancestors and its own children, and the
# processes that keep the VM reachable and managed (see protected).
#
# With VIRTWORK_SCHEDULE (a profile of the active param: 1 on, 0 off) it
# runs only in active windows: virtwork_follow (virtwork-level) runs this
# script again for exactly each active segment and ends it (timeout, TERM)
# when the segment ends, and sleeps while inactive. Signals are sent only
# while active.
set -euo pipefail
: "${VIRTWORK_CHAOS_INTERVAL:?not set; expected in /etc/virtwork/chaos-process.env}"
: "${VIRTWORK_CHAOS_SIGNAL:?not set; expected in /etc/virtwork/chaos-process.env}"
: "${VIRTWORK_CHAOS_ACTIVE:?not set; expected in /etc/virtwork/chaos-process.env}"

if [[ -n ${VIRTWORK_SCHEDULE:-} && -z ${VIRTWORK_LEVEL:-} ]]; then
	# shellcheck source=/dev/null
	. "${VIRTWORK_LEVEL_LIB:-/usr/local/bin/virtwork-level}"
	virtwork_follow chaos-process "$0"
fi
if [[ ${VIRTWORK_LEVEL:-$VIRTWORK_CHAOS_ACTIVE} == 0 ]]; then
	echo "virtwork: chaos-process inactive (active=0)"
	exec sleep infinity
fi

# protected reports whether a process name (comm: the kernel keeps at most
# 15 characters, hence the truncated spellings) is never signalled. Names
# match whole; the globs cover families such as systemd-journald
# ("systemd-journal"), systemd-udevd and systemd-logind.
protected() {
	case $1 in
	init | systemd | systemd-* | "(sd-pam)") return 0 ;;
	sshd | sshd-session | sshd-auth) return 0 ;;
	qemu-ga | qemu-guest-agen | qemu-guest-agent) return 0 ;;
	cloud-init | cloud-init-* | cloud-final) return 0 ;;
	journald | udevd | dbus | dbus-daemon | dbus-broker | dbus-broker-lau) return 0 ;;
	virtwork-chaos-) return 0 ;;
	esac
	return 1
}

# This script's ancestors (its unit's parents up to PID 1) are never
# signalled: killing one would stop the chaos or worse.
declare -A ancestors=()
pid=$$
while [ "$pid" -gt 1 ]; do
	ancestors[$pid]=1
	pid=$(ps -o ppid= -p "$pid" | tr -d ' ')
	[ -n "$pid" ] || break
done

# pause sleeps in the background so that stopping the unit is immediate.
pause() {
	sleep "$1" &
	wait $!
}

while true; do
	pause "$VIRTWORK_CHAOS_INTERVAL"
	# One snapshot: ps runs below this script (directly or through the
	# process substitution's subshell), so it and anything else this
	# script started is found by walking parents up to $$.
	mapfile -t procs < <(ps -e -o pid=,ppid=,stat=,comm=)
	declare -A parent=()
	for line in "${procs[@]}"; do
		read -r pid ppid _ <<<"$line"
		parent[$pid]=$ppid
	done
	candidates=()
	names=()
	for line in "${procs[@]}"; do
		read -r pid ppid stat comm <<<"$line"
		case $stat in Z*) continue ;; esac # zombies are already dead
		if [ "$pid" -le 2 ] || [ "$ppid" -le 0 ] || [ "$ppid" -eq 2 ] ||
			[ -n "${ancestors[$pid]:-}" ] || protected "$comm"; then
			continue
		fi
		p=$pid
		while [ "$p" -gt 1 ] && [ "$p" -ne $$ ]; do
			p=${parent[$p]:-0}
		done
		if [ "$p" -eq $$ ]; then
			continue # this script or one of its children
		fi
		candidates+=("$pid")
		names+=("$comm")
	done
	unset parent
	if [ "${#candidates[@]}" -eq 0 ]; then
		echo "virtwork: no process to signal"
		continue
	fi
	i=$((RANDOM % ${#candidates[@]}))
	# Logged before the signal: a signal that stops this script's
	# observers (or the journal's reader) must not lose the line.
	echo "virtwork: sending SIG${VIRTWORK_CHAOS_SIGNAL} to pid ${candidates[$i]} (${names[$i]})"
	if ! kill -s "$VIRTWORK_CHAOS_SIGNAL" "${candidates[$i]}" 2>/dev/null; then
		echo "virtwork: pid ${candidates[$i]} (${names[$i]}) exited before it could be signalled"
	fi
done
