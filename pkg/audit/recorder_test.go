package audit

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
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
