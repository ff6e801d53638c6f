#!/bin/bash
# virtwork cpu workload: one stress-ng CPU worker per online CPU, each held at
# the configured load, forever (the unit restarts it if it ever exits).
set -euo pipefail
: "${VIRTWORK_CPU_LOAD:?not set; expected in /etc/virtwork/cpu.env}"
: "${VIRTWORK_CPU_METHOD:?not set; expected in /etc/virtwork/cpu.env}"

exec stress-ng --cpu 0 --cpu-method "$VIRTWORK_CPU_METHOD" --cpu-load "$VIRTWORK_CPU_LOAD" \
	--timeout 0 --metrics-brief
