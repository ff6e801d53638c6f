#!/bin/bash
# virtwork memory workload: one stress-ng VM stressor that maps, keeps and
# keeps touching the configured percentage of the guest's memory. A single
# worker makes the percentage mean the same on every stress-ng version.
set -euo pipefail
: "${VIRTWORK_MEMORY_PERCENT:?not set; expected in /etc/virtwork/memory.env}"
: "${VIRTWORK_MEMORY_METHOD:?not set; expected in /etc/virtwork/memory.env}"

exec stress-ng --vm 1 --vm-bytes "${VIRTWORK_MEMORY_PERCENT}%" --vm-method "$VIRTWORK_MEMORY_METHOD" \
	--vm-keep --timeout 0 --metrics-brief
