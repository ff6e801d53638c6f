#!/bin/bash
# Checks that the packages a workload's unit needs are installed, before the
# unit starts (its ExecStartPre, added by kubectl-virtwork), and fails with
# one line naming those that are not: a program that is missing is then
# reported as a package, not as a script that keeps failing on a command
# it cannot find.
# Usage: virtwork-check-packages [--preinstalled] PACKAGE...
#
# The names are the guest family's. A package counts as installed when
# dpkg (Debian, Ubuntu) or rpm (Fedora, CentOS Stream, RHEL) says so,
# whichever of the two the guest has: a run rendered for one family and
# booted on another is still checked. --preinstalled says the run expected
# the image to carry the packages, rather than cloud-init to install them.
set -euo pipefail

why="cloud-init's package install at first boot failed or has not finished; see /var/log/cloud-init-output.log"
if [ "${1:-}" = --preinstalled ]; then
	why="--preinstalled: the image must carry it; see docs/golden-image.md"
	shift
fi

have() { command -v "$1" >/dev/null 2>&1; }

# installed reports whether a package of that name, or one that provides
# it, is installed: apt installs a provider for a virtual name (Debian), and
# dnf takes an installed provider for the name (Fedora's curl-minimal for
# curl), so the name alone would call them missing.
installed() {
	if have dpkg-query; then
		# "install ok installed", or "hold ok installed" for a held one.
		case $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) in
		*" ok installed") return 0 ;;
		esac
		dpkg-query -W -f='${Status}|${Provides}\n' 2>/dev/null | awk -F'|' -v want="$1" '
			$1 ~ / ok installed$/ { n = split($2, p, /[ ,]+/); for (i = 1; i <= n; i++) if (p[i] == want) found = 1 }
			END { exit !found }' && return 0
	fi
	have rpm && rpm -q --quiet --whatprovides "$1" 2>/dev/null
}

if ! have dpkg-query && ! have rpm; then
	echo "virtwork: cannot check packages $*: this guest has neither dpkg-query nor rpm" >&2
	exit 0
fi

missing=()
for p in "$@"; do
	installed "$p" || missing+=("$p")
done
case ${#missing[@]} in
0) exit 0 ;;
1) echo "virtwork: package ${missing[0]} is not installed (${why})" >&2 ;;
*)
	list=$(printf ', %s' "${missing[@]}")
	echo "virtwork: packages ${list#, } are not installed (${why})" >&2
	;;
esac
exit 1
