// Package progress is the one status line a long command keeps on stderr
// while it applies, waits or deletes: rewritten in place on a terminal,
// a plain line every few seconds in a log, so neither the terminal nor a
// CI log fills up with counts, and stdout stays free for results.
package progress
