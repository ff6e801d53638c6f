package cmd

import (
	"fmt"
	"io"
	"sync"
	"time"

	"k8s.io/cli-runtime/pkg/printers"
)

// progress writes status to stderr: on a terminal one line rewritten in
// place; elsewhere (CI logs, pipes) a plain line every few seconds and on
// finish, so logs stay readable.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	every    time.Duration
	last     time.Time
	lastLine string
	shown    bool
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, tty: printers.IsTerminal(w), every: 5 * time.Second}
}

// update shows line now on a terminal, or when a plain line is due.
func (p *progress) update(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastLine = line
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.shown = true
		return
	}
	if time.Since(p.last) >= p.every {
		fmt.Fprintln(p.w, line)
		p.last = time.Now()
	}
}

// finish prints the final line and ends the live line.
func (p *progress) finish(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s\n", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
	p.shown = false
}
