package profile

import (
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// Phase is a VM's phase under spread, in whole seconds: 0 for SpreadNone,
// in [0, cycle) for SpreadRandom (0 when cycle is 0), in [0, Jitter) for
// SpreadJitter. It is SpreadRule(runID, spread, cycle).Of(vmName): the
// first 8 bytes of SHA-256(runID NUL vmName) as a big-endian integer,
// modulo the bound, so the same run id and name give the same phase and a
// render is byte for byte the same every time.
func Phase(runID, vmName string, spread Spread, cycle time.Duration) time.Duration {
	return SpreadRule(runID, spread, cycle).Of(vmName)
}

// PhaseRule is how a VM finds its phase. With a Bound it is the same rule
// for every VM of a workload, each applying it to its own name; that is
// what lets the VMs share one schedule file, and so one user-data Secret,
// while the guest (virtwork-level.sh) computes the very phase Of gives.
type PhaseRule struct {
	// Fixed is the phase of every VM when Bound is below a second.
	Fixed time.Duration
	// RunID and Bound: the phase is the hash of RunID and the VM's name
	// modulo Bound's whole seconds.
	RunID string
	Bound time.Duration
}

// FixedPhase is the rule that gives every VM phase d.
func FixedPhase(d time.Duration) PhaseRule { return PhaseRule{Fixed: d} }

// SpreadRule is the rule of a spread over a schedule of the given cycle:
// phase 0 for SpreadNone (and SpreadRandom of a schedule that does not
// repeat), otherwise the hash bounded by the cycle or the jitter.
func SpreadRule(runID string, spread Spread, cycle time.Duration) PhaseRule {
	switch spread.Kind {
	case SpreadRandom:
		return PhaseRule{RunID: runID, Bound: sec(seconds(cycle))}
	case SpreadJitter:
		return PhaseRule{RunID: runID, Bound: sec(seconds(spread.Jitter))}
	}
	return PhaseRule{}
}

// hashed is whether the rule depends on the VM's name.
func (r PhaseRule) hashed() bool { return seconds(r.Bound) > 0 }

// Of is the phase of the VM of that name.
func (r PhaseRule) Of(vmName string) time.Duration {
	if !r.hashed() {
		return r.Fixed
	}
	h := sha256.Sum256([]byte(r.RunID + "\x00" + vmName))
	return sec(int64(binary.BigEndian.Uint64(h[:8]) % uint64(seconds(r.Bound))))
}
