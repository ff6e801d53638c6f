#!/bin/bash
# virtwork database setup, run as root before pgbench on every start:
# mount the data disk at PostgreSQL's home, initialise the cluster there once,
# then start postgresql. Each step is idempotent.
set -euo pipefail
: "${VIRTWORK_DATA_SERIAL:?not set; expected in /etc/virtwork/database.env}"
: "${VIRTWORK_DATA_MOUNT:?not set; expected in /etc/virtwork/database.env}"

/usr/local/bin/virtwork-mount-data-disk "$VIRTWORK_DATA_SERIAL" "$VIRTWORK_DATA_MOUNT"

chown postgres:postgres "$VIRTWORK_DATA_MOUNT"
chmod 0700 "$VIRTWORK_DATA_MOUNT"
# A fresh file system carries no SELinux labels; give it PostgreSQL's.
if command -v restorecon >/dev/null 2>&1; then
	restorecon -R "$VIRTWORK_DATA_MOUNT"
fi

if [ ! -s "$VIRTWORK_DATA_MOUNT/data/PG_VERSION" ]; then
	echo "virtwork: initialising the PostgreSQL cluster in ${VIRTWORK_DATA_MOUNT}/data"
	postgresql-setup --initdb
fi

systemctl start postgresql.service
