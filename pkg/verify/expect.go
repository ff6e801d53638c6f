package verify

import (
	"slices"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/profile"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// Stretch is a stretch of time over which a VM's level and its peers'
// hold, so its signal's expected value holds too.
type Stretch struct {
	From, To time.Time
	// Level is the VM's own level; PeersLevel adds up the levels of the
	// other VMs of its instance that follow the level (a server's clients).
	Level, PeersLevel int
}

// levels is what decides a workload's levels over time: its schedule,
// timing and each VM's phase. It comes from pkg/profile, as the guests'
// schedule files do, so what verify expects is what the guests play.
type levels struct {
	schedule profile.Schedule
	timing   profile.Timing
	phase    map[string]time.Duration // by VM name
	follows  func(role string) bool
	// constant: one level for ever, so a run without --start-at (each
	// guest starting at its own boot) can still be timed.
	constant bool
}

// newLevels returns the workload's levels, or ok false when it has no
// level to expect from (none declared, or unlimited: a level param of 0
// without a profile).
func newLevels(runID string, wc config.Workload, spec workloads.Spec, vms []render.VMRef) (*levels, bool) {
	lr, ok := spec.LevelRange(wc.Params)
	if !ok || (wc.Profile == nil && lr.Value == 0) {
		return nil, false
	}
	prof := profile.Default(profile.Levels{Min: lr.Min, Max: lr.Max, Default: lr.Value})
	if wc.Profile != nil {
		prof = *wc.Profile
	}
	s := prof.Schedule()
	lv := &levels{schedule: s, timing: wc.Timing, phase: map[string]time.Duration{}, follows: spec.Level.Follows,
		constant: len(s.Segments) == 1 && wc.Timing.Duration == 0}
	for _, vm := range vms {
		lv.phase[vm.Name] = profile.Phase(runID, vm.Name, prof.Spread, s.Cycle)
	}
	return lv, true
}

// timed reports whether the levels can be placed in time: an absolute
// start, or a level that never changes.
func (lv *levels) timed() bool { return !lv.timing.Start.IsZero() || lv.constant }

// at is a VM's level at t and when it next changes (zero: never).
func (lv *levels) at(vm render.VMRef, t time.Time) (int, time.Time) {
	if !lv.follows(vm.Role) {
		return 0, time.Time{}
	}
	start := lv.timing.Start
	if start.IsZero() {
		return lv.schedule.Segments[0].Level, time.Time{}
	}
	level, next, _ := lv.schedule.At(start, lv.phase[vm.Name], lv.timing.Duration, t)
	return level, next
}

// stretches splits [from, to) where vm's level or its peers' change. A
// workload without levels has one stretch at level 0.
func stretches(lv *levels, vm render.VMRef, peers []render.VMRef, from, to time.Time) []Stretch {
	if lv == nil {
		return []Stretch{{From: from, To: to}}
	}
	all := append([]render.VMRef{vm}, peers...)
	var out []Stretch
	for t := from; t.Before(to); {
		s := Stretch{From: t, To: to}
		for i, v := range all {
			level, next := lv.at(v, t)
			if i == 0 {
				s.Level = level
			} else {
				s.PeersLevel += level
			}
			if !next.IsZero() && next.Before(s.To) {
				s.To = next
			}
		}
		// Neighbours at the same levels are one stretch.
		if n := len(out); n > 0 && out[n-1].Level == s.Level && out[n-1].PeersLevel == s.PeersLevel {
			out[n-1].To = s.To
		} else {
			out = append(out, s)
		}
		t = s.To
	}
	return out
}

// peersOf lists the other VMs of vm's instance that follow the level.
func peersOf(lv *levels, vm render.VMRef, vms []render.VMRef) []render.VMRef {
	if lv == nil {
		return nil
	}
	return slices.DeleteFunc(slices.Clone(vms), func(o render.VMRef) bool {
		return o.Instance != vm.Instance || o.Name == vm.Name || !lv.follows(o.Role)
	})
}

// Model is a workload's levels over time, per VM, from pkg/profile: what
// verify checks a Prometheus against and monitoring writes alert rules and
// promtool tests from.
type Model struct {
	lv  *levels
	vms []render.VMRef
}

// NewModel returns the workload's model, or ok false when it has no level
// to expect from (none declared, or unlimited: a level param of 0 without
// a profile).
func NewModel(runID string, wc config.Workload, spec workloads.Spec, vms []render.VMRef) (*Model, bool) {
	lv, ok := newLevels(runID, wc, spec, vms)
	if !ok {
		return nil, false
	}
	return &Model{lv: lv, vms: vms}, true
}

// Timed reports whether the levels can be placed in time: an absolute
// start (--start-at), or a level that never changes.
func (m *Model) Timed() bool { return m.lv.timed() }

// Peers lists the other VMs of vm's instance that follow the level.
func (m *Model) Peers(vm render.VMRef) []render.VMRef { return peersOf(m.lv, vm, m.vms) }

// Stretches splits [from, to) where vm's level or its peers' change.
func (m *Model) Stretches(vm render.VMRef, from, to time.Time) []Stretch {
	return stretches(m.lv, vm, m.Peers(vm), from, to)
}

// Range is the lowest and highest level of the workload's profile.
func (m *Model) Range() (lo, hi int) {
	segs := m.lv.schedule.Segments
	if len(segs) == 0 {
		return 0, 0
	}
	lo, hi = segs[0].Level, segs[0].Level
	for _, s := range segs[1:] {
		lo, hi = min(lo, s.Level), max(hi, s.Level)
	}
	return lo, hi
}
