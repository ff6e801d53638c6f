#!/usr/bin/env bash
# Installs, only when missing, the Debian packages whose tools the tests run
# on every rendered artefact: cloud-init (schema), fio (--parse-only),
# stress-ng (--dry-run), shellcheck, iperf3 and PostgreSQL (the guest
# scripts run for real), Prometheus (the metrics tests scrape the
# simulator with a real one; test/prom starts its own, so the package's
# service is stopped and disabled), Chromium (verify's HTML report is
# opened headless) and qemu-utils (qemu-img makes the small qcow2 that
# hack/golden-image's test packs). systemd-analyze and kubectl are expected
# on the machine already.
set -euo pipefail

for tool in systemd-analyze kubectl; do
	command -v "$tool" >/dev/null 2>&1 || { echo "$tool is needed by the tests but not installed" >&2; exit 1; }
done

# shellcheck source=hack/lib/install-missing.sh
. "$(dirname "$0")/lib/install-missing.sh"
# Debian's package enables and starts a system Prometheus on :9090 (and
# node-exporter, with recommends); the tests start their own and need
# neither, so a Prometheus installed here is stopped and disabled. One that
# was already installed is left as it is.
had_prometheus=$(command -v prometheus || true)
install_missing qemu-img=qemu-utils cloud-init=cloud-init fio=fio stress-ng=stress-ng iperf3=iperf3 shellcheck=shellcheck pgbench=postgresql prometheus=prometheus chromium=chromium
if [ -z "$had_prometheus" ] && [ -d /run/systemd/system ]; then
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		sudo=(sudo)
	fi
	for unit in prometheus.service prometheus-node-exporter.service; do
		if systemctl list-unit-files "$unit" >/dev/null 2>&1; then
			"${sudo[@]}" systemctl disable --now "$unit"
		fi
	done
fi
