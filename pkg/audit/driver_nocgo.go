//go:build !cgo || purego_sqlite

// The purego_sqlite tag selects this driver in a cgo build too, so the
// race detector (which needs cgo) can run the tests against it:
// go test -race -tags purego_sqlite ./pkg/audit

package audit

import (
	"fmt"
	"net/url"

	// The pure-Go driver registers itself as "sqlite" with database/sql; that
	// is the only global it touches.
	_ "modernc.org/sqlite"
)

// driverName is the database/sql driver this build links in.
const driverName = "sqlite"

// dsn builds the modernc.org/sqlite data source name for the DB file at
// path. The driver runs each _pragma, in order, on every new connection,
// which matters because busy_timeout and foreign_keys are per connection,
// not per file; busy_timeout comes first so the others already wait for a
// lock instead of failing. _txlock=immediate makes every transaction take
// the write lock at BEGIN, so a writer waits in busy_timeout instead of
// failing with SQLITE_BUSY when it later tries to upgrade a read lock.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return fileURI(path) + "?" + q.Encode()
}
