#!/bin/bash
# virtwork valkey workload, client side: wait for this pair's server
# (through the pair's own Service), then run the benchmark for ever.
set -euo pipefail
: "${VIRTWORK_SERVICE_HOST:?not set; expected in /etc/virtwork/valkey.env}"

if command -v valkey-benchmark >/dev/null; then
	cli=valkey-cli bench=valkey-benchmark
else
	cli=redis-cli bench=redis-benchmark
fi

until [ "$("$cli" -h "$VIRTWORK_SERVICE_HOST" -p 6379 ping 2>/dev/null)" = PONG ]; do
	echo "virtwork: server ${VIRTWORK_SERVICE_HOST}:6379 not answering yet; retrying in 5s" >&2
	sleep 5
done

while true; do
	if ! "$bench" -h "$VIRTWORK_SERVICE_HOST" -p 6379 -c {{ clients }} -n {{ requests }} \
		-d {{ value-size }} -t {{ test }} -q; then
		echo "virtwork: benchmark against ${VIRTWORK_SERVICE_HOST}:6379 failed; retrying in 5s" >&2
		sleep 5
	fi
done
