#!/bin/bash
# virtwork tps workload, server side: generate the file that clients
# download, exactly VIRTWORK_TPS_FILE_SIZE bytes so a client can tell a
# whole download from a cut one, and serve it over HTTP.
set -euo pipefail
: "${VIRTWORK_TPS_FILE_SIZE:?not set; expected in /etc/virtwork/tps.env}"
: "${VIRTWORK_TPS_HTTP_PORT:?not set; expected in /etc/virtwork/tps.env}"
: "${VIRTWORK_TPS_DATA_DIR:?not set; expected in /etc/virtwork/tps.env}"

dir=$VIRTWORK_TPS_DATA_DIR
file=${dir}/payload.bin
mkdir -p "$dir"
# Regenerate only when the size changed, so a restart does not rewrite up to
# a gigabyte. Random bytes, so nothing on the path can compress them away.
# The file appears under its name only when whole.
if [ "$(stat -c %s "$file" 2>/dev/null || echo none)" != "$VIRTWORK_TPS_FILE_SIZE" ]; then
	rm -f "$dir"/.payload.*
	tmp=$(mktemp "${dir}/.payload.XXXXXX")
	head -c "$VIRTWORK_TPS_FILE_SIZE" /dev/urandom >"$tmp"
	chmod 0644 "$tmp"
	mv "$tmp" "$file"
	echo "virtwork: generated ${file} (${VIRTWORK_TPS_FILE_SIZE} bytes)"
fi

exec python3 -m http.server "$VIRTWORK_TPS_HTTP_PORT" --directory "$dir"
