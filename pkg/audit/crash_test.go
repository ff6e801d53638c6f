package audit

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// crashExit is the child's exit code when it dies on purpose, so a child
// that failed for another reason is not mistaken for a crash.
const crashExit = 7

// crashDBEnv tells the test binary, re-run as a child, to act as a
// kubectl-virtwork that dies mid-apply writing to this DB.
const crashDBEnv = "VIRTWORK_AUDIT_CRASH_DB"

// TestCrashHelper is the child of TestCrashMidInvocation; on its own it
// does nothing.
func TestCrashHelper(t *testing.T) {
	path := os.Getenv(crashDBEnv)
	if path == "" {
		t.Skip("only runs as the child of TestCrashMidInvocation")
	}
	ctx := t.Context()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Start(ctx, Invocation{RunID: "crashed", Command: CommandApply, StartedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordObjects(ctx, id, []Object{{Kind: "VirtualMachine", Name: "cpu-1", Outcome: "created", At: t0}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Event(ctx, id, t0, "waiting for 1 VM"); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("id=" + strconv.FormatInt(id, 10) + "\n")
	// Die without Finish or Close: no checkpoint, the WAL stays behind,
	// exactly as after kill -9 or a lost terminal.
	os.Exit(crashExit)
}

func TestCrashMidInvocation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDBEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != crashExit {
		t.Fatalf("child: %v, want exit status %d\n%s%s", err, crashExit, out, stderr.Bytes())
	}
	_, idText, ok := strings.Cut(strings.TrimSpace(string(out)), "id=")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil {
		t.Fatalf("child printed %q, want id=N", out)
	}
	if _, err := os.Stat(path + "-wal"); errors.Is(err, fs.ErrNotExist) {
		t.Fatal("no -wal file after the child died: it did not die mid-write as intended")
	}

	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Runs(t.Context(), "crashed")
	if err != nil {
		t.Fatal(err)
	}
	want := []Detail{{
		Invocation: Invocation{ID: id, RunID: "crashed", Command: CommandApply, Status: InProgress, StartedAt: t0},
		Objects:    []Object{{Kind: "VirtualMachine", Name: "cpu-1", Outcome: "created", At: t0}},
		Events:     []EventRecord{{At: t0, Message: "waiting for 1 VM"}},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Runs after a crash (-want +got):\n%s", diff)
	}
	// The next run can still close the books on it.
	if err := s.Finish(t.Context(), id, Interrupted, nil, "process died"); err != nil {
		t.Fatal(err)
	}
}
