#!/bin/bash
# virtwork tps workload, server side: generate the files that clients
# fetch, each of exactly its size so a client can tell a whole answer from
# a cut one: payload.bin (VIRTWORK_TPS_FILE_SIZE bytes) for downloads and
# response.bin (VIRTWORK_TPS_RESPONSE_SIZE) for requests at a rate; then
# serve them over HTTP.
set -euo pipefail
: "${VIRTWORK_TPS_FILE_SIZE:?not set; expected in /etc/virtwork/tps.env}"
: "${VIRTWORK_TPS_RESPONSE_SIZE:?not set; expected in /etc/virtwork/tps.env}"
: "${VIRTWORK_TPS_HTTP_PORT:?not set; expected in /etc/virtwork/tps.env}"
: "${VIRTWORK_TPS_DATA_DIR:?not set; expected in /etc/virtwork/tps.env}"

dir=$VIRTWORK_TPS_DATA_DIR
mkdir -p "$dir"

# generate NAME SIZE writes dir/NAME of SIZE random bytes (so nothing on the
# path can compress them away), only when its size changed, so a restart
# does not rewrite up to a gigabyte. The file appears under its name only
# when whole.
generate() {
	local file=${dir}/$1 tmp
	if [ "$(stat -c %s "$file" 2>/dev/null || echo none)" != "$2" ]; then
		rm -f "${dir}/.${1}."*
		tmp=$(mktemp "${dir}/.${1}.XXXXXX")
		head -c "$2" /dev/urandom >"$tmp"
		chmod 0644 "$tmp"
		mv "$tmp" "$file"
		echo "virtwork: generated ${file} ($2 bytes)"
	fi
}

# The client waits for payload.bin: it comes last.
generate response.bin "$VIRTWORK_TPS_RESPONSE_SIZE"
generate payload.bin "$VIRTWORK_TPS_FILE_SIZE"

exec python3 -m http.server "$VIRTWORK_TPS_HTTP_PORT" --directory "$dir"
