#!/usr/bin/env bash
# Installs, only when missing, the Debian packages that make test-guest and
# make golden-image need: mmdebstrap (hack/build-golden-image.sh builds the
# guest with it), fdisk (sfdisk partitions the disk), e2fsprogs (mkfs.ext4
# -d makes the root file system), qemu-utils (qemu-img makes the qcow2),
# qemu-system-x86 (boots it), dosfstools and mtools (the NoCloud seed is a
# FAT disk labelled cidata, made and filled without mounting).
set -euo pipefail

# shellcheck source=hack/lib/install-missing.sh
. "$(dirname "$0")/lib/install-missing.sh"
install_missing mmdebstrap=mmdebstrap qemu-system-x86_64=qemu-system-x86 qemu-img=qemu-utils sfdisk=fdisk mkfs.vfat=dosfstools mcopy=mtools mkfs.ext4=e2fsprogs
