package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CommandDisrupt is the command that records Disruptions.
const CommandDisrupt = "disrupt"

// Disruption is one day-2 event disrupt carried out on a VM of a run: a
// live migration, a restart or a stop/start, with how it ended. Nodes are
// empty where they do not apply (a stopped VM has none) or were not known.
type Disruption struct {
	RunID      string    `json:"runID"`
	Namespace  string    `json:"namespace"`
	VM         string    `json:"vm"`
	Kind       string    `json:"kind"` // "migrate", "restart", "stop-start"
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"` // zero when it never ended (the process died)
	SourceNode string    `json:"sourceNode,omitempty"`
	TargetNode string    `json:"targetNode,omitempty"`
	Outcome    string    `json:"outcome"` // "succeeded", "failed", "timed out", "interrupted"
	Reason     string    `json:"reason,omitempty"`
	// Downtime is how long the VM's workload was not ready during the
	// event, from its VMI's Ready condition; zero when it stayed ready.
	Downtime time.Duration `json:"downtime"`
}

// RecordDisruptions adds the disruptions of invocation id in one
// transaction.
func (s *Store) RecordDisruptions(ctx context.Context, id int64, ds []Disruption) error {
	if len(ds) == 0 {
		return nil
	}
	err := s.write(ctx, id, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO disruptions
			(invocation_id, run_id, namespace, vm, kind, started_at, ended_at, source_node, target_node, outcome, reason, downtime_ns)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, d := range ds {
			if d.VM == "" || d.Kind == "" || d.Outcome == "" || d.Start.IsZero() {
				return fmt.Errorf("disruption %+v: VM, kind, outcome and start are required", d)
			}
			if _, err := stmt.ExecContext(ctx, id, d.RunID, d.Namespace, d.VM, d.Kind, formatTime(d.Start), formatTime(d.End),
				d.SourceNode, d.TargetNode, d.Outcome, d.Reason, int64(d.Downtime)); err != nil {
				return fmt.Errorf("%s of %s/%s: %w", d.Kind, d.Namespace, d.VM, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording %d disruptions of invocation %d in %s: %w", len(ds), id, s.path, err)
	}
	return nil
}

// disruptionColumns are read by scanDisruptions, in its order.
const disruptionColumns = `run_id, namespace, vm, kind, started_at, ended_at, source_node, target_node, outcome, reason, downtime_ns`

// Disruptions returns every disruption recorded for runID, by any
// invocation, oldest first; verify reads them to judge continuity.
func (s *Store) Disruptions(ctx context.Context, runID string) ([]Disruption, error) {
	ds, err := s.disruptions(ctx, `SELECT `+disruptionColumns+` FROM disruptions WHERE run_id = ? ORDER BY started_at, id`, runID)
	if err != nil {
		return nil, fmt.Errorf("reading the disruptions of run %q from %s: %w", runID, s.path, err)
	}
	return ds, nil
}

func (s *Store) disruptions(ctx context.Context, query string, args ...any) ([]Disruption, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Disruption
	for rows.Next() {
		var (
			d            Disruption
			start, end   *string
			downtimeNano int64
		)
		if err := rows.Scan(&d.RunID, &d.Namespace, &d.VM, &d.Kind, &start, &end, &d.SourceNode, &d.TargetNode,
			&d.Outcome, &d.Reason, &downtimeNano); err != nil {
			return nil, err
		}
		if err := errors.Join(parseInto(&d.Start, start), parseInto(&d.End, end)); err != nil {
			return nil, fmt.Errorf("%s of %s: %w", d.Kind, d.VM, err)
		}
		d.Downtime = time.Duration(downtimeNano)
		out = append(out, d)
	}
	return out, rows.Err()
}
