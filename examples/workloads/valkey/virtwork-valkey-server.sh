#!/bin/bash
# virtwork valkey workload, server side: mount the data disk (found only by
# its serial), then run the server as its package's unprivileged user with
# an append-only file on that disk, so every write reaches the disk.
set -euo pipefail
: "${VIRTWORK_DATA_SERIAL:?not set; expected in /etc/virtwork/valkey.env}"
: "${VIRTWORK_DATA_MOUNT:?not set; expected in /etc/virtwork/valkey.env}"

/usr/local/bin/virtwork-mount-data-disk "$VIRTWORK_DATA_SERIAL" "$VIRTWORK_DATA_MOUNT"

# Fedora ships valkey; older Debian and Ubuntu releases ship redis.
if command -v valkey-server >/dev/null; then
	server=valkey-server user=valkey
else
	server=redis-server user=redis
fi
if ! id "$user" >/dev/null 2>&1; then
	echo "virtwork: user ${user} of ${server} not found; is the package installed?" >&2
	exit 1
fi
data="${VIRTWORK_DATA_MOUNT}/data"
mkdir -p "$data"
chown "$user:" "$data"
chmod 0750 "$data"

exec setpriv --reuid="$user" --regid="$user" --init-groups \
	"$server" --bind 0.0.0.0 --port 6379 --protected-mode no \
	--dir "$data" --appendonly yes --save "" \
	--maxmemory {{ maxmemory }} --maxmemory-policy allkeys-lru
