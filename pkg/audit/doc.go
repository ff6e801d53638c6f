// Package audit keeps a local SQLite history of what kubectl-virtwork did:
// every apply and cleanup invocation with its settings, the objects it
// touched, the VMs it waited for, its progress events and which cleanup
// removed which run. The history lives on the user's machine (by default
// under $XDG_STATE_HOME), so "what did I run against which cluster last
// week, and did it work" can be answered without the cluster still holding
// the objects. The schema is versioned with PRAGMA user_version and migrated
// forward on Open, writes are transactions that tolerate several goroutines
// and several processes at once, and a process killed mid-run leaves its
// invocation readable as "in progress" rather than lost.
//
// The store records what callers hand it and nothing else. Callers must never
// put secrets (passwords, private keys, tokens) into an Invocation: Options
// carries only whether such a setting was used, e.g. "ssh-auth": "true".
// Commands record through a Recorder, which never fails the command: a
// broken history costs one warning, not the run.
//
// SQLite comes from github.com/mattn/go-sqlite3 in cgo builds and from the
// pure-Go modernc.org/sqlite when CGO_ENABLED=0 (or with the purego_sqlite
// build tag); only driver_cgo.go and driver_nocgo.go know which.
package audit
