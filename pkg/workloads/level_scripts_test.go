package workloads

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/virtwork/kubectl-virtwork/pkg/profile"
)

// fakeLoop is a generator (fio, pgbench, iperf3) that prints its
// arguments and returns; every second call then ends the script that runs
// it, so a script's own loop runs the generator twice per segment (the
// loop keeps going under timeout) and the next segment comes. (SIGPIPE,
// which bash does not report as "Terminated", stands in for timeout's.)
const fakeLoop = `#!/bin/bash
echo "CALL NAME $*"
n=$(cat "$CLOCK.calls" 2>/dev/null || echo 0)
echo $((n + 1)) >"$CLOCK.calls"
if ((n % 2 == 1)); then kill -PIPE "$PPID"; fi
`

// followSquare runs a workload's script (src under templates/) as the
// unit would, with env and the fake clock, fake generators named in gens
// and other fakes (name: body), under the schedule of a square wave
// high=200,low=50,period=2m from 10:00 to 10:05, starting 100 s early; it
// returns the lines the script printed. Without a schedule (schedule false)
// it runs the script once as today.
func followSquare(t *testing.T, src string, schedule bool, env []string, gens []string, fakes map[string]string) []string {
	t.Helper()
	all := map[string]string{}
	for _, g := range gens {
		all[g] = strings.Replace(fakeLoop, "NAME", g, 1)
	}
	for name, body := range fakes {
		all[name] = body
	}
	run := clockRun{src: src, levels: profile.Levels{Min: 0, Max: 100000}, fakes: all, env: env,
		mayFail: true} // the fake generator ends the script the second time (status 141)
	if schedule {
		run.profile = "square:high=200,low=50,period=2m"
	}
	return run.lines(t)
}

// squareLines is what a script that hands its generator to
// virtwork_follow prints under followSquare's schedule: idle until the
// start, each level for exactly its minute with run(level)'s lines, and
// finished (sleep infinity) after the end.
func squareLines(name string, run func(level int) []string) []string {
	lines := []string{"virtwork: " + name + " idle until 10:00:00Z", "CALL sleep 100 at 1767347900"}
	at := 1767348000
	for i, level := range []int{200, 50, 200, 50, 200} {
		lines = append(lines, fmt.Sprintf("virtwork: %s level %d until 10:0%d:00Z", name, level, i+1),
			fmt.Sprintf("CALL timeout 60 at %d with level %d", at, level))
		lines = append(lines, run(level)...)
		at += 60
	}
	return append(lines, "virtwork: "+name+" finished", "CALL sleep infinity at 1767348300")
}

// twice is a generator's call as the script's loop makes it, twice.
func twice(call string) []string { return []string{call, call} }

// TestDiskScriptFollowsSchedule: fio's random profile alone at each
// segment's IOPS (split 70/30 into bytes per second), the sequential
// profile skipped; without a schedule, both profiles unlimited as before.
func TestDiskScriptFollowsSchedule(t *testing.T) {
	env := []string{"VIRTWORK_DATA_MOUNT=/var/lib/virtwork/disk", "VIRTWORK_DISK_BLOCK_SIZE=4096", "VIRTWORK_DISK_READ_PERCENT=70",
		"VIRTWORK_DISK_IOPS=0", "VIRTWORK_DISK_MIBPS=0"}
	fakes := map[string]string{"mountpoint": "#!/bin/bash\nexit 0\n"}
	got := followSquare(t, "disk/virtwork-fio.sh", true, env, []string{"fio"}, fakes)
	want := squareLines("disk", func(level int) []string {
		b := level * 4096
		return append([]string{fmt.Sprintf("virtwork: disk level %d bytes/s (%d IOPS of 4096 bytes), 70%% reads; random profile only", b, level)},
			twice(fmt.Sprintf("CALL fio --section=randrw --rate=%d,%d /etc/virtwork/fio/virtwork-disk.fio", b*70/100, b-b*70/100))...)
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the script's lines and calls (-want +got):\n%s", diff)
	}
	got = followSquare(t, "disk/virtwork-fio.sh", false, env, []string{"fio"}, fakes)
	if diff := cmp.Diff(twice("CALL fio /etc/virtwork/fio/virtwork-disk.fio"), got); diff != "" {
		t.Errorf("without a schedule (-want +got):\n%s", diff)
	}
}

// TestDatabaseScriptFollowsSchedule: the database is set up once, before
// the schedule; then pgbench runs at each segment's rate; without a
// schedule, unthrottled as before.
func TestDatabaseScriptFollowsSchedule(t *testing.T) {
	env := []string{"VIRTWORK_DB_SCALE=10", "VIRTWORK_DB_CLIENTS=10", "VIRTWORK_DB_JOBS=2", "VIRTWORK_DB_DURATION=300", "VIRTWORK_DB_RATE=0"}
	fakes := map[string]string{
		"pg_isready": "#!/bin/bash\nexit 0\n",
		"psql":       "#!/bin/bash\nif [[ $* == *pg_database* ]]; then echo 1; else echo t; fi\n",
		"createdb":   "#!/bin/bash\necho \"CALL createdb $*\"\n",
	}
	pgbench := "CALL pgbench --client 10 --jobs 2 --time 300 --progress 60"
	got := followSquare(t, "database/virtwork-pgbench.sh", true, env, []string{"pgbench"}, fakes)
	want := squareLines("database", func(level int) []string {
		return twice(fmt.Sprintf("%s --rate %d virtwork", pgbench, level))
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the script's lines and calls (-want +got):\n%s", diff)
	}
	got = followSquare(t, "database/virtwork-pgbench.sh", false, env, []string{"pgbench"}, fakes)
	if diff := cmp.Diff(twice(pgbench+" virtwork"), got); diff != "" {
		t.Errorf("without a schedule (-want +got):\n%s", diff)
	}
}

// TestNetworkClientScriptFollowsSchedule: the client sends each segment's
// Mbit/s, split across its streams; without a schedule, unlimited as
// before.
func TestNetworkClientScriptFollowsSchedule(t *testing.T) {
	env := []string{"VIRTWORK_IPERF3_SERVER=srv", "VIRTWORK_IPERF3_PORT=5201", "VIRTWORK_NETWORK_DURATION=60", "VIRTWORK_NETWORK_PARALLEL=4",
		"VIRTWORK_NETWORK_PROTOCOL=tcp", "VIRTWORK_NETWORK_BITRATE_MBPS=0", "VIRTWORK_NETWORK_CLIENT_MBPS=0"}
	iperf := "CALL iperf3 --client srv --port 5201 --time 60 --parallel 4 --bitrate "
	got := followSquare(t, "network/virtwork-iperf3-client.sh", true, env, []string{"iperf3"}, nil)
	want := squareLines("network", func(level int) []string {
		stream := level * 1000000 / 4
		return append([]string{fmt.Sprintf("virtwork: network level %d bit/s from this client, %d per stream", stream*4, stream)},
			twice(fmt.Sprintf("%s%d", iperf, stream))...)
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the script's lines and calls (-want +got):\n%s", diff)
	}
	got = followSquare(t, "network/virtwork-iperf3-client.sh", false, env, []string{"iperf3"}, nil)
	if diff := cmp.Diff(twice(iperf+"0"), got); diff != "" {
		t.Errorf("without a schedule (-want +got):\n%s", diff)
	}
}

// TestTPSClientScriptFollowsSchedule: once its server answers, the client
// makes each segment's requests a second (virtwork-tps-pace); without a
// schedule and at rate 0, it alternates netperf TCP_RR runs and downloads
// as before.
func TestTPSClientScriptFollowsSchedule(t *testing.T) {
	env := []string{"VIRTWORK_TPS_SERVER=srv", "VIRTWORK_TPS_NETPERF_PORT=12865", "VIRTWORK_TPS_NETPERF_DATA_PORT=12866",
		"VIRTWORK_TPS_HTTP_PORT=8080", "VIRTWORK_TPS_DURATION=30", "VIRTWORK_TPS_REQUEST_SIZE=1", "VIRTWORK_TPS_RESPONSE_SIZE=1",
		"VIRTWORK_TPS_FILE_SIZE=4194304", "VIRTWORK_TPS_DOWNLOADS=1", "VIRTWORK_TPS_RATE=0", "VIRTWORK_TPS_PACE=/pace.py"}
	// curl answers the wait for the server at once; a download gets the
	// whole file in 0.5 s, and the second one ends the script. netperf
	// reports a throughput only when asked what the script always asked.
	fakes := map[string]string{
		"python3": "#!/bin/bash\necho \"CALL python3 $*\"\n",
		"curl": `#!/bin/bash
[[ $* != *--head* ]] || exit 0
n=$(cat "$CLOCK.downloads" 2>/dev/null || echo 0)
echo $((n + 1)) >"$CLOCK.downloads"
if ((n == 1)); then kill -PIPE "$PPID"; fi
echo "4194304 0.5 8388608"
`,
		"netperf": `#!/bin/bash
[[ $* == "-H srv -p 12865 -t TCP_RR -l 30 -P 0 -- -P ,12866 -r 1,1 -k THROUGHPUT" ]] || { echo "unexpected arguments: $*"; exit 1; }
echo THROUGHPUT=1234.50
`,
	}
	got := followSquare(t, "tps/virtwork-tps-client.sh", true, env, nil, fakes)
	want := squareLines("tps", func(level int) []string {
		return []string{
			fmt.Sprintf("virtwork: tps level %d requests/s from this client: GET http://srv:8080/response.bin (1 bytes), a connection each", level),
			fmt.Sprintf("CALL python3 /pace.py http://srv:8080/response.bin %d 30 1", level),
		}
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the script's lines and calls (-want +got):\n%s", diff)
	}
	rr := "virtwork: netperf TCP_RR srv 1/1 bytes: 1234.50 transactions/s over 30s"
	got = followSquare(t, "tps/virtwork-tps-client.sh", false, env, nil, fakes)
	if diff := cmp.Diff([]string{rr, "virtwork: HTTP download http://srv:8080/payload.bin 4194304 bytes in 0.500s: 8.39 MB/s", rr}, got); diff != "" {
		t.Errorf("without a schedule (-want +got):\n%s", diff)
	}
}
