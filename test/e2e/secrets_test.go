package e2e

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// TestPasswordNeverLeaks sets a known SSH password and looks for it, plain
// or base64-encoded, in everything the plugin leaves behind: rendered
// output, stdout and stderr of apply at every log level (-v 0 to 10, where
// client-go prints request and response bodies), of wait, status, history
// and cleanup, error messages, and the audit database's files. Only its
// SHA-512 crypt hash may appear, inside the user-data.
func TestPasswordNeverLeaks(t *testing.T) {
	e := newEnv(t)
	e.simulate(t, simulatorOptions())
	bin := tools.Plugin(t)
	kubeconfig := cluster.Shared(t).KubeconfigPath()
	dir := t.TempDir()
	auditDB := filepath.Join(dir, "audit.db")
	password := "Sw0rdfish-" + uuid.NewString()[:8]
	forms := []string{password, base64.StdEncoding.EncodeToString([]byte(password)), base64.RawStdEncoding.EncodeToString([]byte(password))}
	runID := uuid.NewString()

	check := func(where, text string) {
		t.Helper()
		for _, f := range forms {
			if strings.Contains(text, f) {
				t.Errorf("the password (as %q) appears in %s", f, where)
			}
		}
	}
	run := func(wantCode int, args ...string) string {
		t.Helper()
		c := exec.CommandContext(t.Context(), bin, append(args, "--kubeconfig", kubeconfig)...)
		c.Env = append(os.Environ(), "VIRTWORK_SSH_PASSWORD="+password, "VIRTWORK_AUDIT_DB="+auditDB)
		var out, errOut bytes.Buffer
		c.Stdout, c.Stderr = &out, &errOut
		err := c.Run()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != wantCode {
			t.Errorf("%v: exit %d, want %d\nstderr:\n%s", args, code, wantCode, errOut.String())
		}
		what := strings.Join(args[:min(len(args), 3)], " ")
		check(what+": stdout", out.String())
		check(what+": stderr", errOut.String())
		return out.String() + errOut.String()
	}
	run1 := []string{"-n", e.ns, "--workloads", "cpu", "--ssh-user", "ops", "--run-id", runID}

	rendered := run(0, append([]string{"render"}, run1...)...)
	var hash bool
	for _, line := range strings.Split(rendered, "\n") {
		if enc, ok := strings.CutPrefix(strings.TrimSpace(line), "userdata: "); ok {
			ud, err := base64.StdEncoding.DecodeString(strings.Trim(enc, `"`))
			if err != nil {
				t.Fatal(err)
			}
			check("the decoded user-data", string(ud))
			hash = hash || strings.Contains(string(ud), "passwd: $6$")
		}
	}
	if !hash {
		t.Error("the user-data carries no SHA-512 crypt hash: the password was not rendered at all")
	}

	verbose := 0
	for v := 0; v <= 10; v++ {
		out := run(0, append([]string{"apply", "-v", strconv.Itoa(v), "--timeout", "2m"}, run1...)...)
		if v >= 8 && strings.Contains(out, "Response Body") {
			verbose++
		}
	}
	if verbose == 0 {
		t.Error("-v 8 and above logged no bodies: the scan saw less than it claims")
	}
	run(0, "wait", "-v", "9", "-n", e.ns, "--run-id", runID, "--timeout", "1m")
	run(0, "status", "-v", "9", "-n", e.ns, "--run-id", runID)
	run(0, "history")
	run(0, "history", runID, "-o", "json")
	// Errors: bad input, and a server that is not there, at full verbosity.
	run(2, append([]string{"apply", "-v", "9", "--vm-count", "0"}, run1...)...)
	run(1, append([]string{"apply", "-v", "9", "--timeout", "10s", "--server", "http://127.0.0.1:1", "--skip-preflight"}, run1...)...)
	run(0, "cleanup", "-v", "9", "-n", e.ns, "--run-id", runID, "--yes")

	files, _ := filepath.Glob(auditDB + "*")
	if len(files) == 0 {
		t.Fatal("no audit database was written")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		check(filepath.Base(f), string(data))
	}
}
