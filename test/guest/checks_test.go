package guest

import (
	"fmt"
	"strconv"
)

// workloadCheck is how the test tells that one workload's units are
// producing load, per role: bash function bodies that print the evidence
// and succeed once it is there. ready runs (every few seconds) while the
// unit is active; final, when set, runs once after the probe and may stop
// the unit to read what only an exit reports. The checker provides $UNIT,
// $SERIAL, logs (the unit's journal, message text only), datadisk and
// number; see checker.
type workloadCheck struct {
	// params are render flags that make the first signal come sooner (a
	// shorter pgbench scale, chaos interval, iperf3 test) or set the level
	// the check measures; the rendered user-data is still the product's,
	// only with those values.
	params []string
	ready  map[string]string // by role
	final  map[string]string // by role; optional
	// minutes, when set, is how long the check takes at least (a profile
	// that plays for minutes); the longest goes first.
	minutes int
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

// memoryHold measures, over a window of the given seconds, that the memory
// unit holds its share of guest memory — the anonymous memory of its cgroup
// within ±10% of percent of MemTotal — while the guest's CPUs, from
// /proc/stat, are busy less than 5% of the window. The window starts only
// once the memory is there, so it sees the hold, not the one pass that
// writes it; the checker itself only sleeps during it. Percentages are
// printed to a tenth (x.y%).
func memoryHold(window int) string {
	w := strconv.Itoa(window)
	return `	. /etc/virtwork/memory.env
	total=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
	want=$((total * VIRTWORK_MEMORY_PERCENT / 100))
	mstat=/sys/fs/cgroup$(systemctl show -P ControlGroup "$UNIT")/memory.stat
	held() { awk '$1 == "anon" { printf "%.0f\n", $2 / 1024 }' "$mstat"; }
	busy() { awk '$1 == "cpu" { printf "%.0f %.0f\n", $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
	tenths() { printf '%d.%d' $(($1 / 10)) $(($1 % 10)); }
	h=$(held)
	number "$h" $((want * 9 / 10)) || { echo "holding ${h:-no} KiB of the $want KiB wanted"; return 1; }
	read -r b0 t0 <<<"$(busy)"
	u0=$(systemctl show -P CPUUsageNSec "$UNIT")
	sleep ` + w + `
	read -r b1 t1 <<<"$(busy)"
	u1=$(systemctl show -P CPUUsageNSec "$UNIT")
	h=$(held)
	guest=$(((b1 - b0) * 1000 / (t1 - t0)))
	unit=$(((u1 - u0) / ` + w + `000000))
	swap=$(awk '$1 == "SwapTotal:" { print $2 }' /proc/meminfo)
	ev="memory held $((h / 1024)) MiB = $(tenths $((h * 1000 / total)))% of MemTotal $((total / 1024)) MiB (wanted ${VIRTWORK_MEMORY_PERCENT}% = $((want / 1024)) MiB, mode $VIRTWORK_MEMORY_MODE, swap $swap KiB); over ` + w + ` s CPU busy $(tenths "$guest")% (guest, /proc/stat), $(tenths "$unit")% of one CPU (the unit)"
	[ "$h" -ge $((want * 9 / 10)) ] && [ "$h" -le $((want * 11 / 10)) ] || { echo "$ev: not within 10% of the wanted"; return 1; }
	[ "$guest" -lt 50 ] || { echo "$ev: CPU busy not below 5%"; return 1; }
	echo "$ev"`
}

// The levels the guest test sets, chosen well below what a TCG guest
// sustains so that a shortfall means the level is not honoured, not that the
// emulator is slow.
const (
	levelDiskIOPS    = 100 // reads plus writes per second on the data disk
	levelDatabaseTPS = 20  // pgbench transactions committed per second
	levelNetworkMbps = 20  // Mbit/s from the client, received by the server
	// HTTP requests a second from the tps client, answered by the server:
	// each costs python3 on both sides some milliseconds under TCG.
	levelTPSRate = 20
)

// measure returns bash that reads the running total count (a shell
// function) window seconds apart and succeeds when its rate per second,
// times scale, is within 25% of $want. It leaves "what=rate (level $want,
// n over s)" in $measured, and prints it on failure.
func measure(count, what string, scale float64, window int) string {
	return fmt.Sprintf(`	a=$(%[1]s); t0=$(date +%%s%%N)
	sleep %[4]d
	b=$(%[1]s); t1=$(date +%%s%%N)
	number "$a" 0 && number "$b" 0 || { echo "%[2]s: no count ($a, $b)"; return 1; }
	rate=$(awk -v n=$((b - a)) -v ns=$((t1 - t0)) 'BEGIN { printf "%%.1f\n", n * %[3]g * 1e9 / ns }')
	measured="%[2]s=$rate (level $want ±25%%, $((b - a)) over $(((t1 - t0) / 1000000)) ms)"
	awk -v r="$rate" -v w="$want" 'BEGIN { exit !(r >= w * 0.75 && r <= w * 1.25) }' || { echo "$measured"; return 1; }`,
		count, what, scale, window)
}

// checks returns the check of every built-in workload.
func checks() map[string]workloadCheck {
	// The server's env has no level: the client's is the test's constant.
	iperf3Server := `	c=$(ss -Htn state established '( sport = :5201 )' | wc -l)
	number "$c" 1 || { echo "no iperf3 connection"; return 1; }
	dev=$(ip -o -4 addr show | awk '$4 ~ /^10\.99\./ { print $2; exit }')
	rx() { cat "/sys/class/net/$dev/statistics/rx_bytes"; }
	n=$(rx)
	number "$n" $((8 << 20)) || { echo "only $n bytes received on $dev"; return 1; }
	want=` + strconv.Itoa(levelNetworkMbps) + `
` + measure("rx", "received-Mbit/s", 8.0/1e6, 20) + `
	echo "iperf3-connections=$c rx-bytes=$n $measured"`
	return map[string]workloadCheck{
		"cpu": {
			// A square wave, started a few minutes after render so that the
			// guest is up before it (TCG boots take minutes), and ended
			// after four periods; the checker reads both from the schedule.
			params:  []string{"--profile", "cpu=square:high=80,low=10,period=2m", "--start-at", "+6m", "--duration", "8m"},
			ready:   map[string]string{"worker": cpuShapeReady},
			final:   map[string]string{"worker": cpuShapeFinal},
			minutes: 14,
		},
		"memory": {
			// The proof: half of the guest's memory, held in the
			// default mode (hold) with the CPUs idle.
			params: []string{"--params", "memory.percent=50"},
			ready:  map[string]string{"worker": memoryHold(30)},
			// The hold lasts past the probe: same unit process, no restart,
			// still half the memory, still no CPU.
			final: map[string]string{"worker": `	systemctl is-active --quiet "$UNIT" || { echo "$UNIT stopped after it was ready"; return 1; }
	r=$(systemctl show -P NRestarts "$UNIT")
	[ "$r" = 0 ] || { echo "$UNIT restarted $r times"; return 1; }
	hold() {
` + memoryHold(20) + `
	}
	m=$(hold) || { echo "after the probe: $m"; return 1; }
	echo "after the probe, no restart: $m"`},
		},
		"database": {
			params: []string{"--params", "database.scale=1,database.duration=60,database.rate=" + strconv.Itoa(levelDatabaseTPS)},
			// Committed transactions are counted by PostgreSQL: xact_commit
			// only grows, while pgbench empties pgbench_history at the start
			// of every pass.
			ready: map[string]string{"worker": `	disk=$(datadisk) || { echo "$disk"; return 1; }
	n=$(runuser -u postgres -- psql -d virtwork -Atqc 'SELECT count(*) FROM pgbench_history' 2>&1)
	number "$n" 1 || { echo "pgbench: $n"; return 1; }
	committed() { runuser -u postgres -- psql -d virtwork -Atqc "SELECT xact_commit FROM pg_stat_database WHERE datname = 'virtwork'" 2>&1; }
	. /etc/virtwork/database.env
	want=$VIRTWORK_DB_RATE
` + measure("committed", "committed-transactions/s", 1, 30) + `
	echo "$disk pgbench-history-rows=$n $measured"`},
		},
		"disk": {
			params: []string{"--params", "disk.runtime=30,disk.file-size=64M,disk.iops=" + strconv.Itoa(levelDiskIOPS)},
			ready: map[string]string{"worker": `	disk=$(datadisk) || { echo "$disk"; return 1; }
	# The first pass lays its file out at full speed; measure after it.
	w=$(logs | grep -m1 -E '^ +WRITE: bw=.*io=[1-9]') || { echo "fio finished no pass yet"; return 1; }
	dev=$(readlink -e "/dev/disk/by-id/virtio-$SERIAL")
	# Fields 4 and 8: reads and writes completed.
	ios() { awk -v d="${dev#/dev/}" '$3 == d { print $4 + $8 }' /proc/diskstats; }
	. /etc/virtwork/disk.env
	want=$VIRTWORK_DISK_IOPS
` + measure("ios", "data-disk-reads+writes/s", 1, 20) + `
	echo "$disk $measured; fio $(echo $w)"`},
		},
		"network": {
			params: []string{"--params", "network.duration=60,network.client-mbps=" + strconv.Itoa(levelNetworkMbps)},
			ready: map[string]string{
				"server": iperf3Server,
				// The [SUM] line when there are parallel streams.
				"client": `	r=$(logs | grep -E 'Bytes .* receiver *$' | grep -m1 '^\[SUM\]') ||
		r=$(logs | grep -m1 -E 'Bytes .* receiver *$') || { echo "no iperf3 test finished yet"; return 1; }
	echo "iperf3 $(echo $r)"`,
			},
		},
		"tps": {
			params: []string{"--params", "tps.file-size=4M,tps.duration=5,tps.rate=" + strconv.Itoa(levelTPSRate)},
			ready: map[string]string{
				// The server's env has no level: the client's is the test's
				// constant. Its access log has a line per request answered.
				"server": `	served() { logs | grep -c '"GET /response.bin HTTP/1.0" 200'; }
	n=$(served)
	number "$n" 1 || { echo "no request served yet"; return 1; }
	want=` + strconv.Itoa(levelTPSRate) + `
` + measure("served", "served-requests/s", 1, 30) + `
	echo "served=$n $measured"`,
				"client": `	r=$(logs | grep -m1 'virtwork: HTTP requests to .* requests/s') || { echo "no requests logged yet"; return 1; }
	echo "$r"`,
			},
		},
		"chaos-network": {
			// Two one-minute windows, from a start after the guest is up;
			// the checker reads both from the schedule.
			params:  []string{"--profile", "chaos-network=square:high=1,low=0,period=2m", "--start-at", "+6m", "--duration", "4m"},
			ready:   map[string]string{"worker": chaosNetworkReady},
			final:   map[string]string{"worker": chaosNetworkFinal},
			minutes: 11,
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
