package guest

// cpuShapeCommon reads the cpu schedule file (see pkg/profile's doc) and
// measures the busy share of all CPUs from /proc/stat: busy START END
// sleeps until unix second START, then prints the percent of CPU time
// (user+nice+system+irq+softirq+steal over that plus idle and iowait)
// until END.
const cpuShapeCommon = `	f=/etc/virtwork/cpu.schedule
	[ -r "$f" ] || { echo "no $f"; return 1; }
	start=$(awk '$1 == "start" { print $2 }' "$f")
	dur=$(awk '$1 == "duration" { print $2 }' "$f")
	cycle=$(awk '$1 == "cycle" { print $2 }' "$f")
	high=$(awk 'NR == 6 { print $2 }' "$f")
	half=$(awk 'NR == 7 { print $1 }' "$f")
	low=$(awk 'NR == 7 { print $2 }' "$f")
	if ! { number "$start" 1 && number "$dur" 1 && number "$cycle" 1 && number "$half" 1; }; then
		echo "$f is not a timed square wave: $(tr '\n' ' ' <"$f")"
		return 1
	fi
	busy() {
		local a b n
		n=$(($1 - $(date +%s)))
		[ "$n" -le 0 ] || sleep "$n"
		read -r _ a1 a2 a3 a4 a5 a6 a7 a8 _ <<<"$(head -n1 /proc/stat)"
		n=$(($2 - $(date +%s)))
		[ "$n" -le 0 ] || sleep "$n"
		read -r _ b1 b2 b3 b4 b5 b6 b7 b8 _ <<<"$(head -n1 /proc/stat)"
		a=$((b1 + b2 + b3 + b6 + b7 + b8 - a1 - a2 - a3 - a6 - a7 - a8))
		b=$((a + b4 + b5 - a4 - a5))
		echo $((b > 0 ? 100 * a / b : 0))
	}
	# at prints when the journal line matching $1 was logged, in unix
	# seconds.
	at() { journalctl -u "$UNIT" -o short-unix --no-pager | awk -v re="$1" '$0 ~ re { print int($1); exit }'; }`

// cpuShapeReady proves the square wave: idle before the start (when the
// guest was up in time to see it), the first high level logged within 5 s
// of the start, then, over two periods, the busy share at least 60% in
// each high half and at most 25% in each low half, measured a few seconds
// inside each half. A failed measurement fails the check at once rather
// than being retried on later halves.
const cpuShapeReady = cpuShapeCommon + `
	before="not seen: the unit was active only after the start"
	now=$(date +%s)
	if [ $((start - now)) -ge 25 ]; then
		idle=$(logs | grep -m1 '^virtwork: cpu idle until ') || { echo "no idle line before the start"; return 1; }
		b=$(busy $((start - 20)) $((start - 2)))
		[ "$b" -le 25 ] || fail "busy ${b}% before the start at $start"
		before="busy ${b}% in the 18 s before it, '$idle'"
	fi
	# The first half that the check sees whole.
	h0=$start
	now=$(date +%s)
	while [ "$h0" -lt "$now" ]; do h0=$((h0 + half)); done
	[ $((h0 + 4 * half)) -le $((start + dur)) ] || fail "the unit became active too late to see two periods before the end"
	seen=""
	for i in 0 1 2 3; do
		t0=$((h0 + i * half))
		b=$(busy $((t0 + 5)) $((t0 + half - 2)))
		if [ $(((t0 - start) / half % 2)) -eq 0 ]; then
			[ "$b" -ge 60 ] || fail "busy ${b}% in a high half ($high) from $t0; want at least 60%"
			seen="$seen high:${b}%"
		else
			[ "$b" -le 25 ] || fail "busy ${b}% in a low half ($low) from $t0; want at most 25%"
			seen="$seen low:${b}%"
		fi
	done
	lh=$(logs | grep -c "^virtwork: cpu level $high until ")
	ll=$(logs | grep -c "^virtwork: cpu level $low until ")
	number "$lh" 2 && number "$ll" 2 || fail "journal: $lh 'level $high' and $ll 'level $low' lines, want at least 2 of each"
	first=$(at "virtwork: cpu level $high until")
	lag="first level line at start+$((first - start))s"
	if [ "$before" != "${before#busy}" ]; then
		[ $((first - start)) -le 5 ] || fail "the first level line came $((first - start)) s after the start"
	fi
	echo "square $high/$low period ${cycle}s from $(date -u -d "@$start" +%H:%M:%SZ): before the start $before; $lag; busy per half$seen; journal $lh x level $high, $ll x level $low"`

// cpuShapeFinal waits for the end of --duration: the finished line, the
// unit still active, and the CPUs idle.
const cpuShapeFinal = cpuShapeCommon + `
	end=$((start + dur))
	b=$(busy $((end + 5)) $((end + 35)))
	fin=$(logs | grep -m1 '^virtwork: cpu finished$') || { echo "no 'virtwork: cpu finished' line after the end"; return 1; }
	systemctl is-active --quiet "$UNIT" || { echo "$UNIT is not active after the end"; return 1; }
	[ "$b" -le 25 ] || { echo "busy ${b}% after the end"; return 1; }
	echo "after the end ($(date -u -d "@$end" +%H:%M:%SZ)): '$fin' at end+$(($(at 'virtwork: cpu finished') - end))s, $UNIT active, busy ${b}%"`

// chaosNetworkCommon reads the chaos-network schedule file, a square wave
// of active (1 first, then 0), as cpuShapeCommon reads cpu's. netem prints
// the root qdiscs that are netem, on any interface; upto sleeps until unix
// second $1.
const chaosNetworkCommon = `	f=/etc/virtwork/chaos-network.schedule
	[ -r "$f" ] || { echo "no $f"; return 1; }
	start=$(awk '$1 == "start" { print $2 }' "$f")
	dur=$(awk '$1 == "duration" { print $2 }' "$f")
	cycle=$(awk '$1 == "cycle" { print $2 }' "$f")
	half=$(awk 'NR == 7 { print $1 }' "$f")
	if ! { number "$start" 1 && number "$dur" 1 && number "$cycle" 1 && number "$half" 1; } ||
		[ "$(awk 'NR == 6 || NR == 7 { printf "%s,", $2 }' "$f")" != "1,0," ]; then
		echo "$f is not timed windows of active 1 then 0: $(tr '\n' ' ' <"$f")"
		return 1
	fi
	netem() { tc qdisc show | grep '^qdisc netem ' || true; }
	upto() {
		local n=$(($1 - $(date +%s)))
		[ "$n" -le 0 ] || sleep "$n"
	}`

// chaosNetworkReady proves the windows: no netem before the start (when
// the guest was up in time to see it), then netem on every interface's
// root qdisc 5 s into an active half and 5 s before its end, and none 5 s
// into the inactive half after it and 5 s before that one ends.
const chaosNetworkReady = chaosNetworkCommon + `
	before="not seen: the unit was active only after the start"
	if [ $((start - $(date +%s))) -ge 15 ]; then
		idle=$(logs | grep -m1 '^virtwork: chaos-network idle until ') || fail "no idle line before the start"
		upto $((start - 10))
		q=$(netem)
		[ -z "$q" ] || fail "netem 10 s before the start at $start: $q"
		before="no netem 10 s before it, '$idle'"
	fi
	# The first active half the check sees whole.
	h0=$start
	now=$(date +%s)
	while [ "$h0" -lt "$now" ]; do h0=$((h0 + cycle)); done
	[ $((h0 + cycle)) -le $((start + dur)) ] || fail "the unit became active too late to see a whole period before the end"
	for t in $((h0 + 5)) $((h0 + half - 5)); do
		upto "$t"
		on=$(netem)
		[ -n "$on" ] || fail "no netem at $t, in the active half from $h0"
	done
	for t in $((h0 + half + 5)) $((h0 + cycle - 5)); do
		upto "$t"
		q=$(netem)
		[ -z "$q" ] || fail "netem at $t, in the inactive half from $((h0 + half)): $q"
	done
	echo "windows of ${half}s in ${cycle}s from $(date -u -d "@$start" +%H:%M:%SZ): before the start $before; active half from $(date -u -d "@$h0" +%H:%M:%SZ): netem at +5 s and +$((half - 5)) s ($(echo $on)); inactive half: none at +5 s and +$((cycle - half - 5)) s"`

// chaosNetworkFinal waits for the end of --duration: no netem, the finished
// line, the unit still active and never restarted, every netem added also
// removed, and how long after its window's edge each was (from the journal
// lines the script writes right after tc returns).
const chaosNetworkFinal = chaosNetworkCommon + `
	end=$((start + dur))
	upto $((end + 5))
	q=$(netem)
	[ -z "$q" ] || { echo "netem after the end: $q"; return 1; }
	fin=$(logs | grep -m1 '^virtwork: chaos-network finished$') || { echo "no 'virtwork: chaos-network finished' line after the end"; return 1; }
	systemctl is-active --quiet "$UNIT" || { echo "$UNIT is not active after the end"; return 1; }
	r=$(systemctl show -P NRestarts "$UNIT")
	[ "$r" = 0 ] || { echo "$UNIT restarted $r times"; return 1; }
	on=$(logs | grep -c '^virtwork: netem on ')
	off=$(logs | grep -c '^virtwork: netem removed from ')
	number "$on" 1 && [ "$on" = "$off" ] || { echo "journal: $on netem added, $off removed"; return 1; }
	read -r lagOn lagOff <<<"$(journalctl -u "$UNIT" -o short-unix --no-pager | awk -v s="$start" -v c="$cycle" -v h="$half" '
		/virtwork: netem on / { d = ($1 - s) % c; if (d > a) a = d }
		/virtwork: netem removed from / { d = ($1 - s - h) % c; if (d > r) r = d }
		END { printf "%.2f %.2f\n", a, r }')"
	ev="after the end ($(date -u -d "@$end" +%H:%M:%SZ)): no netem, '$fin', $UNIT active, 0 restarts; $on windows, netem added at most ${lagOn} s after a window's start and removed at most ${lagOff} s after its end"
	awk -v a="$lagOn" -v b="$lagOff" 'BEGIN { exit !(a <= 5 && b <= 5) }' || { echo "$ev: more than 5 s"; return 1; }
	echo "$ev"`
