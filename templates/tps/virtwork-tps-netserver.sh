#!/bin/bash
# virtwork tps workload, server side: netserver answers netperf TCP_RR tests
# from this pair's client. -D keeps it in the foreground, under systemd. The
# data connection's port is chosen by the client (netperf -- -P) so that the
# pair's Service can carry it.
set -euo pipefail
: "${VIRTWORK_TPS_NETPERF_PORT:?not set; expected in /etc/virtwork/tps.env}"

exec netserver -D -p "$VIRTWORK_TPS_NETPERF_PORT"
