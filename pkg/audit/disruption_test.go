package audit

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRecorderDisruptions: disruptions recorded from many workers, more
// than one batch's worth, are each in the history exactly once, read back
// by run (for verify) and with their invocation (for history).
func TestRecorderDisruptions(t *testing.T) {
	db := filepath.Join(t.TempDir(), "audit.db")
	var warn bytes.Buffer
	r, err := StartRecorder(t.Context(), db, Invocation{RunID: "r1", Command: CommandDisrupt}, &warn)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				r.Disruption(Disruption{RunID: "r1", Namespace: "ns", VM: fmt.Sprintf("vm-%d-%d", w, i), Kind: "migrate",
					Start: start.Add(time.Duration(w*100+i) * time.Second), End: start.Add(time.Duration(w*100+i+1) * time.Second),
					SourceNode: "node-1", TargetNode: "node-2", Outcome: "succeeded"})
			}
		}()
	}
	wg.Wait()
	failed := Disruption{RunID: "r1", Namespace: "ns", VM: "vm-x", Kind: "restart", Start: start.Add(time.Hour),
		Outcome: "failed", Reason: "VM not ready again: Running, workload not active", Downtime: 90 * time.Second}
	r.Disruption(failed)
	r.Finish(Failed, nil, nil)
	if warn.Len() != 0 {
		t.Errorf("warnings: %s", warn.String())
	}
	s, err := Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ds, err := s.Disruptions(t.Context(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, d := range ds {
		seen[d.VM]++
	}
	if len(ds) != 301 || len(seen) != 301 {
		t.Fatalf("read %d disruptions of %d VMs, want 301 each once", len(ds), len(seen))
	}
	if diff := cmp.Diff(failed, ds[300]); diff != "" {
		t.Errorf("the last disruption (-recorded +read):\n%s", diff)
	}
	details, err := s.Runs(t.Context(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(details) != 1 || len(details[0].Disruptions) != 301 {
		t.Fatalf("history of r1: %d invocations, want 1 with 301 disruptions", len(details))
	}
	if other, err := s.Disruptions(t.Context(), "r2"); err != nil || len(other) != 0 {
		t.Errorf("disruptions of another run = %v, %v; want none", other, err)
	}
}

// TestRecordDisruptionRequiresFields: a disruption without a VM or outcome
// is refused, and nothing of its batch is written.
func TestRecordDisruptionRequiresFields(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id, err := s.Start(t.Context(), Invocation{RunID: "r1", Command: CommandDisrupt})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	batch := []Disruption{{RunID: "r1", VM: "a", Kind: "migrate", Start: now, Outcome: "succeeded"}, {RunID: "r1", Kind: "migrate", Start: now}}
	if err := s.RecordDisruptions(t.Context(), id, batch); err == nil {
		t.Fatal("recorded a disruption without a VM")
	}
	if ds, err := s.Disruptions(t.Context(), "r1"); err != nil || len(ds) != 0 {
		t.Errorf("after a refused batch: %d disruptions, %v; want none", len(ds), err)
	}
}
