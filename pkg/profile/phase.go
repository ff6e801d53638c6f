package profile

import (
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// Phase is a VM's phase under spread, in whole seconds: 0 for SpreadNone,
// in [0, cycle) for SpreadRandom (0 when cycle is 0), in [0, Jitter) for
// SpreadJitter. It is the first 8 bytes of SHA-256(runID NUL vmName),
// modulo the bound, so the same run id and name give the same phase and a
// render is byte for byte the same every time.
func Phase(runID, vmName string, spread Spread, cycle time.Duration) time.Duration {
	var bound int64
	switch spread.Kind {
	case SpreadRandom:
		bound = seconds(cycle)
	case SpreadJitter:
		bound = seconds(spread.Jitter)
	}
	if bound <= 0 {
		return 0
	}
	h := sha256.Sum256([]byte(runID + "\x00" + vmName))
	return sec(int64(binary.BigEndian.Uint64(h[:8]) % uint64(bound)))
}
