#!/bin/bash
# virtwork network workload, server side: serve iperf3 tests to this pair's client.
set -euo pipefail
: "${VIRTWORK_IPERF3_PORT:?not set; expected in /etc/virtwork/network.env}"

exec iperf3 --server --port "$VIRTWORK_IPERF3_PORT"
