package workloads

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// TestTPSScriptsOnLoopback runs the tps server and client scripts on
// loopback: the client waits for its server, the server generates a file of
// exactly file-size bytes (512K parsed by the param, as the guest gets it)
// and the client downloads it whole and logs MB/s. netperf has no Debian
// package, so the TCP_RR half runs only where netperf is installed;
// elsewhere the client must log the failed run and go on downloading.
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
		"VIRTWORK_TPS_FILE_SIZE=" + size, "VIRTWORK_TPS_DATA_DIR=" + data,
		"VIRTWORK_TPS_HTTP_PORT=" + httpPort, "VIRTWORK_TPS_NETPERF_PORT=" + netperfPort,
		"VIRTWORK_TPS_NETPERF_DATA_PORT=" + dataPort,
	}
	clientEnv := append([]string{
		"VIRTWORK_TPS_SERVER=127.0.0.1", "VIRTWORK_TPS_DURATION=1",
		"VIRTWORK_TPS_REQUEST_SIZE=1", "VIRTWORK_TPS_RESPONSE_SIZE=1", "VIRTWORK_TPS_DOWNLOADS=2",
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
}
