package audit

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// t0 is a fixed instant with sub-second precision, in a zone other than
// UTC, so tests see both survive storage.
var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

// openTest opens a fresh store in a temporary directory whose clock reads
// now, and closes it when the test ends.
func openTest(t *testing.T, now time.Time) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return now }
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// rawDB opens path with the build's driver and DSN but without Open's
// checks or migrations, to build DBs the way other code would have.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driverName, dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, stmt := range stmts {
		if _, err := db.ExecContext(t.Context(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

func TestDefaultPath(t *testing.T) {
	tests := []struct {
		name    string
		xdg     string
		home    string
		want    string
		wantErr string
	}{
		{name: "XDG_STATE_HOME set", xdg: "/xdg/state", home: "/home/u", want: "/xdg/state/virtwork/audit.db"},
		{name: "XDG_STATE_HOME unset", home: "/home/u", want: "/home/u/.local/state/virtwork/audit.db"},
		{name: "XDG_STATE_HOME relative is ignored", xdg: "state", home: "/home/u", want: "/home/u/.local/state/virtwork/audit.db"},
		{name: "no HOME never means the working directory", wantErr: "finding the audit DB path"},
		{name: "relative HOME never means the working directory", home: "u", wantErr: "not absolute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("XDG_STATE_HOME", tt.xdg)
			t.Setenv("HOME", tt.home)
			got, err := DefaultPath()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("DefaultPath() = %q, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("DefaultPath() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPragmas(t *testing.T) {
	s := openTest(t, t0)
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", "5000"},
		{"synchronous", "1"}, // NORMAL
		{"user_version", "5"},
		{"application_id", "1448561473"},
	}
	for _, tt := range tests {
		t.Run(tt.pragma, func(t *testing.T) {
			var got string
			if err := s.db.QueryRowContext(t.Context(), "PRAGMA "+tt.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("PRAGMA %s = %q with driver %s, want %q", tt.pragma, got, driverName, tt.want)
			}
		})
	}
}

func TestFileModes(t *testing.T) {
	tests := []struct {
		name string
		// existing, when set, is the mode of a DB file created before Open.
		existing fs.FileMode
	}{
		{name: "new DB in new directories"},
		{name: "existing world-readable DB is tightened", existing: 0o644},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			// Characters that mean something in an SQLite URI must still
			// land the file exactly here.
			dir := filepath.Join(base, "state dir?#%", "virtwork")
			path := filepath.Join(dir, "audit.db")
			if tt.existing != 0 {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, nil, tt.existing); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.existing); err != nil {
					t.Fatal(err)
				}
			}
			s, err := Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// A write while open makes SQLite create -wal and -shm.
			if _, err := s.Start(t.Context(), Invocation{RunID: "r", Command: CommandApply}); err != nil {
				t.Fatal(err)
			}
			want := map[string]fs.FileMode{
				path:          0o600,
				path + "-wal": 0o600,
				path + "-shm": 0o600,
			}
			if tt.existing == 0 {
				want[dir] = 0o700
				want[filepath.Dir(dir)] = 0o700
			}
			got := map[string]fs.FileMode{}
			for name := range want {
				fi, err := os.Stat(name)
				if err != nil {
					t.Fatal(err)
				}
				got[name] = fi.Mode().Perm()
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("modes (-want +got):\n%s", diff)
			}
			if s.Path() != path {
				t.Errorf("Path() = %q, want %q", s.Path(), path)
			}
		})
	}
}

func TestOpenRefuses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// setup creates whatever is at path.
		setup     func(t *testing.T, path string)
		wantIs    error
		wantInErr string
		// unchanged: the file must be byte for byte what setup left.
		unchanged bool
	}{
		{
			name: "text file",
			setup: func(t *testing.T, path string) {
				if err := os.WriteFile(path, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			wantIs:    ErrNotAuditDB,
			wantInErr: "not SQLite",
			unchanged: true,
		},
		{
			name: "shorter than the SQLite header",
			setup: func(t *testing.T, path string) {
				if err := os.WriteFile(path, []byte("SQL"), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			wantIs:    ErrNotAuditDB,
			unchanged: true,
		},
		{
			name: "SQLite header, garbage after it",
			setup: func(t *testing.T, path string) {
				b := []byte(sqliteHeader + strings.Repeat("\xff", 4096))
				if err := os.WriteFile(path, b, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			unchanged: true,
		},
		{
			name: "another application's SQLite DB",
			setup: func(t *testing.T, path string) {
				mustExec(t, rawDB(t, path), "CREATE TABLE notes (body TEXT)", "INSERT INTO notes VALUES ('mine')")
			},
			wantIs:    ErrNotAuditDB,
			wantInErr: "other tables",
		},
		{
			name: "another application's id",
			setup: func(t *testing.T, path string) {
				mustExec(t, rawDB(t, path), "PRAGMA application_id = 42")
			},
			wantIs:    ErrNotAuditDB,
			wantInErr: "application_id 0x2a",
		},
		{
			name: "newer schema",
			setup: func(t *testing.T, path string) {
				s, err := Open(ctx, path)
				if err != nil {
					t.Fatal(err)
				}
				mustExec(t, s.db, "PRAGMA user_version = 99")
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			},
			wantIs:    ErrNewerSchema,
			wantInErr: "schema version 99, this kubectl-virtwork knows up to 5",
		},
		{
			name: "a directory",
			setup: func(t *testing.T, path string) {
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.db")
			tt.setup(t, path)
			var before []byte
			if tt.unchanged {
				var err error
				if before, err = os.ReadFile(path); err != nil {
					t.Fatal(err)
				}
			}
			s, err := Open(ctx, path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded, want an error")
			}
			t.Logf("error with driver %s: %v", driverName, err)
			if !strings.HasPrefix(err.Error(), "opening audit DB "+path+": ") {
				t.Errorf("error %q does not start with the action and the path", err)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q does not wrap %q", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantInErr)
			}
			if tt.unchanged {
				after, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !cmp.Equal(before, after) {
					t.Error("Open changed the file it refused")
				}
			}
		})
	}
}
