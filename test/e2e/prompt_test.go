package e2e

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/google/uuid"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/cmd"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// TestCleanupAsksOnATerminal: on a terminal cleanup asks before deleting;
// "n" keeps everything, "y" deletes. The terminal is a real pty.
func TestCleanupAsksOnATerminal(t *testing.T) {
	e := newEnv(t)
	p := newPlugin(t)
	runID := "c0ffee00-1111-4111-8111-111111111111"
	mustRun(t, p.run(t.Context(), "apply", "-n", e.ns, "--workloads", "cpu", "--vm-count", "2", "--run-id", runID, "--no-wait"), "apply")

	for _, answer := range []string{"n", "y"} {
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Skipf("no pty: %v", err)
		}
		var out bytes.Buffer
		streams := genericiooptions.IOStreams{In: tty, Out: &out, ErrOut: tty}
		deps := cmd.Deps{Registry: workloads.Builtin(), ReadFile: os.ReadFile, NewRunID: uuid.NewString,
			LookupEnv: func(k string) (string, bool) { return p.auditDB, k == "VIRTWORK_AUDIT_DB" }}
		done := make(chan int, 1)
		go func() {
			done <- cmd.Execute(context.Background(), streams, deps, []string{"cleanup", "-n", e.ns, "--run-id", runID, "--kubeconfig", p.kubeconfig})
		}()
		// Answer once the question is on the terminal.
		prompt := make(chan error, 1)
		go func() {
			r := bufio.NewReader(ptmx)
			var seen strings.Builder
			for !strings.Contains(seen.String(), "Delete these 3 objects? [y/N]") {
				b, err := r.ReadByte()
				if err != nil {
					prompt <- err
					return
				}
				seen.WriteByte(b)
			}
			_, err := io.WriteString(ptmx, answer+"\n")
			prompt <- err
			_, _ = io.Copy(io.Discard, r) // keep draining progress output
		}()
		select {
		case err := <-prompt:
			if err != nil {
				t.Fatalf("reading the prompt: %v", err)
			}
		case <-time.After(time.Minute):
			t.Fatal("cleanup never asked")
		}
		code := <-done
		tty.Close()
		ptmx.Close()
		if code != 0 {
			t.Fatalf("answer %q: exit %d\n%s", answer, code, out.String())
		}
		left := len(e.labelled(t, vmGVR, "virtwork/run-id="+runID))
		if answer == "n" && left != 2 {
			t.Errorf("answering n deleted VMs (%d left)", left)
		}
		if answer == "y" && left != 0 {
			t.Errorf("answering y left %d VMs", left)
		}
	}
}
