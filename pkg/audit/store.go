package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// busyTimeout is how long a write waits for another connection or process
// to release the DB before giving up. Every write here is a short
// transaction, so reaching it means something is stuck, not merely busy.
const busyTimeout = 5 * time.Second

// File and directory modes. The history names clusters, namespaces and
// images, which is nobody else's business on a shared machine.
const (
	fileMode = 0o600
	dirMode  = 0o700
)

// sqliteHeader starts every SQLite 3 database file.
const sqliteHeader = "SQLite format 3\x00"

var (
	// ErrNotFound is wrapped by errors for an invocation or run id the
	// store has no record of.
	ErrNotFound = errors.New("not found")
	// ErrNotAuditDB is wrapped by Open's error when the file exists but is
	// not SQLite, or is another application's SQLite database, so it is
	// left untouched.
	ErrNotAuditDB = errors.New("not a kubectl-virtwork audit DB")
	// ErrNewerSchema is wrapped by Open's error when the DB was migrated by
	// a newer kubectl-virtwork than this one; writing to it could corrupt
	// data this version does not understand.
	ErrNewerSchema = errors.New("audit DB schema is newer than this kubectl-virtwork")
)

// Store is an open audit DB. Its methods are safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
	// now stamps times the caller did not give (FinishedAt, an Object's or
	// event's At); a field rather than time.Now so tests can fix it.
	now func() time.Time
	// committed, when set, is called after each write transaction of an
	// invocation's records: tests count them.
	committed func()
}

// DefaultPath returns where the audit DB lives unless the user says
// otherwise: $XDG_STATE_HOME/virtwork/audit.db, or
// ~/.local/state/virtwork/audit.db when XDG_STATE_HOME is unset or not
// absolute (as the XDG spec asks). It never falls back to the working
// directory: history scattered across wherever the command happened to run
// is history nobody finds again.
func DefaultPath() (string, error) {
	if dir := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "virtwork", "audit.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the audit DB path: set XDG_STATE_HOME or HOME: %w", err)
	}
	if !filepath.IsAbs(home) {
		return "", fmt.Errorf("finding the audit DB path: home directory %q is not absolute; set XDG_STATE_HOME or HOME to an absolute path", home)
	}
	return filepath.Join(home, ".local", "state", "virtwork", "audit.db"), nil
}

// Open opens the audit DB at path, creating it (and its missing parent
// directories) when needed and migrating its schema to the latest version.
// A file that is not an audit DB, or whose schema is newer than this code
// knows, is refused without being changed.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("opening audit DB: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("opening audit DB %s: %w", path, err)
	}
	if err := prepareFile(abs); err != nil {
		return nil, fmt.Errorf("opening audit DB %s: %w", abs, err)
	}
	db, err := sql.Open(driverName, dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("opening audit DB %s: %w", abs, err)
	}
	// One connection per process: writers from many goroutines queue in
	// database/sql instead of spinning in SQLite's busy handler, and no two
	// connections of ours can deadlock each other. busy_timeout still
	// covers other processes writing the same file.
	db.SetMaxOpenConns(1)
	s := &Store{db: db, path: abs, now: time.Now}
	if err := s.init(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening audit DB %s: %w", abs, err)
	}
	return s, nil
}

// Path returns the absolute path of the DB file, for messages that tell the
// user where their history is.
func (s *Store) Path() string { return s.path }

// Close releases the DB. Closing the last connection checkpoints the WAL
// into the main file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("closing audit DB %s: %w", s.path, err)
	}
	return nil
}

// prepareFile creates the DB file with mode 0600 before SQLite sees it.
// SQLite would create it 0644 (less the umask), and it creates the -wal and
// -shm files with the main file's mode, so getting the main file right
// first covers all three. An existing file is tightened to 0600 and
// checked for the SQLite header, so a stray text file is reported rather
// than handed to SQLite.
func prepareFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return fmt.Errorf("creating its directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tighten(f.Name(), f); err != nil {
		return err
	}
	header := make([]byte, len(sqliteHeader))
	n, err := io.ReadFull(f, header)
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return nil // new or empty: SQLite treats it as an empty DB
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("reading its header: %w", err)
	case string(header[:n]) != sqliteHeader:
		return fmt.Errorf("%w: the file is not SQLite; move it aside or choose another path", ErrNotAuditDB)
	}
	return nil
}

// tighten sets mode 0600 on an open file unless it already has it.
func tighten(name string, f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Mode().Perm() != fileMode {
		if err := f.Chmod(fileMode); err != nil {
			return fmt.Errorf("setting mode 0600 on %s: %w", name, err)
		}
	}
	return nil
}

// tightenSidecars sets mode 0600 on the -wal and -shm files when they
// exist. SQLite gives new ones the main file's mode, but ones left behind
// by a crash of an older version may be wider.
func tightenSidecars(path string) error {
	for _, suffix := range []string{"-wal", "-shm"} {
		name := path + suffix
		fi, err := os.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode().Perm() != fileMode {
			if err := os.Chmod(name, fileMode); err != nil {
				return fmt.Errorf("setting mode 0600 on %s: %w", name, err)
			}
		}
	}
	return nil
}

// init checks the connection works, switches to WAL and migrates.
func (s *Store) init(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return err
	}
	if err := checkOwner(ctx, s.db); err != nil {
		return err
	}
	// WAL lets readers (a history listing) run while a long apply keeps
	// writing, and survives a killed process without a hot rollback
	// journal. The mode is stored in the file, so this is a no-op after the
	// first Open.
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return fmt.Errorf("switching to WAL: %w", err)
	}
	if mode != "wal" {
		return fmt.Errorf("switching to WAL: journal mode is still %q", mode)
	}
	if err := migrate(ctx, s.db, latestVersion()); err != nil {
		return err
	}
	return tightenSidecars(s.path)
}

// fileURI turns an absolute path into an SQLite URI filename, escaping the
// characters ('?', '#', '%') that would otherwise end or alter the path.
func fileURI(path string) string {
	return "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath()
}
