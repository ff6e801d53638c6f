package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Start records a new invocation with status InProgress and returns its ID.
// inv.ID, inv.Status, inv.FinishedAt and inv.Error are ignored: an
// invocation that has only started has none of them.
func (s *Store) Start(ctx context.Context, inv Invocation) (int64, error) {
	if inv.Command == "" {
		return 0, errors.New("starting invocation: empty command")
	}
	started := inv.StartedAt
	if started.IsZero() {
		started = s.now()
	}
	workloads, err := toJSON(inv.Workloads, "[]")
	if err != nil {
		return 0, fmt.Errorf("starting %s invocation of run %q: encoding workloads: %w", inv.Command, inv.RunID, err)
	}
	options, err := toJSON(inv.Options, "{}")
	if err != nil {
		return 0, fmt.Errorf("starting %s invocation of run %q: encoding options: %w", inv.Command, inv.RunID, err)
	}
	counts, err := toJSON(inv.Counts, "{}")
	if err != nil {
		return 0, fmt.Errorf("starting %s invocation of run %q: encoding counts: %w", inv.Command, inv.RunID, err)
	}
	namespaces, err := toJSON(inv.Namespaces, "[]")
	if err != nil {
		return 0, fmt.Errorf("starting %s invocation of run %q: encoding namespaces: %w", inv.Command, inv.RunID, err)
	}
	var id int64
	err = inTx(ctx, s.db, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO invocations
			(run_id, command, status, started_at, kube_context, server, namespace, image, workloads, options, counts, namespaces)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			inv.RunID, inv.Command, string(InProgress), formatTime(started),
			inv.KubeContext, inv.Server, inv.Namespace, inv.Image, workloads, options, counts, namespaces)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("starting %s invocation of run %q in %s: %w", inv.Command, inv.RunID, s.path, err)
	}
	return id, nil
}

// Finish records how invocation id ended, stamping FinishedAt with the
// current time. counts replaces the counts given to Start unless it is
// nil. status must be a final one, not InProgress.
func (s *Store) Finish(ctx context.Context, id int64, status Status, counts map[string]int, errMsg string) error {
	if !status.final() {
		return fmt.Errorf("finishing invocation %d: status must be %q, %q, %q, %q or %q, got %q",
			id, Succeeded, Failed, Interrupted, NotReady, ThresholdExceeded, status)
	}
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		query := `UPDATE invocations SET status = ?, finished_at = ?, error = ? WHERE id = ?`
		args := []any{string(status), formatTime(s.now()), errMsg, id}
		if counts != nil {
			encoded, err := toJSON(counts, "{}")
			if err != nil {
				return fmt.Errorf("encoding counts: %w", err)
			}
			query = `UPDATE invocations SET status = ?, finished_at = ?, error = ?, counts = ? WHERE id = ?`
			args = []any{string(status), formatTime(s.now()), errMsg, encoded, id}
		}
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("invocation %w", ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finishing invocation %d in %s: %w", id, s.path, err)
	}
	return nil
}

// RecordObjects adds what happened to objs during invocation id, in one
// transaction, so a batch is either all there or not at all.
func (s *Store) RecordObjects(ctx context.Context, id int64, objs []Object) error {
	return s.Record(ctx, id, objs, nil)
}

// Record adds objs and events of invocation id in one transaction: a
// batch is either all there or not at all. A zero At means now.
func (s *Store) Record(ctx context.Context, id int64, objs []Object, events []EventRecord) error {
	if len(objs) == 0 && len(events) == 0 {
		return nil
	}
	err := s.write(ctx, id, func(tx *sql.Tx) error {
		now := s.now()
		if err := insertObjects(ctx, tx, id, objs, now); err != nil {
			return err
		}
		for _, e := range events {
			at := e.At
			if at.IsZero() {
				at = now
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO events (invocation_id, at, message) VALUES (?, ?, ?)`,
				id, formatTime(at), e.Message); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording %s of invocation %d in %s: %w", batchText(len(objs), len(events)), id, s.path, err)
	}
	return nil
}

// batchText says what a batch holds: "3 objects", "event", "3 objects and
// 2 events".
func batchText(objs, events int) string {
	var parts []string
	if objs > 0 {
		parts = append(parts, fmt.Sprintf("%d objects", objs))
	}
	switch {
	case events == 1:
		parts = append(parts, "event")
	case events > 1:
		parts = append(parts, fmt.Sprintf("%d events", events))
	}
	return strings.Join(parts, " and ")
}

func insertObjects(ctx context.Context, tx *sql.Tx, id int64, objs []Object, now time.Time) error {
	if len(objs) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO objects
		(invocation_id, kind, namespace, name, outcome, error, at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, o := range objs {
		at := o.At
		if at.IsZero() {
			at = now
		}
		if _, err := stmt.ExecContext(ctx, id, o.Kind, o.Namespace, o.Name, o.Outcome, o.Error, formatTime(at)); err != nil {
			return fmt.Errorf("%s %s/%s: %w", o.Kind, o.Namespace, o.Name, err)
		}
	}
	return nil
}

// RecordVMs records the progress of VMs of invocation id, one row per
// (invocation, VM name). A VM seen again is merged, not replaced: a zero
// time or empty reason keeps what was recorded before, so a caller can
// report each step as it happens without repeating the earlier ones.
func (s *Store) RecordVMs(ctx context.Context, id int64, vms []VM) error {
	if len(vms) == 0 {
		return nil
	}
	err := s.write(ctx, id, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO vms
			(invocation_id, name, created_at, scheduled_at, running_at, ready_at, disks_ready_at, failed_at, reason, observed)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (invocation_id, name) DO UPDATE SET
				created_at   = coalesce(excluded.created_at, vms.created_at),
				scheduled_at = coalesce(excluded.scheduled_at, vms.scheduled_at),
				running_at   = coalesce(excluded.running_at, vms.running_at),
				ready_at     = coalesce(excluded.ready_at, vms.ready_at),
				disks_ready_at = coalesce(excluded.disks_ready_at, vms.disks_ready_at),
				failed_at    = coalesce(excluded.failed_at, vms.failed_at),
				reason       = CASE WHEN excluded.reason = '' THEN vms.reason ELSE excluded.reason END,
				observed     = CASE WHEN excluded.observed = '' THEN vms.observed ELSE excluded.observed END`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, vm := range vms {
			if vm.Name == "" {
				return errors.New("VM with empty name")
			}
			if _, err := stmt.ExecContext(ctx, id, vm.Name, formatTime(vm.CreatedAt), formatTime(vm.ScheduledAt),
				formatTime(vm.RunningAt), formatTime(vm.ReadyAt), formatTime(vm.DisksReadyAt), formatTime(vm.FailedAt), vm.Reason, vm.Observed); err != nil {
				return fmt.Errorf("VM %s: %w", vm.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording %d VMs of invocation %d in %s: %w", len(vms), id, s.path, err)
	}
	return nil
}

// Event records a progress message of invocation id. A zero at means now.
func (s *Store) Event(ctx context.Context, id int64, at time.Time, message string) error {
	return s.Record(ctx, id, nil, []EventRecord{{At: at, Message: message}})
}

// LinkCleanup records that cleanup invocation id removed the given run
// ids. Linking the same run twice is harmless.
func (s *Store) LinkCleanup(ctx context.Context, id int64, runIDs []string) error {
	if len(runIDs) == 0 {
		return nil
	}
	err := s.write(ctx, id, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO cleanups (cleanup_id, run_id) VALUES (?, ?)
			ON CONFLICT (cleanup_id, run_id) DO NOTHING`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, runID := range runIDs {
			if runID == "" {
				return errors.New("empty run id")
			}
			if _, err := stmt.ExecContext(ctx, id, runID); err != nil {
				return fmt.Errorf("run %s: %w", runID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("linking cleanup invocation %d to %d runs in %s: %w", id, len(runIDs), s.path, err)
	}
	return nil
}

// write runs fn in a transaction after checking invocation id exists, so
// a wrong id is reported as ErrNotFound rather than as a foreign key
// violation whose wording differs between drivers.
func (s *Store) write(ctx context.Context, id int64, fn func(*sql.Tx) error) error {
	if s.committed != nil {
		defer s.committed()
	}
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM invocations WHERE id = ?`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("invocation %w", ErrNotFound)
		}
		if err != nil {
			return err
		}
		return fn(tx)
	})
}
