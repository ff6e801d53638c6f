//go:build cgo && !purego_sqlite

package audit

import (
	"net/url"
	"strconv"

	// The driver registers itself as "sqlite3" with database/sql; that is the
	// only global it touches.
	_ "github.com/mattn/go-sqlite3"
)

// driverName is the database/sql driver this build links in.
const driverName = "sqlite3"

// dsn builds the go-sqlite3 data source name for the DB file at path.
// go-sqlite3 runs these settings on every new connection, which matters
// because busy_timeout and foreign_keys are per connection, not per file.
// _txlock=immediate makes every transaction take the write lock at BEGIN,
// so a writer waits in busy_timeout instead of failing with SQLITE_BUSY
// when it later tries to upgrade a read lock.
func dsn(path string) string {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(busyTimeout.Milliseconds(), 10))
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", "NORMAL")
	q.Set("_txlock", "immediate")
	return fileURI(path) + "?" + q.Encode()
}
