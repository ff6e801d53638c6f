#!/usr/bin/env bash
# debian_mirrors prints, one a line, the apt source lines ("deb URI SUITE
# main") of this machine's own Debian bookworm mirrors (bookworm, -updates,
# -security), the ones its apt already uses: what mmdebstrap builds a guest
# from. It runs apt-get update first when apt has indexed none of them, and
# prints nothing when none is configured. Sourced by
# hack/build-golden-image.sh.

_debian_bookworm_targets() {
	# shellcheck disable=SC2016 # apt expands the $(...) fields
	apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(TARGET_OF) $(IDENTIFIER)' 2>/dev/null |
		awk '$3 == "deb" && $4 == "Packages" && $2 ~ /^bookworm(-updates|-security)?$/ { print $1, $2 }' | sort -u
}

debian_mirrors() {
	if [ -z "$(_debian_bookworm_targets)" ]; then
		apt-get update -qq
	fi
	local uri release
	_debian_bookworm_targets | while read -r uri release; do
		echo "deb $uri $release main"
	done
}
