#!/bin/bash
# virtwork network workload, client side: run iperf3 against this pair's
# server (through the pair's own Service) for ever, waiting while the server
# is not answering yet.
set -euo pipefail
: "${VIRTWORK_IPERF3_SERVER:?not set; expected in /etc/virtwork/network.env}"
: "${VIRTWORK_IPERF3_PORT:?not set; expected in /etc/virtwork/network.env}"
: "${VIRTWORK_NETWORK_DURATION:?not set; expected in /etc/virtwork/network.env}"
: "${VIRTWORK_NETWORK_PARALLEL:?not set; expected in /etc/virtwork/network.env}"
: "${VIRTWORK_NETWORK_PROTOCOL:?not set; expected in /etc/virtwork/network.env}"
: "${VIRTWORK_NETWORK_BITRATE_MBPS:?not set; expected in /etc/virtwork/network.env}"

args=(--client "$VIRTWORK_IPERF3_SERVER" --port "$VIRTWORK_IPERF3_PORT"
	--time "$VIRTWORK_NETWORK_DURATION" --parallel "$VIRTWORK_NETWORK_PARALLEL"
	--bitrate "${VIRTWORK_NETWORK_BITRATE_MBPS}M")
if [ "$VIRTWORK_NETWORK_PROTOCOL" = udp ]; then
	args+=(--udp)
fi

while true; do
	if ! iperf3 "${args[@]}"; then
		echo "virtwork: iperf3 server ${VIRTWORK_IPERF3_SERVER}:${VIRTWORK_IPERF3_PORT} not answering; retrying in 5s" >&2
		sleep 5
	fi
done
