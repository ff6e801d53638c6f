// Package tools finds the command-line tools that tests run on what
// virtwork renders (cloud-init, systemd-analyze, shellcheck, fio,
// stress-ng, iperf3, pgbench, kubectl) and on what it writes (chromium
// opens verify's HTML report). Without a tool a test is skipped,
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

	"github.com/google/go-cmp/cmp"
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

// RequireValidators finds the validators that check a workload's user-data:
// cloud-init, systemd-analyze and shellcheck.
func RequireValidators(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"cloud-init", "systemd-analyze", "shellcheck"} {
		Require(t, tool)
	}
}

// CopyDir copies the directory tree src into a new temporary directory,
// which a test may then break, and returns its path.
func CopyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// Golden compares got with the golden file at path, or, with update
// (each package's -update flag), writes got there. pkg names the package for
// the message that says how to rewrite it.
func Golden(t testing.TB, path string, got []byte, update bool, pkg string) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test %s -update writes it)", err, pkg)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test %s -update rewrites it):\n%s", path, pkg, diff)
	}
}
