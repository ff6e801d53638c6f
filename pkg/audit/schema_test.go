package audit

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMigrateFromV1KeepsRows(t *testing.T) {
	ctx := t.Context()
	// A DB as the version 1 code left it, filled with that code's rows.
	path := dbAtVersion(t, 1,
		`INSERT INTO invocations (run_id, command, status, started_at, finished_at, namespace, workloads, options, counts)
		 VALUES ('run-old', 'apply', 'succeeded', '2026-03-14T14:09:26.535897932Z', '2026-03-14T15:09:26.535897932Z',
		         'virtwork', '["cpu"]', '{"vm-count":"1"}', '{"vms/ready":1}')`,
		`INSERT INTO objects (invocation_id, kind, namespace, name, outcome, at)
		 VALUES (1, 'VirtualMachine', 'virtwork', 'cpu-1', 'created', '2026-03-14T14:09:27.000000001Z')`,
	)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := schemaVersion(ctx, s.db); err != nil || v != latestVersion() {
		t.Fatalf("schema version after Open = %d, %v; want %d", v, err, latestVersion())
	}
	// What version 2 added works on the old invocation.
	if err := s.RecordVMs(ctx, 1, []VM{{Name: "cpu-1", RunningAt: t0}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Runs(ctx, "run-old")
	if err != nil {
		t.Fatal(err)
	}
	want := []Detail{{
		Invocation: Invocation{
			ID: 1, RunID: "run-old", Command: CommandApply, Status: Succeeded,
			StartedAt: t0, FinishedAt: t0.Add(time.Hour), Namespace: "virtwork",
			Workloads: []string{"cpu"}, Options: map[string]string{"vm-count": "1"}, Counts: map[string]int{"vms/ready": 1},
		},
		Objects: []Object{{Kind: "VirtualMachine", Namespace: "virtwork", Name: "cpu-1", Outcome: "created",
			At: time.Date(2026, 3, 14, 14, 9, 27, 1, time.UTC)}},
		VMs: []VM{{Name: "cpu-1", RunningAt: t0}},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Runs after migration (-want +got):\n%s", diff)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "audit.db")
	for i := range 3 {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		if _, err := s.Start(ctx, Invocation{RunID: "r", Command: CommandApply}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	invs, err := s.History(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(invs) != 3 {
		t.Errorf("History has %d invocations after three Open/Start/Close, want 3", len(invs))
	}
}

// TestMigrateFromV2KeepsVMs: a VM recorded by the version 2 code (apply
// time and observed running time) reads back after the migration with no
// scheduled or ready time and marked as timed by observation; new rows
// keep all four times.
func TestMigrateFromV2KeepsVMs(t *testing.T) {
	ctx := t.Context()
	path := dbAtVersion(t, 2,
		`INSERT INTO invocations (run_id, command, status, started_at) VALUES ('run-old', 'apply', 'succeeded', '2026-03-14T14:09:26.535897932Z')`,
		`INSERT INTO vms (invocation_id, name, created_at, running_at) VALUES (1, 'cpu-1', '2026-03-14T14:09:26.535897932Z', '2026-03-14T14:09:36.535897932Z')`,
		`INSERT INTO vms (invocation_id, name, created_at) VALUES (1, 'cpu-2', '2026-03-14T14:09:26.535897932Z')`,
	)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fresh := VM{Name: "cpu-3", CreatedAt: t0, DisksReadyAt: t0.Add(time.Second / 2), ScheduledAt: t0.Add(time.Second),
		RunningAt: t0.Add(2 * time.Second), ReadyAt: t0.Add(3 * time.Second)}
	if err := s.RecordVMs(ctx, 1, []VM{fresh}); err != nil {
		t.Fatal(err)
	}
	d, err := s.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []VM{
		{Name: "cpu-1", CreatedAt: t0, RunningAt: t0.Add(10 * time.Second), Observed: ObservedBeforeV3},
		{Name: "cpu-2", CreatedAt: t0},
		fresh,
	}
	if diff := cmp.Diff(want, d.VMs); diff != "" {
		t.Errorf("VMs after migration (-want +got):\n%s", diff)
	}
}

// TestMigrateFromV3KeepsRunNamespaces: an apply recorded by the version 3
// code reads back after the migration as a run in its one namespace; a
// new apply of a run spread over namespaces keeps all of them.
func TestMigrateFromV3KeepsRunNamespaces(t *testing.T) {
	ctx := t.Context()
	path := dbAtVersion(t, 3,
		`INSERT INTO invocations (run_id, command, status, started_at, namespace) VALUES ('run-old', 'apply', 'succeeded', '2026-03-14T14:09:26.535897932Z', 'load')`,
	)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.RunNamespaces(ctx, "run-old"); err != nil || !cmp.Equal(got, []string{"load"}) {
		t.Errorf("RunNamespaces of the v3 run = %v, %v; want [load]", got, err)
	}
	spread := []string{"tenant-0", "tenant-1", "tenant-2"}
	if _, err := s.Start(ctx, Invocation{RunID: "run-new", Command: CommandApply, Namespace: "tenant-0", Namespaces: spread}); err != nil {
		t.Fatal(err)
	}
	// A cleanup of the run records no namespaces list; the apply's stands.
	if _, err := s.Start(ctx, Invocation{RunID: "run-new", Command: CommandCleanup, Namespace: "tenant-0"}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.RunNamespaces(ctx, "run-new"); err != nil || !cmp.Equal(got, spread) {
		t.Errorf("RunNamespaces of the spread run = %v, %v; want %v", got, err, spread)
	}
	runs, err := s.Runs(ctx, "run-new")
	if err != nil || len(runs) != 2 || !cmp.Equal(runs[1].Invocation.Namespaces, spread) {
		t.Errorf("Runs of the spread run: %v, %v", runs, err)
	}
	if _, err := s.RunNamespaces(ctx, "run-none"); !errors.Is(err, ErrNotFound) {
		t.Errorf("RunNamespaces of an unknown run: %v, want ErrNotFound", err)
	}
}

// dbAtVersion writes a DB as the code of that schema version left it,
// built from the migration list's steps up to it and filled by stmts, and
// returns its path.
func dbAtVersion(t *testing.T, version int, stmts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.db")
	db := rawDB(t, path)
	if err := migrate(t.Context(), db, version); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, stmts...)
	if v, err := schemaVersion(t.Context(), db); err != nil || v != version {
		t.Fatalf("schema version before Open = %d, %v; want %d", v, err, version)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
