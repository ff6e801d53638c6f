#!/usr/bin/env bash
# Installs, only when missing, the Debian packages whose tools the tests run
# on every rendered artefact: cloud-init (schema), fio (--parse-only),
# stress-ng (--dry-run), shellcheck, and iperf3 and PostgreSQL (the guest
# scripts run for real). systemd-analyze and kubectl are expected on the
# machine already.
set -euo pipefail

for tool in systemd-analyze kubectl; do
	command -v "$tool" >/dev/null 2>&1 || { echo "$tool is needed by the tests but not installed" >&2; exit 1; }
done

declare -A pkg_of=([cloud-init]=cloud-init [fio]=fio [stress-ng]=stress-ng [iperf3]=iperf3 [shellcheck]=shellcheck [pgbench]=postgresql)
missing=()
for tool in "${!pkg_of[@]}"; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("${pkg_of[$tool]}")
done
if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	sudo=(sudo)
fi
echo "installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
