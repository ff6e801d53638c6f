#!/usr/bin/env bash
# Installs, only when missing, the Debian packages that make test-guest
# needs: mmdebstrap (hack/build-guest-image.sh builds the guest with it),
# qemu-system-x86 (boots it), dosfstools and mtools (the NoCloud seed is a
# FAT disk labelled cidata, made and filled without mounting) and e2fsprogs
# (mkfs.ext4 -d makes the root disk).
set -euo pipefail

declare -A pkg_of=([mmdebstrap]=mmdebstrap [qemu-system-x86_64]=qemu-system-x86 [mkfs.vfat]=dosfstools [mcopy]=mtools [mkfs.ext4]=e2fsprogs)
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
