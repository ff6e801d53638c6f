#!/bin/bash
# virtwork chaos-network workload: add netem delay and loss to the
# default-route interface (start) and take it away again (stop).
# Usage: virtwork-chaos-network start|stop
#
# start replaces the interface's root qdisc, so running it again (a unit
# restart) changes the settings instead of stacking a second netem; stop
# removes the root qdisc only when it is a netem one, which puts the
# kernel's default back and never removes a qdisc someone else set up.
# The interface start chose is kept in $RUNTIME_DIRECTORY (systemd's
# RuntimeDirectory=), so stop cleans the same one even if routes changed.
set -euo pipefail
: "${VIRTWORK_CHAOS_DELAY_MS:?not set; expected in /etc/virtwork/chaos-network.env}"
: "${VIRTWORK_CHAOS_JITTER_MS:?not set; expected in /etc/virtwork/chaos-network.env}"
: "${VIRTWORK_CHAOS_LOSS_PERCENT:?not set; expected in /etc/virtwork/chaos-network.env}"
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

# load_netem makes sch_netem available. Fedora ships it in
# kernel-modules-extra, which must match the running kernel exactly, so it
# cannot be a plain cloud-init package (that would pull the newest kernel
# instead); it is installed for $(uname -r) only when the module is missing.
load_netem() {
	if modprobe sch_netem 2>/dev/null; then
		return 0
	fi
	if command -v dnf >/dev/null; then
		echo "virtwork: sch_netem missing; installing kernel-modules-extra-$(uname -r)"
		dnf install -y "kernel-modules-extra-$(uname -r)" && modprobe sch_netem
		return
	fi
	return 1
}

case "${1:-}" in
start)
	if ! dev=$(default_dev); then
		echo "virtwork: no default route yet; cannot choose an interface" >&2
		exit 1
	fi
	echo "$dev" >"$state"
	if ! add_netem "$dev" 2>/dev/null; then
		if ! load_netem; then
			echo "virtwork: the kernel has no netem qdisc (sch_netem) and it could not be loaded" >&2
			exit 1
		fi
		add_netem "$dev"
	fi
	echo "virtwork: netem on ${dev}: delay ${VIRTWORK_CHAOS_DELAY_MS}ms jitter ${VIRTWORK_CHAOS_JITTER_MS}ms loss ${VIRTWORK_CHAOS_LOSS_PERCENT}%"
	tc qdisc show dev "$dev" root
	;;
stop)
	dev=$(cat "$state" 2>/dev/null || default_dev || true)
	if [ -z "$dev" ]; then
		echo "virtwork: no interface recorded and no default route; nothing to remove"
		exit 0
	fi
	if tc qdisc show dev "$dev" root | grep -q '^qdisc netem '; then
		tc qdisc del dev "$dev" root
		echo "virtwork: netem removed from ${dev}"
	else
		echo "virtwork: no netem on ${dev}; nothing to remove"
	fi
	rm -f "$state"
	;;
*)
	echo "usage: virtwork-chaos-network start|stop" >&2
	exit 2
	;;
esac
