#!/bin/bash
# virtwork database setup, run as root before pgbench on every start:
# mount the data disk, create the PostgreSQL cluster on it once, then start
# it. Each step is idempotent. How a cluster is created differs by family
# and is detected here: Fedora and CentOS Stream have postgresql-setup and
# one postgresql.service; Debian and Ubuntu have pg_createcluster and a
# postgresql@VERSION-main.service per cluster.
set -euo pipefail
: "${VIRTWORK_DATA_SERIAL:?not set; expected in /etc/virtwork/database.env}"
: "${VIRTWORK_DATA_MOUNT:?not set; expected in /etc/virtwork/database.env}"

/usr/local/bin/virtwork-mount-data-disk "$VIRTWORK_DATA_SERIAL" "$VIRTWORK_DATA_MOUNT"

data=${VIRTWORK_DATA_MOUNT}/data
chown postgres:postgres "$VIRTWORK_DATA_MOUNT"
chmod 0700 "$VIRTWORK_DATA_MOUNT"
# A fresh file system carries no SELinux labels; give it PostgreSQL's.
if command -v restorecon >/dev/null 2>&1; then
	restorecon -R "$VIRTWORK_DATA_MOUNT"
fi

if command -v postgresql-setup >/dev/null 2>&1; then
	# postgresql.service's PGDATA is <mount>/data: the mount point is
	# PostgreSQL's home, /var/lib/pgsql.
	if [ ! -s "$data/PG_VERSION" ]; then
		echo "virtwork: initialising the PostgreSQL cluster in ${data}"
		postgresql-setup --initdb
	fi
	systemctl start postgresql.service
elif command -v pg_createcluster >/dev/null 2>&1; then
	version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tail -n1)
	if [ -z "$version" ]; then
		echo "virtwork: no PostgreSQL server under /usr/lib/postgresql; is the postgresql package installed?" >&2
		exit 1
	fi
	# The package created a "main" cluster on the root disk (and the
	# drop-in kept it from starting before the disk was mounted): replace
	# it with one on the data disk, under the same name and port.
	current=$(pg_lsclusters --no-header | awk -v v="$version" '$1 == v && $2 == "main" { print $6 }')
	if [ "$current" != "$data" ]; then
		if [ -n "$current" ]; then
			echo "virtwork: replacing the package's cluster ${version}/main in ${current} with one on the data disk"
			pg_dropcluster --stop "$version" main
		fi
		# On a disk that already holds the cluster (a reboot), this
		# registers it; on a blank one it creates it.
		echo "virtwork: creating or registering the PostgreSQL cluster in ${data}"
		pg_createcluster "$version" main -d "$data" -u postgres
	fi
	systemctl start "postgresql@${version}-main.service"
else
	echo "virtwork: neither postgresql-setup nor pg_createcluster found; is the PostgreSQL server package installed?" >&2
	exit 1
fi
