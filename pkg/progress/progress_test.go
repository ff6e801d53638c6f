package progress

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/creack/pty"
)

// On a terminal progress rewrites one line in place.
func TestProgressOnATerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer ptmx.Close()
	p := New(tty)
	if !p.tty {
		t.Fatal("a pty is not seen as a terminal")
	}
	p.Update("1/3")
	p.Update("2/3")
	p.Finish("3/3 done")
	tty.Close()
	got, _ := io.ReadAll(ptmx)
	want := "\r\x1b[K1/3\r\x1b[K2/3\r\x1b[K3/3 done"
	if !strings.HasPrefix(strings.ReplaceAll(string(got), "\r\n", "\n"), want) {
		t.Errorf("terminal output %q, want it to start with %q", got, want)
	}
}

// Elsewhere it writes plain lines, at most one per interval, and the last.
func TestProgressInALog(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf)
	if p.tty {
		t.Fatal("a buffer is seen as a terminal")
	}
	for _, l := range []string{"1/3", "2/3", "3/3"} {
		p.Update(l)
	}
	p.Finish("done")
	if got := buf.String(); got != "1/3\ndone\n" {
		t.Errorf("log output %q", got)
	}
}
