#!/bin/bash
# virtwork chaos-network workload: netem delay, jitter and loss on the
# default-route interface.
# Usage: virtwork-chaos-network        (the unit's ExecStart)
#        virtwork-chaos-network stop   (its ExecStopPost)
#
# Run, it puts netem on the interface and holds it until it is ended
# (SIGTERM: the unit stopping, or the end of an active window), then takes
# it away. It replaces the interface's root qdisc, so a run after another
# changes the settings instead of stacking a second netem. stop runs once
# the unit's processes are gone, whatever ended them (SIGKILL included), and
# removes the root qdisc only when it is a netem one: the kernel's default
# comes back and a qdisc someone else set up is never removed. The
# interface is kept in $RUNTIME_DIRECTORY (systemd's RuntimeDirectory=), so
# stop cleans the one run chose even if routes changed.
#
# With VIRTWORK_SCHEDULE (a profile of the active param: 1 on, 0 off) the
# unit stays active for the whole run: virtwork_follow (virtwork-level) runs
# this script again for exactly each active window and ends it (timeout,
# TERM) when the window ends, so netem is there only in active windows.
set -euo pipefail
: "${VIRTWORK_CHAOS_DELAY_MS:?not set; expected in /etc/virtwork/chaos-network.env}"
: "${VIRTWORK_CHAOS_JITTER_MS:?not set; expected in /etc/virtwork/chaos-network.env}"
: "${VIRTWORK_CHAOS_LOSS_PERCENT:?not set; expected in /etc/virtwork/chaos-network.env}"
: "${VIRTWORK_CHAOS_ACTIVE:?not set; expected in /etc/virtwork/chaos-network.env}"
: "${RUNTIME_DIRECTORY:?not set; the unit sets RuntimeDirectory=}"

state=${RUNTIME_DIRECTORY}/interface

# default_dev prints the interface of the IPv4 default route, or else of the
# IPv6 one.
default_dev() {
	local fam dev
	for fam in -4 -6; do
		dev=$(ip "$fam" route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
		if [ -n "$dev" ]; then
			echo "$dev"
			return 0
		fi
	done
	return 1
}

# add_netem replaces the root qdisc of $1 with netem.
add_netem() {
	local args=(delay "${VIRTWORK_CHAOS_DELAY_MS}ms")
	if [ "$VIRTWORK_CHAOS_JITTER_MS" -gt 0 ]; then
		args+=("${VIRTWORK_CHAOS_JITTER_MS}ms")
	fi
	args+=(loss "${VIRTWORK_CHAOS_LOSS_PERCENT}%")
	tc qdisc replace dev "$1" root netem "${args[@]}"
}

# remove_netem deletes the root qdisc of $1 if it is a netem one.
remove_netem() {
	if [[ $(tc qdisc show dev "$1" root 2>/dev/null) == "qdisc netem "* ]]; then
		tc qdisc del dev "$1" root
		echo "virtwork: netem removed from $1"
	else
		echo "virtwork: no netem on $1; nothing to remove"
	fi
}

# need_netem makes sch_netem available or ends the script. Fedora ships it
# in kernel-modules-extra, which must match the running kernel exactly, so
# it cannot be a plain cloud-init package (that would pull the newest kernel
# instead); it is installed for $(uname -r) only when the module is missing.
need_netem() {
	if modprobe sch_netem 2>/dev/null; then
		return 0
	fi
	if command -v dnf >/dev/null; then
		echo "virtwork: sch_netem missing; installing kernel-modules-extra-$(uname -r)"
		if dnf install -y "kernel-modules-extra-$(uname -r)" && modprobe sch_netem; then
			return 0
		fi
	fi
	echo "virtwork: the kernel has no netem qdisc (sch_netem) and it could not be loaded" >&2
	exit 1
}

# hold puts netem on the default-route interface and keeps it until a
# signal ends the script, then removes it. The trap is set before netem is
# added, so no signal can leave it behind.
hold() {
	local dev holder=""
	if ! dev=$(default_dev); then
		echo "virtwork: no default route yet; cannot choose an interface" >&2
		exit 1
	fi
	echo "$dev" >"$state"
	trap 'remove_netem "$dev"; [ -z "$holder" ] || kill "$holder" 2>/dev/null || true; exit 0' TERM INT HUP
	if ! add_netem "$dev" 2>/dev/null; then
		need_netem
		add_netem "$dev"
	fi
	echo "virtwork: netem on ${dev}: delay ${VIRTWORK_CHAOS_DELAY_MS}ms jitter ${VIRTWORK_CHAOS_JITTER_MS}ms loss ${VIRTWORK_CHAOS_LOSS_PERCENT}%"
	# Waiting on a background sleep lets the trap run the moment a signal
	# comes.
	sleep infinity &
	holder=$!
	wait "$holder" || true
	# Only a sleep killed by someone else gets here: the unit's restart
	# starts over.
	remove_netem "$dev"
	echo "virtwork: the hold ended without a signal to the script" >&2
	exit 1
}

case "${1:-}" in
"")
	if [[ -n ${VIRTWORK_SCHEDULE:-} && -z ${VIRTWORK_LEVEL:-} ]]; then
		# Loaded now, not in the first active window: a module install
		# there would start the window minutes late.
		need_netem
		# shellcheck source=/dev/null
		. "${VIRTWORK_LEVEL_LIB:-/usr/local/bin/virtwork-level}"
		virtwork_follow chaos-network "$0"
	fi
	if [[ ${VIRTWORK_LEVEL:-$VIRTWORK_CHAOS_ACTIVE} == 0 ]]; then
		echo "virtwork: chaos-network inactive (active=0)"
		exec sleep infinity
	fi
	hold
	;;
stop)
	dev=$(cat "$state" 2>/dev/null || default_dev || true)
	if [ -z "$dev" ]; then
		echo "virtwork: no interface recorded and no default route; nothing to remove"
		exit 0
	fi
	remove_netem "$dev"
	rm -f "$state"
	;;
*)
	echo "usage: virtwork-chaos-network [stop]" >&2
	exit 2
	;;
esac
