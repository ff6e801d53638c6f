#!/bin/bash
# Writes a client VM's Service host into its EnvironmentFile, from the VM's
# own name, so that every client VM of a role shares one user-data Secret.
# Usage: virtwork-service-host ENVFILE VARIABLE VM_PREFIX SERVICE_PREFIX SERVICE_SUFFIX
#
# The rule is HostRule.Host in pkg/workloads (a Go test holds the two
# equal): the VM's name is VM_PREFIX<i> or VM_PREFIX<i>-<j>, and instance
# <i>'s Service host is SERVICE_PREFIX<i>SERVICE_SUFFIX. kubectl-virtwork
# builds the arguments from its own validated names. The name is the
# kernel's hostname up to its first dot (KubeVirt's hostname for a VMI is its
# name, and VM names have no dot), which cloud-init sets before runcmd runs
# this, and runcmd runs it before it enables any workload unit; the file
# stays as written on later boots. VIRTWORK_HOSTNAME stands in for the
# hostname in tests. It replaces any VARIABLE= line, then prints the line it
# wrote; a bad argument or hostname is exit status 2, with one line on stderr
# and the file left as it was.
set -euo pipefail

if (($# != 5)); then
	echo "usage: virtwork-service-host ENVFILE VARIABLE VM_PREFIX SERVICE_PREFIX SERVICE_SUFFIX" >&2
	exit 2
fi
file=$1 var=$2 vmprefix=$3 svcprefix=$4 suffix=$5
# The arguments as HostRule.check allows them: a variable name, and names
# of letters, digits, dots and dashes.
if [[ ! $var =~ ^[A-Za-z_][A-Za-z0-9_]*$ || ! $vmprefix =~ ^[a-z0-9][a-z0-9.-]*$ ||
	! $svcprefix =~ ^[a-z0-9][a-z0-9.-]*$ || ! $suffix =~ ^[a-z0-9.-]*$ ]]; then
	echo "virtwork-service-host: bad arguments: '${var}' '${vmprefix}' '${svcprefix}' '${suffix}'" >&2
	exit 2
fi
if [[ ! -f $file || ! -r $file ]]; then
	echo "virtwork-service-host: ${file}: no such readable file" >&2
	exit 2
fi

name=${VIRTWORK_HOSTNAME:-}
if [[ -z $name && -r /proc/sys/kernel/hostname ]]; then
	read -r name </proc/sys/kernel/hostname || true
fi
name=${name%%.*}
number='(0|[1-9][0-9]{0,9})'
if [[ $name != "$vmprefix"* || ! ${name#"$vmprefix"} =~ ^${number}(-${number})?$ ]]; then
	echo "virtwork-service-host: the Service host comes from the VM's name, ${vmprefix}<instance> or ${vmprefix}<instance>-<n>, but the hostname is '${name}'" >&2
	exit 2
fi
line="${var}=${svcprefix}${BASH_REMATCH[1]}${suffix}"

tmp=$(mktemp "${file}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
while IFS= read -r l || [[ -n $l ]]; do
	if [[ $l != "${var}="* ]]; then
		printf '%s\n' "$l"
	fi
done <"$file" >"$tmp"
printf '%s\n' "$line" >>"$tmp"
chmod 0644 "$tmp"
mv "$tmp" "$file"
trap - EXIT
echo "virtwork-service-host: ${file}: ${line}"
