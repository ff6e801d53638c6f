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
// and writes with a context of its own, so an interrupted command still
// records its final status. It writes in batches, so that a run of 10,000
// VMs costs the history tens of transactions, not thousands: objects every
// flushEvery, events at most once per eventsEvery (with the objects
// buffered then), everything on Finish. A nil *Recorder (--no-audit)
// records nothing.
type Recorder struct {
	store  *Store
	id     int64
	warn   io.Writer
	mu     sync.Mutex
	objs   []Object
	events []EventRecord
	// disruptions are buffered as objects are, and written with them.
	disruptions []Disruption
	warned      bool
	// lastWrite is when the last batch was written; stopTimer, when set,
	// cancels the write scheduled for the buffered events.
	lastWrite time.Time
	stopTimer func() bool
	finished  bool
	// now and schedule are time.Now and time.AfterFunc but in tests.
	now      func() time.Time
	schedule func(time.Duration, func()) (stop func() bool)
}

// flushEvery is how many objects Object buffers before writing them;
// eventsEvery how long an event may wait for others to share its write.
const (
	flushEvery  = 200
	eventsEvery = time.Second
)

func afterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

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
	return &Recorder{store: store, id: id, warn: warn, now: time.Now, schedule: afterFunc, lastWrite: time.Now()}, nil
}

// failed warns about the first error; the command goes on.
func (r *Recorder) failed(err error) {
	if err != nil && !r.warned {
		r.warned = true
		fmt.Fprintf(r.warn, "warning: audit history: %v (the run goes on)\n", err)
	}
}

// Event records a progress message, stamped now: at once when nothing was
// written for eventsEvery, otherwise with what comes before that is over.
func (r *Recorder) Event(format string, args ...any) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, EventRecord{At: r.now(), Message: fmt.Sprintf(format, args...)})
	wait := eventsEvery - r.now().Sub(r.lastWrite)
	switch {
	case wait <= 0:
		r.flushLocked()
	case r.stopTimer == nil:
		r.stopTimer = r.schedule(wait, func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.stopTimer = nil
			if !r.finished {
				r.flushLocked()
			}
		})
	}
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

// Disruption buffers one day-2 event, written with the objects: every
// flushEvery of them, or when an event or Finish writes.
func (r *Recorder) Disruption(d Disruption) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.disruptions = append(r.disruptions, d)
	if len(r.disruptions) >= flushEvery {
		r.flushLocked()
	}
}

// flushLocked writes the buffered objects and events in one transaction.
func (r *Recorder) flushLocked() {
	if r.stopTimer != nil {
		r.stopTimer()
		r.stopTimer = nil
	}
	if len(r.objs) == 0 && len(r.events) == 0 && len(r.disruptions) == 0 {
		return
	}
	r.failed(r.store.Record(context.Background(), r.id, r.objs, r.events))
	r.failed(r.store.RecordDisruptions(context.Background(), r.id, r.disruptions))
	r.objs, r.events, r.disruptions = r.objs[:0], r.events[:0], r.disruptions[:0]
	r.lastWrite = r.now()
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
	r.finished = true
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	r.failed(r.store.Finish(context.Background(), r.id, status, counts, msg))
	r.failed(r.store.Close())
}
