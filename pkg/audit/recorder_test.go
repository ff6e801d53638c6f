package audit

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRecorderNil: with no DB (--no-audit) a recorder records nothing and
// every call is safe.
func TestRecorderNil(t *testing.T) {
	r, err := StartRecorder(t.Context(), "", Invocation{Command: CommandApply}, nil)
	if r != nil || err != nil {
		t.Fatalf("StartRecorder(\"\") = %v, %v", r, err)
	}
	r.Event("x")
	r.Object(Object{})
	r.VMs(nil)
	r.LinkCleanup(nil)
	r.Finish(Succeeded, nil, nil)
}

// TestRecorderWritesEverything: objects recorded from many goroutines,
// more than one buffer's worth, all reach the DB with the final status,
// even when the command's context is already cancelled.
func TestRecorderWritesEverything(t *testing.T) {
	db := filepath.Join(t.TempDir(), "audit.db")
	var warn bytes.Buffer
	ctx, cancel := context.WithCancel(t.Context())
	r, err := StartRecorder(ctx, db, Invocation{RunID: "r1", Command: CommandApply}, &warn)
	if err != nil {
		t.Fatal(err)
	}
	cancel() // Ctrl-C: what follows is still written
	var wg sync.WaitGroup
	for w := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 90 {
				r.Object(Object{Kind: "Secret", Namespace: "ns", Name: fmt.Sprintf("s-%d-%d", w, i), Outcome: "created"})
			}
		}()
	}
	wg.Wait()
	r.Event("applied")
	r.VMs([]VM{{Name: "vm-a"}})
	r.Finish(Interrupted, map[string]int{"Secret/created": 450}, context.Canceled)
	if warn.Len() != 0 {
		t.Errorf("warnings: %s", warn.String())
	}
	s, err := Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := s.Get(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Objects) != 450 || len(d.VMs) != 1 || len(d.Events) != 1 || d.Invocation.Status != Interrupted || d.Invocation.Counts["Secret/created"] != 450 {
		t.Errorf("recorded %d objects, %d VMs, %d events, status %s, counts %v", len(d.Objects), len(d.VMs), len(d.Events), d.Invocation.Status, d.Invocation.Counts)
	}
}

// TestRecorderWarnsOnce: when the DB fails the command goes on, with one
// warning however many writes fail.
func TestRecorderWarnsOnce(t *testing.T) {
	var warn bytes.Buffer
	r, err := StartRecorder(t.Context(), filepath.Join(t.TempDir(), "audit.db"), Invocation{Command: CommandCleanup}, &warn)
	if err != nil {
		t.Fatal(err)
	}
	r.store.Close() // every later write fails
	r.Event("one")
	r.Event("two")
	r.Finish(Failed, nil, nil)
	if n := strings.Count(warn.String(), "warning: audit history:"); n != 1 || !strings.Contains(warn.String(), "(the run goes on)") {
		t.Errorf("%d warnings: %q", n, warn.String())
	}
}

// TestStartRecorderNamesTheWayOut: a history that cannot be opened is
// an error that says how to choose another or go without.
func TestStartRecorderNamesTheWayOut(t *testing.T) {
	dir := t.TempDir()
	_, err := StartRecorder(t.Context(), dir, Invocation{Command: CommandApply}, nil) // a directory, not a DB
	if err == nil || !strings.Contains(err.Error(), "use --audit-db to choose another file, or --no-audit") {
		t.Errorf("error %v", err)
	}
}

// TestRecorderWritesInBatches: a recorder writes at most one transaction
// per flushEvery objects and per eventsEvery of events, counted by the
// store's hook on a clock the test moves, and loses nothing.
func TestRecorderWritesInBatches(t *testing.T) {
	db := filepath.Join(t.TempDir(), "audit.db")
	r, err := StartRecorder(t.Context(), db, Invocation{RunID: "r1", Command: CommandApply}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	commits := 0
	r.store.committed = func() { commits++ }
	t0 := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	clock := t0
	r.now, r.lastWrite = func() time.Time { return clock }, t0
	var due []func()
	var stopped []bool
	r.schedule = func(d time.Duration, f func()) func() bool {
		i := len(due)
		due, stopped = append(due, f), append(stopped, false)
		return func() bool { stopped[i] = true; return true }
	}
	objects := func(n int) {
		for i := range n {
			r.Object(Object{Kind: "VirtualMachine", Namespace: "ns", Name: fmt.Sprintf("vm-%d", i), Outcome: "created"})
		}
	}
	events := func(n int) {
		for i := range n {
			r.Event("event %d", i)
		}
	}
	steps := []struct {
		name string
		do   func()
		want int
	}{
		{"30 events within a second of the start", func() { events(30) }, 0},
		{"450 objects: two batches of 200, the events with the first", func() { objects(450) }, 2},
		{"an event 1.5 s later, with the 50 objects left", func() { clock = clock.Add(1500 * time.Millisecond); events(1) }, 3},
		{"100 events in the same instant", func() { events(100) }, 3},
		{"their second is over", func() {
			if len(due) == 0 || stopped[len(due)-1] {
				t.Fatal("nothing scheduled for the buffered events")
			}
			clock = clock.Add(eventsEvery)
			due[len(due)-1]()
		}, 4},
	}
	for _, s := range steps {
		s.do()
		if commits != s.want {
			t.Fatalf("%s: %d transactions in all, want %d", s.name, commits, s.want)
		}
	}
	if !stopped[0] {
		t.Error("the write scheduled for the first events was not cancelled when the objects' batch took them")
	}
	r.Finish(Succeeded, nil, nil)
	s, err := Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := s.Get(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Objects) != 450 || len(d.Events) != 131 || !d.Events[130].At.Equal(t0.Add(1500*time.Millisecond)) {
		t.Errorf("recorded %d objects and %d events (last at %v)", len(d.Objects), len(d.Events), d.Events[len(d.Events)-1].At)
	}
}
