package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// invocationColumns is selected by every query that returns invocations,
// in the order scanInvocation reads them.
const invocationColumns = `id, run_id, command, status, started_at, finished_at,
	kube_context, server, namespace, image, workloads, options, counts, error, namespaces`

// History returns the latest limit invocations, newest first, without
// their details; limit <= 0 returns all of them.
func (s *Store) History(ctx context.Context, limit int) ([]Invocation, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	invs, err := s.invocations(ctx, `SELECT `+invocationColumns+` FROM invocations
		ORDER BY started_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("reading history from %s: %w", s.path, err)
	}
	return invs, nil
}

// Runs returns every invocation of runID (newest first) with details; an
// ErrNotFound-wrapping error when none.
func (s *Store) Runs(ctx context.Context, runID string) ([]Detail, error) {
	invs, err := s.invocations(ctx, `SELECT `+invocationColumns+` FROM invocations
		WHERE run_id = ? ORDER BY started_at DESC, id DESC`, runID)
	if err != nil {
		return nil, fmt.Errorf("reading run %q from %s: %w", runID, s.path, err)
	}
	if len(invs) == 0 {
		return nil, fmt.Errorf("reading run %q from %s: run %w", runID, s.path, ErrNotFound)
	}
	details := make([]Detail, 0, len(invs))
	for _, inv := range invs {
		d, err := s.detail(ctx, inv)
		if err != nil {
			return nil, fmt.Errorf("reading run %q from %s: %w", runID, s.path, err)
		}
		details = append(details, *d)
	}
	return details, nil
}

// RunNamespaces returns the namespaces of runID as its newest apply
// recorded them: several for a run spread over namespaces, else its one
// namespace. An ErrNotFound-wrapping error when no apply of it is here.
func (s *Store) RunNamespaces(ctx context.Context, runID string) ([]string, error) {
	invs, err := s.invocations(ctx, `SELECT `+invocationColumns+` FROM invocations
		WHERE run_id = ? AND command = ? ORDER BY started_at DESC, id DESC LIMIT 1`, runID, CommandApply)
	if err != nil {
		return nil, fmt.Errorf("reading run %q from %s: %w", runID, s.path, err)
	}
	switch {
	case len(invs) == 0:
		return nil, fmt.Errorf("reading run %q from %s: run %w", runID, s.path, ErrNotFound)
	case len(invs[0].Namespaces) > 0:
		return invs[0].Namespaces, nil
	}
	return []string{invs[0].Namespace}, nil
}

// Get returns invocation id with its details; an ErrNotFound-wrapping
// error when there is none.
func (s *Store) Get(ctx context.Context, id int64) (*Detail, error) {
	invs, err := s.invocations(ctx, `SELECT `+invocationColumns+` FROM invocations WHERE id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("reading invocation %d from %s: %w", id, s.path, err)
	}
	if len(invs) == 0 {
		return nil, fmt.Errorf("reading invocation %d from %s: invocation %w", id, s.path, ErrNotFound)
	}
	d, err := s.detail(ctx, invs[0])
	if err != nil {
		return nil, fmt.Errorf("reading invocation %d from %s: %w", id, s.path, err)
	}
	return d, nil
}

// invocations runs a query selecting invocationColumns.
func (s *Store) invocations(ctx context.Context, query string, args ...any) ([]Invocation, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var invs []Invocation
	for rows.Next() {
		var (
			inv                        Invocation
			status                     string
			started, finished          *string
			workloads, options, counts string
			namespaces                 string
		)
		if err := rows.Scan(&inv.ID, &inv.RunID, &inv.Command, &status, &started, &finished,
			&inv.KubeContext, &inv.Server, &inv.Namespace, &inv.Image, &workloads, &options, &counts, &inv.Error, &namespaces); err != nil {
			return nil, err
		}
		inv.Status = Status(status)
		if inv.StartedAt, err = parseTime(started); err != nil {
			return nil, fmt.Errorf("invocation %d: %w", inv.ID, err)
		}
		if inv.FinishedAt, err = parseTime(finished); err != nil {
			return nil, fmt.Errorf("invocation %d: %w", inv.ID, err)
		}
		if err := errors.Join(
			fromJSON(workloads, &inv.Workloads),
			fromJSON(options, &inv.Options),
			fromJSON(counts, &inv.Counts),
			fromJSON(namespaces, &inv.Namespaces),
		); err != nil {
			return nil, fmt.Errorf("invocation %d: %w", inv.ID, err)
		}
		invs = append(invs, inv)
	}
	return invs, rows.Err()
}

// detail reads everything recorded about inv. The queries run one after
// another, each closing its rows first: the store has a single connection.
func (s *Store) detail(ctx context.Context, inv Invocation) (*Detail, error) {
	d := &Detail{Invocation: inv}
	var err error
	if d.Objects, err = s.objects(ctx, inv.ID); err != nil {
		return nil, fmt.Errorf("objects of invocation %d: %w", inv.ID, err)
	}
	if d.VMs, err = s.vms(ctx, inv.ID); err != nil {
		return nil, fmt.Errorf("VMs of invocation %d: %w", inv.ID, err)
	}
	if d.Events, err = s.events(ctx, inv.ID); err != nil {
		return nil, fmt.Errorf("events of invocation %d: %w", inv.ID, err)
	}
	if d.Disruptions, err = s.disruptions(ctx, `SELECT `+disruptionColumns+`
		FROM disruptions WHERE invocation_id = ? ORDER BY started_at, id`, inv.ID); err != nil {
		return nil, fmt.Errorf("disruptions of invocation %d: %w", inv.ID, err)
	}
	if inv.RunID != "" && inv.Command != CommandCleanup {
		if d.CleanedBy, err = queryList[int64](ctx, s.db,
			`SELECT cleanup_id FROM cleanups WHERE run_id = ? AND cleanup_id > ? ORDER BY cleanup_id`,
			inv.RunID, inv.ID); err != nil {
			return nil, fmt.Errorf("cleanups of invocation %d: %w", inv.ID, err)
		}
	}
	if d.Removed, err = queryList[string](ctx, s.db,
		`SELECT run_id FROM cleanups WHERE cleanup_id = ? ORDER BY run_id`, inv.ID); err != nil {
		return nil, fmt.Errorf("runs removed by invocation %d: %w", inv.ID, err)
	}
	return d, nil
}

func (s *Store) objects(ctx context.Context, id int64) ([]Object, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, namespace, name, outcome, error, at
		FROM objects WHERE invocation_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var objs []Object
	for rows.Next() {
		var (
			o  Object
			at *string
		)
		if err := rows.Scan(&o.Kind, &o.Namespace, &o.Name, &o.Outcome, &o.Error, &at); err != nil {
			return nil, err
		}
		if o.At, err = parseTime(at); err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return objs, rows.Err()
}

func (s *Store) vms(ctx context.Context, id int64) ([]VM, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, created_at, scheduled_at, running_at, ready_at, disks_ready_at, failed_at, reason, observed
		FROM vms WHERE invocation_id = ? ORDER BY name`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vms []VM
	for rows.Next() {
		var (
			vm                                                VM
			created, scheduled, running, ready, disks, failed *string
		)
		if err := rows.Scan(&vm.Name, &created, &scheduled, &running, &ready, &disks, &failed, &vm.Reason, &vm.Observed); err != nil {
			return nil, err
		}
		if err := errors.Join(
			parseInto(&vm.CreatedAt, created),
			parseInto(&vm.ScheduledAt, scheduled),
			parseInto(&vm.RunningAt, running),
			parseInto(&vm.ReadyAt, ready),
			parseInto(&vm.DisksReadyAt, disks),
			parseInto(&vm.FailedAt, failed),
		); err != nil {
			return nil, fmt.Errorf("VM %s: %w", vm.Name, err)
		}
		vms = append(vms, vm)
	}
	return vms, rows.Err()
}

func (s *Store) events(ctx context.Context, id int64) ([]EventRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT at, message FROM events
		WHERE invocation_id = ? ORDER BY at, id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var events []EventRecord
	for rows.Next() {
		var (
			e  EventRecord
			at *string
		)
		if err := rows.Scan(&at, &e.Message); err != nil {
			return nil, err
		}
		if e.At, err = parseTime(at); err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, rows.Err()
}

// queryList reads a one-column result.
func queryList[T any](ctx context.Context, db *sql.DB, query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

func parseInto(t *time.Time, s *string) error {
	v, err := parseTime(s)
	*t = v
	return err
}

// fromJSON decodes a list or map column; an empty one leaves v nil, so a
// round trip does not turn a nil list into an empty one.
func fromJSON[T any](s string, v *T) error {
	switch s {
	case "", "null", "[]", "{}":
		return nil
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("decoding %q: %w", s, err)
	}
	return nil
}

// RunNamespacesAt is RunNamespaces in the history at path, for commands
// that only look a run up: a history that does not exist is not created,
// and it, or a run it does not hold, gives nil.
func RunNamespacesAt(ctx context.Context, path, runID string) ([]string, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	s, err := Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	ns, err := s.RunNamespaces(ctx, runID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return ns, err
}
