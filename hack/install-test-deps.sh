#!/usr/bin/env bash
# Installs, only when missing, the Debian packages whose tools the tests run
# on every rendered artefact: cloud-init (schema), fio (--parse-only),
# stress-ng (--dry-run), shellcheck, iperf3 and PostgreSQL (the guest
# scripts run for real), and Chromium (verify's HTML report is opened
# headless). systemd-analyze and kubectl are expected on the machine
# already.
set -euo pipefail

for tool in systemd-analyze kubectl; do
	command -v "$tool" >/dev/null 2>&1 || { echo "$tool is needed by the tests but not installed" >&2; exit 1; }
done

# shellcheck source=hack/lib/install-missing.sh
. "$(dirname "$0")/lib/install-missing.sh"
install_missing cloud-init=cloud-init fio=fio stress-ng=stress-ng iperf3=iperf3 shellcheck=shellcheck pgbench=postgresql chromium=chromium
