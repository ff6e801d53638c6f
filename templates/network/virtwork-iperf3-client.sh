#!/bin/bash
# virtwork network workload, client side: run iperf3 against this pair's
# server (through the pair's own Service) for ever, waiting while the server
# is not answering yet.
#
# The level: iperf3 --bitrate is per stream, so client-mbps (the whole
# client's Mbit/s) is divided across the parallel streams; bitrate-mbps caps
# each stream; with both set, the lower per-stream figure wins. 0 is unlimited.
# With VIRTWORK_SCHEDULE (a load profile, --start-at or --duration) the
# client's Mbit/s follows the schedule: virtwork_follow (virtwork-level) runs
# this script again with VIRTWORK_LEVEL, each segment's Mbit/s, for exactly
# that segment, and sleeps while the level is 0. The server does not follow.
set -euo pipefail
: "${VIRTWORK_IPERF3_SERVER:?not set; expected in /etc/virtwork/network.env}"
: "${VIRTWORK_IPERF3_PORT:?not set; expected in /etc/virtwork/network.env}"
: "${VIRTWORK_NETWORK_DURATION:?not set; expected in /etc/virtwork/network.env}"
: "${VIRTWORK_NETWORK_PARALLEL:?not set; expected in /etc/virtwork/network.env}"
: "${VIRTWORK_NETWORK_PROTOCOL:?not set; expected in /etc/virtwork/network.env}"
: "${VIRTWORK_NETWORK_BITRATE_MBPS:?not set; expected in /etc/virtwork/network.env}"
: "${VIRTWORK_NETWORK_CLIENT_MBPS:?not set; expected in /etc/virtwork/network.env}"

if [[ -n ${VIRTWORK_SCHEDULE:-} && -z ${VIRTWORK_LEVEL:-} ]]; then
	# shellcheck source=/dev/null
	. "${VIRTWORK_LEVEL_LIB:-/usr/local/bin/virtwork-level}"
	virtwork_follow network "$0"
fi
mbps=${VIRTWORK_LEVEL:-$VIRTWORK_NETWORK_CLIENT_MBPS}

# Bits per second per stream.
stream=$((VIRTWORK_NETWORK_BITRATE_MBPS * 1000000))
if [ "$mbps" -gt 0 ]; then
	share=$((mbps * 1000000 / VIRTWORK_NETWORK_PARALLEL))
	if [ "$stream" -eq 0 ] || [ "$share" -lt "$stream" ]; then
		stream=$share
	fi
fi
if [ "$stream" -gt 0 ]; then
	echo "virtwork: network level $((stream * VIRTWORK_NETWORK_PARALLEL)) bit/s from this client, ${stream} per stream"
fi
args=(--client "$VIRTWORK_IPERF3_SERVER" --port "$VIRTWORK_IPERF3_PORT"
	--time "$VIRTWORK_NETWORK_DURATION" --parallel "$VIRTWORK_NETWORK_PARALLEL"
	--bitrate "$stream")
if [ "$VIRTWORK_NETWORK_PROTOCOL" = udp ]; then
	args+=(--udp)
fi

while true; do
	if ! iperf3 "${args[@]}"; then
		echo "virtwork: iperf3 server ${VIRTWORK_IPERF3_SERVER}:${VIRTWORK_IPERF3_PORT} not answering; retrying in 5s" >&2
		sleep 5
	fi
done
