#!/usr/bin/env bash
# Installs, only when missing, the Debian packages that make test-guest
# needs: mmdebstrap (hack/build-guest-image.sh builds the guest with it),
# qemu-system-x86 (boots it), dosfstools and mtools (the NoCloud seed is a
# FAT disk labelled cidata, made and filled without mounting) and e2fsprogs
# (mkfs.ext4 -d makes the root disk).
set -euo pipefail

# shellcheck source=hack/lib/install-missing.sh
. "$(dirname "$0")/lib/install-missing.sh"
install_missing mmdebstrap=mmdebstrap qemu-system-x86_64=qemu-system-x86 mkfs.vfat=dosfstools mcopy=mtools mkfs.ext4=e2fsprogs
