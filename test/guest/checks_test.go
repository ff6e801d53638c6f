package guest

// workloadCheck is how the test tells that one workload's units are
// producing load, per role: bash function bodies that print the evidence
// and succeed once it is there. ready runs (every few seconds) while the
// unit is active; final, when set, runs once after the probe and may stop
// the unit to read what only an exit reports. The checker provides $UNIT,
// $SERIAL, logs (the unit's journal, message text only), datadisk and
// number; see checker.
type workloadCheck struct {
	// params are render flags that make the first signal come sooner (a
	// shorter pgbench scale, chaos interval, iperf3 test); the rendered
	// user-data is still the product's, only with those values.
	params []string
	ready  map[string]string // by role
	final  map[string]string // by role; optional
}

// stressFinal stops the unit, which makes stress-ng print its metrics, and
// reads the bogo ops of the named stressor (printf: mawk prints large
// numbers in exponent form).
func stressFinal(stressor string) string {
	return `	systemctl stop "$UNIT"
	n=$(logs | awk '$2 == "metrc:" && $4 == "` + stressor + `" { v = $5 } END { printf "%.0f\n", v }')
	number "$n" 1 || { echo "stress-ng reported no ` + stressor + ` bogo ops"; return 1; }
	echo "stress-ng ` + stressor + ` bogo-ops=$n"`
}

// checks returns the check of every built-in workload.
func checks() map[string]workloadCheck {
	iperf3Server := `	c=$(ss -Htn state established '( sport = :5201 )' | wc -l)
	number "$c" 1 || { echo "no iperf3 connection"; return 1; }
	dev=$(ip -o -4 addr show | awk '$4 ~ /^10\.99\./ { print $2; exit }')
	rx=$(cat "/sys/class/net/$dev/statistics/rx_bytes")
	number "$rx" $((8 << 20)) || { echo "only $rx bytes received on $dev"; return 1; }
	echo "iperf3-connections=$c rx-bytes=$rx"`
	return map[string]workloadCheck{
		"cpu": {
			// A square wave, started a few minutes after render so that the
			// guest is up before it (TCG boots take minutes), and ended
			// after four periods; the checker reads both from the schedule.
			params: []string{"--profile", "cpu=square:high=80,low=10,period=2m", "--start-at", "+6m", "--duration", "8m"},
			ready:  map[string]string{"worker": cpuShapeReady},
			final:  map[string]string{"worker": cpuShapeFinal},
		},
		"memory": {
			// A smaller share is mapped sooner under TCG: the first bogo op
			// comes only after one pass over all of it.
			params: []string{"--params", "memory.percent=25"},
			ready: map[string]string{"worker": `	. /etc/virtwork/memory.env
	total=$(awk '/^MemTotal:/ { printf "%.0f\n", $2 * 1024 }' /proc/meminfo)
	want=$((total * VIRTWORK_MEMORY_PERCENT / 100 * 9 / 10))
	n=$(systemctl show -P MemoryCurrent "$UNIT")
	number "$n" "$want" || { echo "memory-bytes=$n, want $want"; return 1; }
	echo "memory-bytes=$n (${VIRTWORK_MEMORY_PERCENT}% of $total)"`},
			final: map[string]string{"worker": "	sleep 30\n" + stressFinal("vm")},
		},
		"database": {
			params: []string{"--params", "database.scale=1"},
			ready: map[string]string{"worker": `	disk=$(datadisk) || { echo "$disk"; return 1; }
	n=$(runuser -u postgres -- psql -d virtwork -Atqc 'SELECT count(*) FROM pgbench_history' 2>&1)
	number "$n" 1 || { echo "pgbench: $n"; return 1; }
	echo "$disk pgbench-transactions-committed=$n"`},
		},
		"disk": {
			params: []string{"--params", "disk.runtime=10,disk.file-size=256M"},
			ready: map[string]string{"worker": `	disk=$(datadisk) || { echo "$disk"; return 1; }
	w=$(logs | grep -m1 -E '^ +WRITE: bw=.*io=[1-9]') || { echo "fio reported no writes yet"; return 1; }
	echo "$disk fio $(echo $w)"`},
		},
		"network": {
			params: []string{"--params", "network.duration=10"},
			ready: map[string]string{
				"server": iperf3Server,
				// The [SUM] line when there are parallel streams.
				"client": `	r=$(logs | grep -E 'Bytes .* receiver *$' | grep -m1 '^\[SUM\]') ||
		r=$(logs | grep -m1 -E 'Bytes .* receiver *$') || { echo "no iperf3 test finished yet"; return 1; }
	echo "iperf3 $(echo $r)"`,
			},
		},
		"tps": {
			params: []string{"--params", "tps.file-size=4M,tps.duration=5"},
			ready: map[string]string{
				"server": `	g=$(logs | grep -m1 '"GET /payload.bin HTTP/1.1" 200') || { echo "no download served yet"; return 1; }
	echo "served: $g"`,
				"client": `	d=$(logs | grep -m1 'HTTP download .* MB/s') || { echo "no download yet"; return 1; }
	echo "$d"`,
			},
		},
		"chaos-network": {
			ready: map[string]string{"worker": `	q=$(tc qdisc show | grep -m1 '^qdisc netem ') || { echo "no netem qdisc"; return 1; }
	echo "$q"`},
		},
		"chaos-process": {
			params: []string{"--params", "chaos-process.interval=10"},
			ready: map[string]string{"worker": `	s=$(logs | grep -m1 'sending SIG') || { echo "no signal sent yet"; return 1; }
	echo "$s"`},
		},
		"chaos-disk": {
			ready: map[string]string{"worker": `	disk=$(datadisk) || { echo "$disk"; return 1; }
	f=$(logs | grep -m1 -E 'filled .* to [0-9]+%') || { echo "not filled yet"; return 1; }
	echo "$disk $f"`},
		},
	}
}
