// Package suggest turns a misspelt name into a "did you mean" hint, so that
// every message about an unknown flag value, key, workload or param offers
// the closest known spelling the same way.
package suggest
