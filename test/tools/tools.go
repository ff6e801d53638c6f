// Package tools finds the command-line tools that tests run on what
// virtwork renders (cloud-init, systemd-analyze, shellcheck, fio,
// stress-ng, iperf3, pgbench, kubectl). Without a tool a test is skipped,
// unless VIRTWORK_REQUIRE_TOOLS=1 (set by make test and CI), which turns
// the skip into a failure so CI can never pass by skipping.
package tools

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// RequireEnv is the variable that makes missing tools a failure.
const RequireEnv = "VIRTWORK_REQUIRE_TOOLS"

// Require returns the path of the named tool, or skips (or fails) t.
func Require(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" is not installed")
	}
	return p
}

// Missing skips t, or fails it when tools are required, saying what is
// missing.
func Missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s (%s=1 requires it)", what, RequireEnv)
	}
	t.Skip(what)
}

var plugin struct {
	sync.Once
	path string
	err  error
}

// Plugin builds the kubectl-virtwork binary once per test binary and
// returns its path, for tests that run it as a user would (signals, logs,
// environment).
func Plugin(t testing.TB) string {
	t.Helper()
	plugin.Do(func() {
		dir, err := os.MkdirTemp("", "virtwork-plugin-")
		if err != nil {
			plugin.err = err
			return
		}
		plugin.path = filepath.Join(dir, "kubectl-virtwork")
		out, err := exec.Command("go", "build", "-o", plugin.path, "github.com/virtwork/kubectl-virtwork/cmd/kubectl-virtwork").CombinedOutput()
		if err != nil {
			plugin.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if plugin.err != nil {
		t.Fatal(plugin.err)
	}
	return plugin.path
}

// Buffer is a bytes.Buffer safe to write from a child process's output
// goroutines while a test reads it.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
