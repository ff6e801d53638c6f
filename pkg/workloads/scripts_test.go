package workloads

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/templates"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// These tests run the guest scripts for real, on this machine, with the
// tools the guest runs (iperf3 on loopback, a throw-away PostgreSQL): a
// VMI that is Running says nothing about whether its load runs.

// writeScript writes a template to dir as an executable and returns its path.
func writeScript(t *testing.T, dir, src string) string {
	t.Helper()
	data, err := templates.FS.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, strings.TrimSuffix(filepath.Base(src), ".sh"))
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// start runs a script in its own process group; cleanup kills the group
// by its id and waits for it.
func start(t *testing.T, env []string, out *tools.Buffer, name string, args ...string) {
	t.Helper()
	c := exec.Command(name, args...)
	c.Env = append(os.Environ(), env...)
	c.Stdout, c.Stderr = out, out
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = c.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		<-done
	})
}

// waitFor polls out until it contains want, or fails at the deadline.
func waitFor(t *testing.T, out *tools.Buffer, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %s; output:\n%s", want, within, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestNetworkScriptsOnLoopback: the client waits while its server is not
// up, then runs tests against it, over TCP and UDP.
func TestNetworkScriptsOnLoopback(t *testing.T) {
	tools.Require(t, "iperf3")
	for _, proto := range []string{"tcp", "udp"} {
		t.Run(proto, func(t *testing.T) {
			dir := t.TempDir()
			server := writeScript(t, dir, "network/virtwork-iperf3-server.sh")
			client := writeScript(t, dir, "network/virtwork-iperf3-client.sh")
			port := strconv.Itoa(freePort(t))
			var cout, sout tools.Buffer
			start(t, []string{
				"VIRTWORK_IPERF3_SERVER=127.0.0.1", "VIRTWORK_IPERF3_PORT=" + port,
				"VIRTWORK_NETWORK_DURATION=1", "VIRTWORK_NETWORK_PARALLEL=2",
				"VIRTWORK_NETWORK_PROTOCOL=" + proto, "VIRTWORK_NETWORK_BITRATE_MBPS=100",
				"VIRTWORK_NETWORK_CLIENT_MBPS=0",
			}, &cout, client)
			waitFor(t, &cout, "not answering; retrying", 30*time.Second)
			start(t, []string{"VIRTWORK_IPERF3_PORT=" + port}, &sout, server)
			waitFor(t, &cout, "receiver", 60*time.Second)
			if proto == "udp" && !strings.Contains(cout.String(), "Jitter") {
				t.Errorf("udp run printed no UDP report:\n%s", cout.String())
			}
		})
	}
}

// sumReceiver matches iperf3's [SUM] receiver line; group 1 is its rate
// and group 2 the rate's unit prefix.
var sumReceiver = regexp.MustCompile(`(?m)^\[SUM\] +\S+ +sec +\S+ +\S+ +(\S+) +([KMG]?)bits/sec.* receiver`)

// TestNetworkLevelOnLoopback: the client sends at its level, client-mbps
// divided across its streams (bitrate-mbps, per stream, is higher here, so
// the lower figure wins), and the server receives 40 Mbit/s ± 25%.
func TestNetworkLevelOnLoopback(t *testing.T) {
	tools.Require(t, "iperf3")
	for _, proto := range []string{"tcp", "udp"} {
		t.Run(proto, func(t *testing.T) {
			dir := t.TempDir()
			server := writeScript(t, dir, "network/virtwork-iperf3-server.sh")
			client := writeScript(t, dir, "network/virtwork-iperf3-client.sh")
			port := strconv.Itoa(freePort(t))
			var cout, sout tools.Buffer
			start(t, []string{"VIRTWORK_IPERF3_PORT=" + port}, &sout, server)
			start(t, []string{
				"VIRTWORK_IPERF3_SERVER=127.0.0.1", "VIRTWORK_IPERF3_PORT=" + port,
				"VIRTWORK_NETWORK_DURATION=5", "VIRTWORK_NETWORK_PARALLEL=2",
				"VIRTWORK_NETWORK_PROTOCOL=" + proto, "VIRTWORK_NETWORK_BITRATE_MBPS=100",
				"VIRTWORK_NETWORK_CLIENT_MBPS=40",
			}, &cout, client)
			waitFor(t, &cout, "network level 40000000 bit/s from this client, 20000000 per stream", 10*time.Second)
			deadline := time.Now().Add(20 * time.Second)
			var m []string
			for m = sumReceiver.FindStringSubmatch(sout.String()); m == nil; m = sumReceiver.FindStringSubmatch(sout.String()) {
				if time.Now().After(deadline) {
					t.Fatalf("the server reported no [SUM] receiver line:\n%s\nclient:\n%s", sout.String(), cout.String())
				}
				time.Sleep(100 * time.Millisecond)
			}
			got, err := strconv.ParseFloat(m[1], 64)
			if err != nil {
				t.Fatal(err)
			}
			got *= map[string]float64{"": 1e-6, "K": 1e-3, "M": 1, "G": 1e3}[m[2]]
			t.Logf("level 40 Mbit/s, the server received %.1f Mbit/s: %s", got, m[0])
			if got < 30 || got > 50 {
				t.Errorf("the server received %.1f Mbit/s, want 40 ± 25%%:\n%s\nclient:\n%s", got, sout.String(), cout.String())
			}
		})
	}
}

// TestPgbenchScriptAgainstPostgres runs the database load script as the
// postgres user against a throw-away cluster: it waits for the server,
// creates and initialises the database once, and completes pgbench runs.
func TestPgbenchScriptAgainstPostgres(t *testing.T) {
	pg := startPgbenchScript(t, "VIRTWORK_DB_DURATION=2", "VIRTWORK_DB_RATE=0")
	out := pg.out
	waitFor(t, out, "number of transactions actually processed", time.Minute)
	// A second pass proves the loop goes on and the init is not repeated.
	first := strings.Index(out.String(), "number of transactions actually processed")
	deadline := time.Now().Add(time.Minute)
	for strings.Count(out.String(), "number of transactions actually processed") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("pgbench did not run again:\n%s", out.String()[first:])
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := strings.Count(out.String(), "initialising pgbench tables"); n != 1 {
		t.Errorf("tables initialised %d times", n)
	}
}

// TestPgbenchLevel: at rate 50 the database commits 50 ± 25% transactions
// a second, counted by PostgreSQL (pg_stat_database's xact_commit, which
// only grows; pgbench empties pgbench_history at the start of every pass)
// over a 10 s window across passes of 5 s.
func TestPgbenchLevel(t *testing.T) {
	pg := startPgbenchScript(t, "VIRTWORK_DB_DURATION=5", "VIRTWORK_DB_RATE=50")
	committed := func() (int, time.Time) {
		t.Helper()
		s, err := pg.query("SELECT xact_commit FROM pg_stat_database WHERE datname = 'virtwork'")
		at := time.Now()
		n, perr := strconv.Atoi(s)
		if err != nil || perr != nil {
			t.Fatalf("reading xact_commit: %v %v: %s\nscript:\n%s", err, perr, s, pg.out.String())
		}
		return n, at
	}
	// The window starts once the first pass has started.
	waitFor(t, pg.out, "starting vacuum...end.", time.Minute)
	n0, t0 := committed()
	time.Sleep(10 * time.Second) // the measuring window, not a wait for a condition
	n1, t1 := committed()
	got := float64(n1-n0) / t1.Sub(t0).Seconds()
	t.Logf("level 50 tx/s, committed %.1f tx/s (%d in %s)", got, n1-n0, t1.Sub(t0).Round(time.Millisecond))
	if got < 37.5 || got > 62.5 {
		t.Errorf("committed %.1f transactions/s, want 50 ± 25%%; script:\n%s", got, pg.out.String())
	}
	if !strings.Contains(pg.out.String(), "number of transactions actually processed") {
		t.Errorf("no pgbench pass finished in the window:\n%s", pg.out.String())
	}
}

// pgbenchRun is the load script running against a throw-away cluster.
type pgbenchRun struct {
	out   *tools.Buffer
	query func(sql string) (string, error)
}

// startPgbenchScript starts a throw-away cluster and the load script, as
// the postgres user, with env added to the EnvironmentFile's values, and
// waits until the script has initialised the tables.
func startPgbenchScript(t *testing.T, env ...string) pgbenchRun {
	t.Helper()
	tools.Require(t, "pgbench")
	if os.Geteuid() != 0 {
		t.Skip("needs root to run as the postgres user, as the unit does")
	}
	if _, err := user.Lookup("postgres"); err != nil {
		t.Skip("no postgres user")
	}
	bindir := pgBinDir(t)
	dir, err := os.MkdirTemp("", "virtwork-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("chown", "postgres:postgres", dir).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	asPostgres := func(args ...string) *exec.Cmd {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...)
	}
	data, sock := filepath.Join(dir, "data"), dir
	if out, err := asPostgres(filepath.Join(bindir, "initdb"), "-D", data, "-A", "trust").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	port := strconv.Itoa(freePort(t))
	load := writeScript(t, dir, "database/virtwork-pgbench.sh")
	out := &tools.Buffer{}
	start(t, append([]string{
		"PGHOST=" + sock, "PGPORT=" + port,
		"VIRTWORK_DB_SCALE=1", "VIRTWORK_DB_CLIENTS=2", "VIRTWORK_DB_JOBS=1",
	}, env...), out, "runuser", "-u", "postgres", "--preserve-environment", "--", load)
	waitFor(t, out, "waiting for PostgreSQL", 30*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pgctl := filepath.Join(bindir, "pg_ctl")
	startPG := exec.CommandContext(ctx, "runuser", "-u", "postgres", "--", pgctl, "-D", data, "-w", "-l", filepath.Join(dir, "log"),
		"-o", fmt.Sprintf("-k %s -p %s -c listen_addresses=''", sock, port), "start")
	if b, err := startPG.CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s", err, b)
	}
	t.Cleanup(func() {
		_ = asPostgres(pgctl, "-D", data, "-m", "immediate", "stop").Run()
	})
	waitFor(t, out, "initialising pgbench tables at scale 1", time.Minute)
	query := func(sql string) (string, error) {
		b, err := asPostgres(filepath.Join(bindir, "psql"), "-h", sock, "-p", port, "-d", "virtwork", "-Atqc", sql).CombinedOutput()
		return strings.TrimSpace(string(b)), err
	}
	return pgbenchRun{out: out, query: query}
}

// pgBinDir finds the server binaries of the installed PostgreSQL.
func pgBinDir(t *testing.T) string {
	t.Helper()
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		tools.Missing(t, "the PostgreSQL server binaries are not installed")
	}
	return filepath.Dir(matches[len(matches)-1])
}
