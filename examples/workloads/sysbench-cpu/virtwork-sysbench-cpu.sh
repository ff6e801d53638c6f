#!/bin/bash
# virtwork sysbench-cpu workload: sysbench's CPU test for ever, one run after
# another, each reporting events per second every 10 seconds to the journal.
# The placeholders in double braces are replaced by the params' validated
# values when the workload is rendered.
set -euo pipefail

threads={{ threads }}
if [ "$threads" -eq 0 ]; then
	threads=$(nproc)
fi

while true; do
	sysbench cpu --threads="$threads" --cpu-max-prime={{ max-prime }} \
		--time={{ duration }} --report-interval=10 run
done
