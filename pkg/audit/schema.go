package audit

import (
	"context"
	"database/sql"
	"fmt"
)

// applicationID marks the file as ours in the SQLite header ("VWKA"), so
// Open can tell an audit DB from another program's SQLite file before
// writing to it.
const applicationID = 0x56574B41

// migration is one step of the schema. Steps are never edited once
// released, only appended: an old DB replays exactly the steps it is
// missing, and the step's position in migrations (from 1) is the
// PRAGMA user_version it leaves behind.
type migration struct {
	name  string
	stmts []string
}

// migrations returns the schema history. Times are UTC text in timeLayout
// (fixed width, so they sort as text); lists and maps are JSON text.
func migrations() []migration {
	return []migration{{
		name: "invocations and the objects they applied",
		stmts: []string{
			fmt.Sprintf("PRAGMA application_id = %d", applicationID),
			`CREATE TABLE invocations (
				id           INTEGER PRIMARY KEY AUTOINCREMENT,
				run_id       TEXT NOT NULL,
				command      TEXT NOT NULL,
				status       TEXT NOT NULL,
				started_at   TEXT NOT NULL,
				finished_at  TEXT,
				kube_context TEXT NOT NULL DEFAULT '',
				server       TEXT NOT NULL DEFAULT '',
				namespace    TEXT NOT NULL DEFAULT '',
				image        TEXT NOT NULL DEFAULT '',
				workloads    TEXT NOT NULL DEFAULT '[]',
				options      TEXT NOT NULL DEFAULT '{}',
				counts       TEXT NOT NULL DEFAULT '{}',
				error        TEXT NOT NULL DEFAULT ''
			)`,
			`CREATE INDEX invocations_started ON invocations (started_at)`,
			`CREATE TABLE objects (
				id            INTEGER PRIMARY KEY,
				invocation_id INTEGER NOT NULL REFERENCES invocations (id) ON DELETE CASCADE,
				kind          TEXT NOT NULL,
				namespace     TEXT NOT NULL DEFAULT '',
				name          TEXT NOT NULL,
				outcome       TEXT NOT NULL DEFAULT '',
				error         TEXT NOT NULL DEFAULT '',
				at            TEXT NOT NULL
			)`,
			`CREATE INDEX objects_invocation ON objects (invocation_id)`,
		},
	}, {
		// Version 2 follows each VM to running or failed, keeps the
		// progress events a user saw, and links a cleanup to the runs it
		// removed. Looking runs up by id became a common query (history
		// show, cleaned-by), hence the index.
		name: "VMs, events and cleanup links",
		stmts: []string{
			`CREATE TABLE vms (
				invocation_id INTEGER NOT NULL REFERENCES invocations (id) ON DELETE CASCADE,
				name          TEXT NOT NULL,
				created_at    TEXT,
				running_at    TEXT,
				failed_at     TEXT,
				reason        TEXT NOT NULL DEFAULT '',
				PRIMARY KEY (invocation_id, name)
			)`,
			`CREATE TABLE events (
				id            INTEGER PRIMARY KEY,
				invocation_id INTEGER NOT NULL REFERENCES invocations (id) ON DELETE CASCADE,
				at            TEXT NOT NULL,
				message       TEXT NOT NULL
			)`,
			`CREATE INDEX events_invocation ON events (invocation_id, at)`,
			`CREATE TABLE cleanups (
				cleanup_id INTEGER NOT NULL REFERENCES invocations (id) ON DELETE CASCADE,
				run_id     TEXT NOT NULL,
				PRIMARY KEY (cleanup_id, run_id)
			)`,
			`CREATE INDEX cleanups_run ON cleanups (run_id)`,
			`CREATE INDEX invocations_run ON invocations (run_id)`,
		},
	}, phaseTimesMigration(), namespacesMigration(), disruptionsMigration()}
}

// namespacesMigration is version 4: the namespaces of a run spread over
// several (--namespaces), so that wait, status, cleanup and verify find
// every one of them by the run id. Older rows keep '[]': their run lives
// in namespace alone.
func namespacesMigration() migration {
	return migration{
		name: "the namespaces of a run spread over several",
		stmts: []string{
			`ALTER TABLE invocations ADD COLUMN namespaces TEXT NOT NULL DEFAULT '[]'`,
		},
	}
}

// disruptionsMigration is version 5: the day-2 events disrupt carried
// out on a run's VMs (migrations, restarts, stop/start), one row each, so
// that history and verify can read them back. The table is not called
// events: that name holds an invocation's progress messages since
// version 2.
func disruptionsMigration() migration {
	return migration{
		name: "the disruption events of a run",
		stmts: []string{
			`CREATE TABLE disruptions (
				id            INTEGER PRIMARY KEY,
				invocation_id INTEGER NOT NULL REFERENCES invocations (id) ON DELETE CASCADE,
				run_id        TEXT NOT NULL,
				namespace     TEXT NOT NULL DEFAULT '',
				vm            TEXT NOT NULL,
				kind          TEXT NOT NULL,
				started_at    TEXT NOT NULL,
				ended_at      TEXT,
				source_node   TEXT NOT NULL DEFAULT '',
				target_node   TEXT NOT NULL DEFAULT '',
				outcome       TEXT NOT NULL,
				reason        TEXT NOT NULL DEFAULT '',
				downtime_ns   INTEGER NOT NULL DEFAULT 0
			)`,
			`CREATE INDEX disruptions_run ON disruptions (run_id, started_at)`,
			`CREATE INDEX disruptions_invocation ON disruptions (invocation_id)`,
		},
	}
}

// phaseTimesMigration is version 3: each VM's phase times as the API
// server stamped them (scheduled, ready and the DataVolumes' readiness
// beside created and running), and which were the plugin's observations
// instead. Rows written before it hold the apply time and the time the
// watch saw the VM running, and are marked so.
func phaseTimesMigration() migration {
	return migration{
		name: "VM phase times from the server's timestamps",
		stmts: []string{
			`ALTER TABLE vms ADD COLUMN scheduled_at TEXT`,
			`ALTER TABLE vms ADD COLUMN ready_at TEXT`,
			`ALTER TABLE vms ADD COLUMN disks_ready_at TEXT`,
			`ALTER TABLE vms ADD COLUMN observed TEXT NOT NULL DEFAULT ''`,
			`UPDATE vms SET observed = '` + ObservedBeforeV3 + `' WHERE running_at IS NOT NULL`,
		},
	}
}

// ObservedBeforeV3 is the Observed of the VMs recorded before the history
// kept the server's timestamps.
const ObservedBeforeV3 = "recorded by an older kubectl-virtwork, from the apply time and when the watch saw the VM"

// latestVersion is the schema version this code migrates to.
func latestVersion() int { return len(migrations()) }

// schemaVersion reads PRAGMA user_version.
func schemaVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("reading schema version: %w", err)
	}
	return v, nil
}

// checkOwner refuses a DB that is not ours or is newer than this code,
// before anything writes to it.
func checkOwner(ctx context.Context, db *sql.DB) error {
	var appID int64
	if err := db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return fmt.Errorf("reading application id: %w", err)
	}
	version, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	switch {
	case appID != 0 && appID != applicationID:
		return fmt.Errorf("%w: it is another application's SQLite DB (application_id %#x); choose another path", ErrNotAuditDB, appID)
	case appID == 0:
		// Never migrated by us: it must be empty.
		var tables int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&tables); err != nil {
			return fmt.Errorf("listing tables: %w", err)
		}
		if tables > 0 || version != 0 {
			return fmt.Errorf("%w: it is an SQLite DB with other tables in it; choose another path", ErrNotAuditDB)
		}
	case version > latestVersion():
		return fmt.Errorf("%w: schema version %d, this kubectl-virtwork knows up to %d; use a newer kubectl-virtwork or another DB path", ErrNewerSchema, version, latestVersion())
	}
	return nil
}

// migrate applies the migrations the DB is missing, up to target, each in
// its own transaction together with the user_version it sets: a crash
// between steps leaves a DB at a consistent older version that the next
// Open carries on from. The version is re-read inside each transaction,
// which holds the write lock, so two processes opening a new DB at once
// do not both apply a step.
func migrate(ctx context.Context, db *sql.DB, target int) error {
	steps := migrations()
	for i := 0; i < target; i++ {
		version := i + 1
		err := inTx(ctx, db, func(tx *sql.Tx) error {
			current, err := schemaVersion(ctx, tx)
			if err != nil {
				return err
			}
			if current > latestVersion() {
				return fmt.Errorf("%w: schema version %d, this kubectl-virtwork knows up to %d", ErrNewerSchema, current, latestVersion())
			}
			if current >= version {
				return nil
			}
			for _, stmt := range steps[i].stmts {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return err
				}
			}
			// PRAGMA takes no bound parameters; version is our own int.
			_, err = tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version))
			return err
		})
		if err != nil {
			return fmt.Errorf("migrating schema to version %d (%s): %w", version, steps[i].name, err)
		}
	}
	return nil
}

// inTx runs fn in a transaction (BEGIN IMMEDIATE, from the DSN) and
// commits it, or rolls it back when fn fails.
func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}
