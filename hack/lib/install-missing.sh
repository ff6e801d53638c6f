#!/usr/bin/env bash
# install_missing TOOL=PACKAGE...: installs with apt, in one go, the Debian
# package of every TOOL that is not on PATH. Sourced by the install scripts.

install_missing() {
	local missing=() pair tool
	for pair in "$@"; do
		tool=${pair%%=*}
		command -v "$tool" >/dev/null 2>&1 || missing+=("${pair#*=}")
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		return 0
	fi
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		sudo=(sudo)
	fi
	echo "installing ${missing[*]}"
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
