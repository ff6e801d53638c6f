package progress

import (
	"fmt"
	"io"
	"sync"
	"time"

	"k8s.io/cli-runtime/pkg/printers"
)

// Line writes status to stderr: on a terminal one line rewritten in
// place; elsewhere (CI logs, pipes) a plain line every few seconds and on
// finish, so logs stay readable. It is safe for concurrent use.
type Line struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	every    time.Duration
	last     time.Time
	lastLine string
	shown    bool
}

// New returns a Line writing to w.
func New(w io.Writer) *Line {
	return &Line{w: w, tty: printers.IsTerminal(w), every: 5 * time.Second}
}

// Update shows line now on a terminal, or when a plain line is due.
func (p *Line) Update(line string) {
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

// Finish prints the final line and ends the live line.
func (p *Line) Finish(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s\n", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
	p.shown = false
}
