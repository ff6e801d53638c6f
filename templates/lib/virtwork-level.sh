#!/bin/bash
# Prints the level a workload runs at now, from the schedule file that
# kubectl-virtwork computed (pkg/profile, whose doc describes the format).
# Usage: virtwork-level [SCHEDULE]    (default: $VIRTWORK_SCHEDULE)
# Output: LEVEL SECONDS_UNTIL_NEXT_CHANGE STATE
#   SECONDS is -1 when nothing changes any more; STATE is idle (before the
#   start), running or finished (after the duration: level 0 for good).
#
# It knows no shape: it only indexes the table of segments, exactly as
# Schedule.at in pkg/profile does, and a Go test holds the two equal. Under
# a spread ("phase hash RUNID BOUND") it computes this VM's phase from its
# hostname, exactly as Phase does from the VM's name.
# VIRTWORK_NOW (unix seconds) stands in for the clock in tests, and
# VIRTWORK_HOSTNAME for the hostname. With
# "start boot" the first reading records the start in
# ${VIRTWORK_STATE_DIR:-/run/virtwork}/NAME.start (NAME: the file's name
# without .schedule), so a restarted unit carries on where it was.
# Sourced, it only defines virtwork_level and virtwork_follow, the
# controller below (and sets -euo pipefail). A malformed file or time is exit (return) status 2, with one line
# on stderr.
set -euo pipefail

virtwork_level() {
	local file=${1:-${VIRTWORK_SCHEDULE:-}}
	local now=${VIRTWORK_NOW:-}
	if [[ -z $file ]]; then
		echo "usage: virtwork-level SCHEDULE (or set VIRTWORK_SCHEDULE)" >&2
		return 2
	fi
	[[ -n $now ]] || now=$(date +%s)
	if ! virtwork_level_number "$now"; then
		echo "virtwork-level: the time must be unix seconds, got '${now}'" >&2
		return 2
	fi

	# The file, checked as ParseFile in pkg/profile/file.go checks it.
	if [[ ! -f $file || ! -r $file ]]; then
		echo "virtwork-level: ${file}: no such readable file" >&2
		return 2
	fi
	local -a lines=() offs=() levs=() words=(virtwork-schedule start duration phase cycle) vals=()
	local line val o l n=0 i max_seconds=4294967296 max_level=2147483647
	mapfile lines <"$file"
	if ((${#lines[@]} < 6)) || [[ ${lines[-1]} != *$'\n' ]]; then
		echo "virtwork-level: ${file}: must hold 5 lines of settings and segments, ending with a newline" >&2
		return 2
	fi
	for ((i = 0; i < 5; i++)); do
		line=${lines[i]%$'\n'}
		val=${line#"${words[i]} "}
		if [[ $i-$val == "3-hash "* ]]; then
			# Every VM of a workload gets this file; each computes its own phase.
			vals[i]=$(virtwork_level_spread "${file}:4" "$line") || return 2
			continue
		fi
		if [[ $val == "$line" ]] || ! { virtwork_level_number "$val" || [[ $i-$val == 1-boot || $i-$val == 2-never ]]; } ||
			[[ $i -eq 0 && $val != 1 ]] || { ((i >= 2)) && [[ $val != never ]] && ((val > max_seconds)); }; then
			echo "virtwork-level: ${file}:$((i + 1)): expected '${words[i]} NUMBER', got '${line}'" >&2
			return 2
		fi
		vals[i]=$val
	done
	local start=${vals[1]} dur=${vals[2]} phase=${vals[3]} cycle=${vals[4]}
	for ((i = 5; i < ${#lines[@]}; i++)); do
		line=${lines[i]%$'\n'}
		o=${line%% *}
		l=${line#* }
		# virtwork_level_number, inline: this loop is the reader's hot path.
		if [[ $line != "$o $l" || -z $o || $o == *[!0-9]* || $o == 0?* || ${#o} -gt 10 ||
			-z $l || $l == *[!0-9]* || $l == 0?* || ${#l} -gt 10 ]] ||
			((n == 0 && o != 0 || n > 0 && o <= offs[n - 1] || cycle > 0 && o >= cycle || o > max_seconds || l > max_level)); then
			echo "virtwork-level: ${file}:$((i + 1)): expected 'OFFSET LEVEL' with offsets from 0 rising below the cycle, got '${line}'" >&2
			return 2
		fi
		offs[n]=$o
		levs[n]=$l
		n=$((n + 1))
	done
	[[ $dur != never ]] || dur=0
	if [[ $start == boot ]]; then
		start=$(virtwork_level_boot "$file" "$now") || return 2
	fi

	# From here on, line for line Schedule.at in pkg/profile/schedule.go.
	local end=-1 next=-1 vstart=$start q i=0 j k wrap level
	if ((dur > 0)); then
		end=$((start + dur))
		if ((now >= end)); then
			echo "0 -1 finished"
			return 0
		fi
	fi
	((cycle > 0)) || vstart=$((start + phase))
	if ((now < vstart)); then
		next=$vstart
		((end < 0 || next <= end)) || next=$end
		echo "0 $((next - now)) idle"
		return 0
	fi
	q=$((now - start - phase))
	((cycle == 0)) || q=$(((q % cycle + cycle) % cycle))
	for ((j = 1; j < n; j++)); do
		((offs[j] <= q)) || break
		i=$j
	done
	level=${levs[i]}
	for ((k = 1; k < n; k++)); do
		j=$((i + k))
		wrap=0
		if ((j >= n)); then
			((cycle > 0)) || break
			j=$((j - n))
			wrap=$cycle
		fi
		if ((levs[j] != level)); then
			next=$((now + offs[j] + wrap - q))
			break
		fi
	done
	if ((end >= 0 && (next < 0 || next > end))); then
		next=$end
	fi
	if ((next >= 0)); then
		next=$((next - now))
	fi
	echo "${level} ${next} running"
}

# virtwork_level_spread WHERE LINE prints this VM's phase for the line
# "phase hash RUNID BOUND": virtwork_level_phase of the run id, the VM's name
# and the bound. The name is the kernel's hostname up to its first dot
# (KubeVirt's hostname for a VMI is its name, and VM names have no dot),
# set by cloud-init before runcmd starts the units and, on later boots, by
# systemd from /etc/hostname before any unit. VIRTWORK_HOSTNAME stands in
# for it in tests.
virtwork_level_spread() {
	local where=$1 line=$2 rest runid bound name=${VIRTWORK_HOSTNAME:-}
	rest=${line#phase hash }
	runid=${rest%% *}
	bound=${rest#* }
	if [[ $rest != "$runid $bound" || -z $runid || ${#runid} -gt 64 || $runid == -* ||
		$runid == *[!0123456789abcdefghijklmnopqrstuvwxyz-]* ]] ||
		! virtwork_level_number "$bound" || ((bound < 1 || bound > 4294967296)); then
		echo "virtwork-level: ${where}: expected 'phase NUMBER' or 'phase hash RUNID BOUND' (BOUND 1-4294967296), got '${line}'" >&2
		return 2
	fi
	if [[ -z $name && -r /proc/sys/kernel/hostname ]]; then
		read -r name </proc/sys/kernel/hostname || true
	fi
	if [[ -z ${name%%.*} ]]; then
		echo "virtwork-level: ${where}: the phase comes from the VM's name, the hostname up to its first dot, but the hostname is '${name}'" >&2
		return 2
	fi
	virtwork_level_phase "$runid" "${name%%.*}" "$bound"
}

# virtwork_level_phase RUNID NAME BOUND prints Phase (pkg/profile/phase.go):
# the first 8 bytes of SHA-256(RUNID NUL NAME), big-endian, modulo BOUND,
# reduced 16 bits at a time so that bash's signed 64-bit sums stay below
# 2^48 for any BOUND up to 2^32.
virtwork_level_phase() {
	local sum r=0 i
	if ! sum=$(printf '%s\0%s' "$1" "$2" | sha256sum) || [[ ${#sum} -lt 16 || ${sum:0:16} == *[!0-9a-f]* ]]; then
		echo "virtwork-level: sha256sum failed" >&2
		return 2
	fi
	for ((i = 0; i < 16; i += 4)); do
		r=$(((r * 65536 + 16#${sum:i:4}) % $3))
	done
	echo "$r"
}

# virtwork_level_number: is $1 a number as the file spells them: digits,
# no leading zero (bash would read 010 as octal), at most 10 of them.
virtwork_level_number() {
	[[ -n $1 && $1 != *[!0-9]* && $1 != 0?* && ${#1} -le 10 ]]
}

# virtwork_level_boot prints the start of a "start boot" schedule: the
# instant it was first read, recorded once (the first writer wins).
virtwork_level_boot() {
	local file=$1 now=$2 dir=${VIRTWORK_STATE_DIR:-/run/virtwork} name rec tmp recorded
	name=${file##*/}
	name=${name%.schedule}
	rec=${dir}/${name}.start
	if [[ ! -e $rec ]]; then
		mkdir -p "$dir"
		tmp=$(mktemp "${rec}.XXXXXX")
		echo "$now" >"$tmp"
		ln "$tmp" "$rec" 2>/dev/null || true
		rm -f "$tmp"
	fi
	read -r recorded <"$rec" || true
	if ! virtwork_level_number "${recorded:-}"; then
		echo "virtwork-level: ${rec} must hold the start in unix seconds, got '${recorded:-}'" >&2
		return 2
	fi
	echo "$recorded"
}

# virtwork_follow NAME COMMAND... is the controller a workload's script
# hands its generator to: for each segment of $VIRTWORK_SCHEDULE it runs
# COMMAND with VIRTWORK_LEVEL set to the segment's level for exactly the
# segment (timeout ends it, with its process group), sleeps while the level
# is 0, and writes one journal line per change ("virtwork: NAME level 80
# until 10:15:00Z", "... idle until ...", "... finished"). It never returns:
# after the last change it keeps COMMAND (or sleep) running for ever, so the
# unit stays active and the VM ready. A COMMAND that fails on its own ends
# the script with its status, for the unit's restart to handle.
virtwork_follow() {
	local name=$1 said="" now out level secs state msg rc
	shift
	while true; do
		# One reading of the clock per change: the level and the line agree.
		now=$(date +%s)
		out=$(VIRTWORK_NOW=$now virtwork_level)
		read -r level secs state <<<"$out"
		if [[ $state == finished ]]; then
			msg="virtwork: ${name} finished"
		elif ((level == 0)); then
			msg="virtwork: ${name} idle"
		else
			msg="virtwork: ${name} level ${level}"
		fi
		if ((secs >= 0)) && [[ $state != finished ]]; then
			msg+=" until $(date -u -d "@$((now + secs))" +%H:%M:%SZ)"
		fi
		if [[ $msg != "$said" ]]; then
			echo "$msg"
			said=$msg
		fi
		if ((secs < 0 && level == 0)); then
			exec sleep infinity
		elif ((secs < 0)); then
			VIRTWORK_LEVEL=$level exec "$@"
		elif ((level == 0)); then
			sleep "$secs"
		else
			rc=0
			VIRTWORK_LEVEL=$level timeout "$secs" "$@" || rc=$?
			# 124: timeout ended the segment.
			if ((rc != 0 && rc != 124)); then
				echo "virtwork: ${name} exited with status ${rc}" >&2
				exit "$rc"
			fi
		fi
	done
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	virtwork_level "$@"
fi
