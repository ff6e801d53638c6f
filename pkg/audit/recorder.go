package audit

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// Recorder writes one invocation to the history for a command that must
// not fail because its history did. It is safe for concurrent use (apply's
// workers record at once), keeps going with one warning when the DB fails,
// buffers objects and writes them every 200, and writes with a context of
// its own, so an interrupted command still records its final status. A nil
// *Recorder (--no-audit) records nothing.
type Recorder struct {
	store  *Store
	id     int64
	warn   io.Writer
	mu     sync.Mutex
	objs   []Object
	warned bool
}

// flushEvery is how many objects Object buffers before writing them.
const flushEvery = 200

// StartRecorder opens the history at path and starts inv in it; it
// returns nil, and records nothing, when path is "". Warnings about later
// failures go to warn.
func StartRecorder(ctx context.Context, path string, inv Invocation, warn io.Writer) (*Recorder, error) {
	if path == "" {
		return nil, nil
	}
	store, err := Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("%w (use --audit-db to choose another file, or --no-audit)", err)
	}
	id, err := store.Start(ctx, inv)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("recording the run in %s: %w", path, err)
	}
	return &Recorder{store: store, id: id, warn: warn}, nil
}

// failed warns about the first error; the command goes on.
func (r *Recorder) failed(err error) {
	if err != nil && !r.warned {
		r.warned = true
		fmt.Fprintf(r.warn, "warning: audit history: %v (the run goes on)\n", err)
	}
}

// Event records a progress message.
func (r *Recorder) Event(format string, args ...any) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed(r.store.Event(context.Background(), r.id, time.Now(), fmt.Sprintf(format, args...)))
}

// Object buffers what happened to one object.
func (r *Recorder) Object(o Object) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.objs = append(r.objs, o)
	if len(r.objs) >= flushEvery {
		r.flushLocked()
	}
}

func (r *Recorder) flushLocked() {
	if len(r.objs) == 0 {
		return
	}
	r.failed(r.store.RecordObjects(context.Background(), r.id, r.objs))
	r.objs = r.objs[:0]
}

// VMs records how far each VM got.
func (r *Recorder) VMs(vms []VM) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed(r.store.RecordVMs(context.Background(), r.id, vms))
}

// LinkCleanup records that this invocation, a cleanup, removes runIDs.
func (r *Recorder) LinkCleanup(runIDs []string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed(r.store.LinkCleanup(context.Background(), r.id, runIDs))
}

// Finish writes what is buffered and the final status, and closes the
// history.
func (r *Recorder) Finish(status Status, counts map[string]int, err error) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushLocked()
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	r.failed(r.store.Finish(context.Background(), r.id, status, counts, msg))
	r.failed(r.store.Close())
}
