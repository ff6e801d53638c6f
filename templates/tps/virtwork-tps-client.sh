#!/bin/bash
# virtwork tps workload, client side: against this pair's server (through the
# pair's own Service), alternate a netperf TCP_RR run (transactions/s) with
# timed HTTP downloads of the server's file (MB/s), for ever. Each probe that
# fails is logged and the other still runs, so one broken path does not hide
# the other's numbers.
#
# The level: with a rate (requests/s), the client makes exactly that many
# HTTP requests a second instead (virtwork-tps-pace, which logs the requests
# made every VIRTWORK_TPS_DURATION seconds). 0 is today's unpaced probes.
# With VIRTWORK_SCHEDULE (a load profile, --start-at or --duration) the rate
# follows the schedule once the server answers: virtwork_follow
# (virtwork-level) runs this script again with VIRTWORK_LEVEL, each
# segment's rate, for exactly that segment, and sleeps while the level is 0.
# The server does not follow.
set -euo pipefail
: "${VIRTWORK_TPS_SERVER:?not set; expected in /etc/virtwork/tps.env}"
: "${VIRTWORK_TPS_NETPERF_PORT:?not set; expected in /etc/virtwork/tps.env}"
: "${VIRTWORK_TPS_NETPERF_DATA_PORT:?not set; expected in /etc/virtwork/tps.env}"
: "${VIRTWORK_TPS_HTTP_PORT:?not set; expected in /etc/virtwork/tps.env}"
: "${VIRTWORK_TPS_DURATION:?not set; expected in /etc/virtwork/tps.env}"
: "${VIRTWORK_TPS_REQUEST_SIZE:?not set; expected in /etc/virtwork/tps.env}"
: "${VIRTWORK_TPS_RESPONSE_SIZE:?not set; expected in /etc/virtwork/tps.env}"
: "${VIRTWORK_TPS_FILE_SIZE:?not set; expected in /etc/virtwork/tps.env}"
: "${VIRTWORK_TPS_DOWNLOADS:?not set; expected in /etc/virtwork/tps.env}"
: "${VIRTWORK_TPS_RATE:?not set; expected in /etc/virtwork/tps.env}"

server=$VIRTWORK_TPS_SERVER
url="http://${server}:${VIRTWORK_TPS_HTTP_PORT}/payload.bin"

# The server's HTTP server starts only once its file is whole: wait for it.
until curl -fsS -o /dev/null --head --max-time 10 "$url"; do
	echo "virtwork: tps server ${server} not answering yet; retrying in 5s" >&2
	sleep 5
done

if [[ -n ${VIRTWORK_SCHEDULE:-} && -z ${VIRTWORK_LEVEL:-} ]]; then
	# shellcheck source=/dev/null
	. "${VIRTWORK_LEVEL_LIB:-/usr/local/bin/virtwork-level}"
	virtwork_follow tps "$0"
fi
rate=${VIRTWORK_LEVEL:-$VIRTWORK_TPS_RATE}
if [ "$rate" -gt 0 ]; then
	requests="http://${server}:${VIRTWORK_TPS_HTTP_PORT}/response.bin"
	echo "virtwork: tps level ${rate} requests/s from this client: GET ${requests} (${VIRTWORK_TPS_RESPONSE_SIZE} bytes), a connection each"
	exec python3 "${VIRTWORK_TPS_PACE:-/etc/virtwork/tps/virtwork-tps-pace.py}" \
		"$requests" "$rate" "$VIRTWORK_TPS_DURATION" "$VIRTWORK_TPS_RESPONSE_SIZE"
fi

# rr runs one netperf TCP_RR test and logs its transactions per second.
rr() {
	local out tps
	# -P 0 drops the banner; -k prints THROUGHPUT=<transactions/s>. The
	# test-specific -P pins the server's data port to the one the Service
	# carries.
	if ! out=$(netperf -H "$server" -p "$VIRTWORK_TPS_NETPERF_PORT" -t TCP_RR \
		-l "$VIRTWORK_TPS_DURATION" -P 0 -- \
		-P ",${VIRTWORK_TPS_NETPERF_DATA_PORT}" \
		-r "${VIRTWORK_TPS_REQUEST_SIZE},${VIRTWORK_TPS_RESPONSE_SIZE}" \
		-k THROUGHPUT 2>&1); then
		echo "virtwork: netperf TCP_RR against ${server} failed: ${out}" >&2
		return 1
	fi
	tps=$(sed -n 's/^THROUGHPUT=//p' <<<"$out")
	if [ -z "$tps" ]; then
		echo "virtwork: netperf TCP_RR against ${server} reported no throughput: ${out}" >&2
		return 1
	fi
	echo "virtwork: netperf TCP_RR ${server} ${VIRTWORK_TPS_REQUEST_SIZE}/${VIRTWORK_TPS_RESPONSE_SIZE} bytes: ${tps} transactions/s over ${VIRTWORK_TPS_DURATION}s"
}

# download fetches the server's file once, checks it is whole and logs MB/s.
download() {
	local out size secs speed
	# Abort a download that stalls for a minute rather than one that is
	# merely long: a gigabyte over a slow link is a valid measurement.
	if ! out=$(curl -fsS -o /dev/null --speed-limit 1 --speed-time 60 \
		-w '%{size_download} %{time_total} %{speed_download}' "$url"); then
		echo "virtwork: HTTP download of ${url} failed" >&2
		return 1
	fi
	read -r size secs speed <<<"$out"
	if [ "$size" != "$VIRTWORK_TPS_FILE_SIZE" ]; then
		echo "virtwork: HTTP download of ${url} got ${size} bytes, want ${VIRTWORK_TPS_FILE_SIZE}" >&2
		return 1
	fi
	awk -v b="$size" -v s="$secs" -v r="$speed" -v u="$url" \
		'BEGIN { printf "virtwork: HTTP download %s %d bytes in %.3fs: %.2f MB/s\n", u, b, s, r / 1e6 }'
}

while true; do
	ok=0
	if rr; then ok=1; fi
	for _ in $(seq 1 "$VIRTWORK_TPS_DOWNLOADS"); do
		if download; then ok=1; fi
	done
	# Everything failed at once (server restarting?): do not spin.
	if [ "$ok" -eq 0 ]; then
		sleep 5
	fi
done
