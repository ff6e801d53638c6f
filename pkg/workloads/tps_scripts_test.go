package workloads

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// TestTPSScriptsOnLoopback runs the tps server and client scripts on
// loopback: the client waits for its server, the server generates a file of
// exactly file-size bytes (512K parsed by the param, as the guest gets it)
// and the client downloads it whole and logs MB/s. netperf is not in
// Debian's main archive, so the TCP_RR half runs only where it is installed;
// elsewhere the client must log the failed run and go on downloading. At
// rate 0 the client makes no paced requests.
func TestTPSScriptsOnLoopback(t *testing.T) {
	tools.Require(t, "curl")
	tools.Require(t, "python3")
	tps, _ := Builtin().Get("tps")
	spec := tps.Spec()
	fileSize, _ := spec.Param("file-size")
	size, err := fileSize.Parse("512K")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	server := writeScript(t, dir, "tps/virtwork-tps-http-server.sh")
	client := writeScript(t, dir, "tps/virtwork-tps-client.sh")
	httpPort, netperfPort, dataPort := strconv.Itoa(freePort(t)), strconv.Itoa(freePort(t)), strconv.Itoa(freePort(t))
	env := []string{
		"VIRTWORK_TPS_FILE_SIZE=" + size, "VIRTWORK_TPS_RESPONSE_SIZE=1", "VIRTWORK_TPS_DATA_DIR=" + data,
		"VIRTWORK_TPS_HTTP_PORT=" + httpPort, "VIRTWORK_TPS_NETPERF_PORT=" + netperfPort,
		"VIRTWORK_TPS_NETPERF_DATA_PORT=" + dataPort,
	}
	clientEnv := append([]string{
		"VIRTWORK_TPS_SERVER=127.0.0.1", "VIRTWORK_TPS_DURATION=1",
		"VIRTWORK_TPS_REQUEST_SIZE=1", "VIRTWORK_TPS_DOWNLOADS=2", "VIRTWORK_TPS_RATE=0",
	}, env...)

	var cout, sout, nout tools.Buffer
	start(t, clientEnv, &cout, client)
	waitFor(t, &cout, "not answering yet; retrying", 30*time.Second)

	_, errPerf := exec.LookPath("netperf")
	_, errServ := exec.LookPath("netserver")
	withNetperf := errPerf == nil && errServ == nil
	if withNetperf {
		start(t, env, &nout, writeScript(t, dir, "tps/virtwork-tps-netserver.sh"))
	} else {
		t.Log("netperf/netserver not installed (Debian has no package): checking the HTTP half only")
	}
	start(t, env, &sout, server)
	waitFor(t, &sout, "generated "+filepath.Join(data, "payload.bin")+" (524288 bytes)", 30*time.Second)
	if fi, err := os.Stat(filepath.Join(data, "payload.bin")); err != nil || fi.Size() != 524288 {
		t.Fatalf("served file: %v, %v", fi, err)
	}

	url := regexp.QuoteMeta("http://127.0.0.1:" + httpPort + "/payload.bin")
	download := regexp.MustCompile(`virtwork: HTTP download ` + url + ` 524288 bytes in [0-9.]+s: [0-9.]+ MB/s`)
	deadline := time.Now().Add(time.Minute)
	for len(download.FindAllString(cout.String(), -1)) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than 3 whole downloads logged within a minute:\n%s", cout.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if withNetperf {
		waitFor(t, &cout, "transactions/s", time.Minute)
	} else {
		// A missing or failing netperf is reported, and does not stop the
		// downloads (already proven above: more than one round ran).
		waitFor(t, &cout, "virtwork: netperf TCP_RR against 127.0.0.1 failed", time.Second)
	}
	if strings.Contains(cout.String(), "HTTP requests to") || strings.Contains(sout.String(), "GET /response.bin") {
		t.Errorf("paced requests at rate 0:\nclient:\n%s\nserver:\n%s", cout.String(), sout.String())
	}
}

// TestTPSRateOnLoopback: at rate 200 the client makes 200 requests a
// second, counted by the server in its access log (one line per request
// answered) over a 10 s window, within ±10%; the client's own lines say
// the same, with nothing failed or missed. A pacer whose answers are not
// whole says so.
func TestTPSRateOnLoopback(t *testing.T) {
	tools.Require(t, "curl")
	tools.Require(t, "python3")
	dir := t.TempDir()
	httpPort := strconv.Itoa(freePort(t))
	env := []string{"VIRTWORK_TPS_FILE_SIZE=1024", "VIRTWORK_TPS_RESPONSE_SIZE=100", "VIRTWORK_TPS_DATA_DIR=" + filepath.Join(dir, "data"),
		"VIRTWORK_TPS_HTTP_PORT=" + httpPort}
	pace := writeScript(t, dir, "tps/virtwork-tps-pace.py")
	var sout, cout, bad tools.Buffer
	start(t, env, &sout, writeScript(t, dir, "tps/virtwork-tps-http-server.sh"))
	waitFor(t, &sout, "Serving HTTP on", 30*time.Second)
	start(t, append([]string{
		"VIRTWORK_TPS_SERVER=127.0.0.1", "VIRTWORK_TPS_NETPERF_PORT=1", "VIRTWORK_TPS_NETPERF_DATA_PORT=2",
		"VIRTWORK_TPS_DURATION=2", "VIRTWORK_TPS_REQUEST_SIZE=1", "VIRTWORK_TPS_DOWNLOADS=1", "VIRTWORK_TPS_RATE=200",
		"VIRTWORK_TPS_PACE=" + pace,
	}, env...), &cout, writeScript(t, dir, "tps/virtwork-tps-client.sh"))
	url := "http://127.0.0.1:" + httpPort + "/response.bin"
	waitFor(t, &cout, "virtwork: tps level 200 requests/s from this client: GET "+url+" (100 bytes), a connection each", 30*time.Second)
	// The window starts once the client has made a whole stretch.
	line := "virtwork: HTTP requests to " + url + " at 200/s: "
	waitFor(t, &cout, line, 30*time.Second)
	served := func() (int, time.Time) {
		return strings.Count(sout.String(), `"GET /response.bin HTTP/1.0" 200`), time.Now()
	}
	n0, t0 := served()
	time.Sleep(10 * time.Second) // the measuring window, not a wait for a condition
	n1, t1 := served()
	got := float64(n1-n0) / t1.Sub(t0).Seconds()
	t.Logf("level 200 requests/s, the server answered %.1f requests/s (%d in %s)", got, n1-n0, t1.Sub(t0).Round(time.Millisecond))
	if got < 180 || got > 220 {
		t.Errorf("the server answered %.1f requests/s, want 200 ± 10%%; client:\n%s", got, cout.String())
	}
	stretch := regexp.MustCompile(regexp.QuoteMeta(line) + `(\d+) in ([0-9.]+)s: ([0-9.]+) requests/s(.*)`)
	for _, m := range stretch.FindAllStringSubmatch(cout.String(), -1) {
		if r, _ := strconv.ParseFloat(m[3], 64); r < 180 || r > 220 || m[4] != "" {
			t.Errorf("the client logged %q, want 200 ± 10%% requests/s, none failed or missed", m[0])
		}
	}

	// Answers of 100 bytes where the pacer expects 99.
	start(t, nil, &bad, "python3", pace, url, "20", "1", "99")
	waitFor(t, &bad, "virtwork: HTTP requests to "+url+" at 20/s: 0 in ", 10*time.Second)
	waitFor(t, &bad, " failed (100 bytes, want 99)", time.Second)
}
