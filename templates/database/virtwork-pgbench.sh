#!/bin/bash
# virtwork database load, run as postgres: wait until the server answers,
# create and initialise the benchmark database once, then run pgbench in a
# loop for ever: at the level (rate, transactions/s for all clients
# together) when one is set, as fast as it can otherwise.
# With VIRTWORK_SCHEDULE (a load profile, --start-at or --duration) the rate
# follows the schedule once the database is set up: virtwork_follow
# (virtwork-level) runs this script again with VIRTWORK_LEVEL, each
# segment's rate, for exactly that segment, and sleeps while the level is 0.
set -euo pipefail
: "${VIRTWORK_DB_SCALE:?not set; expected in /etc/virtwork/database.env}"
: "${VIRTWORK_DB_CLIENTS:?not set; expected in /etc/virtwork/database.env}"
: "${VIRTWORK_DB_JOBS:?not set; expected in /etc/virtwork/database.env}"
: "${VIRTWORK_DB_DURATION:?not set; expected in /etc/virtwork/database.env}"
: "${VIRTWORK_DB_RATE:?not set; expected in /etc/virtwork/database.env}"

db=virtwork

until pg_isready -q; do
	echo "virtwork: waiting for PostgreSQL to accept connections"
	sleep 5
done

if [ "$(psql -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '${db}'")" != 1 ]; then
	createdb "$db"
fi
if [ "$(psql -d "$db" -Atqc "SELECT to_regclass('public.pgbench_branches') IS NOT NULL")" != t ]; then
	echo "virtwork: initialising pgbench tables at scale ${VIRTWORK_DB_SCALE}"
	pgbench --initialize --scale "$VIRTWORK_DB_SCALE" "$db"
fi

# The setup above is done before the schedule starts, so no segment's
# timeout can cut the initialisation short.
if [[ -n ${VIRTWORK_SCHEDULE:-} && -z ${VIRTWORK_LEVEL:-} ]]; then
	# shellcheck source=/dev/null
	. "${VIRTWORK_LEVEL_LIB:-/usr/local/bin/virtwork-level}"
	virtwork_follow database "$0"
fi
rate=${VIRTWORK_LEVEL:-$VIRTWORK_DB_RATE}
args=(--client "$VIRTWORK_DB_CLIENTS" --jobs "$VIRTWORK_DB_JOBS" --time "$VIRTWORK_DB_DURATION" --progress 60)
# pgbench refuses --rate 0; without --rate it runs unthrottled.
if [ "$rate" -gt 0 ]; then
	args+=(--rate "$rate")
fi

while true; do
	if ! pgbench "${args[@]}" "$db"; then
		echo "virtwork: pgbench failed; retrying in 10s" >&2
		sleep 10
	fi
done
