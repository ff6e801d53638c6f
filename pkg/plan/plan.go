package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/profile"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
)

// The range and default of --window.
const (
	DefaultWindow = time.Hour
	MinWindow     = time.Minute
	MaxWindow     = 30 * 24 * time.Hour
)

// MaxSegments bounds the segments a workload's VMs hold in the model, so
// a short cycle over a long window cannot fill memory or a terminal.
const MaxSegments = 500_000

// ErrTooLarge: the window holds more segments than MaxSegments; a shorter
// --window fixes it.
var ErrTooLarge = errors.New("plan too large")

// tooLarge is an ErrTooLarge that says which workload and window.
type tooLarge string

func (e tooLarge) Error() string        { return string(e) }
func (e tooLarge) Is(target error) bool { return target == ErrTooLarge }

// Options is what a plan depends on.
type Options struct {
	Config *config.Config
	// Bundle is render's output for Config: it names the VMs.
	Bundle *render.Bundle
	// Window is how much of each workload's run the model covers, from its
	// start.
	Window time.Duration
	// Segments asks for every VM's segments and every aggregate interval
	// of the window (for JSON). Without it the model holds the chart and
	// the aggregate's first MaxLines intervals, whatever the window.
	Segments bool
}

// Plan is the model of a run.
type Plan struct {
	RunID string `json:"runID"`
	// WindowSeconds is the window's length; each workload's starts at its
	// start (--start-at, or boot).
	WindowSeconds int64      `json:"windowSeconds"`
	Workloads     []Workload `json:"workloads"`
}

// Workload is one workload's expected signal.
type Workload struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	VMCount     int    `json:"vmCount"`
	// VCPUsPerVM is 0 when Instancetype sizes the VMs: only the cluster
	// knows its vCPUs.
	VCPUsPerVM int `json:"vcpusPerVM"`
	// Instancetype is the instance type that sizes the VMs, as
	// --instancetype takes it; "" when they have their own vCPUs.
	Instancetype string `json:"instancetype,omitempty"`
	// Level is nil for a workload that declares none: it runs constant,
	// with nothing to shape, and has no profile, schedule or segments.
	Level *Level `json:"level"`
	// Unlimited names the level param of a workload that has one but runs
	// without a profile at 0, which is unlimited (disk, database, network):
	// no level to show, as for a workload without one.
	Unlimited string `json:"unlimited,omitempty"`
	// Profile is the canonical flag form (profile.Profile.String); a
	// workload with a level and no profile runs constant at its level.
	Profile string `json:"profile,omitempty"`
	// Start is an RFC 3339 UTC time, or "boot" (each VM on its own).
	Start string `json:"start,omitempty"`
	// DurationSeconds is 0 for never: then there is no end.
	DurationSeconds int64 `json:"durationSeconds"`
	// End is Start+duration: RFC 3339, "boot+DURATION", or "never".
	End       string     `json:"end,omitempty"`
	Window    *Span      `json:"window,omitempty"`
	Schedule  *Schedule  `json:"schedule,omitempty"`
	Aggregate []Interval `json:"aggregate,omitempty"`
	// More: the aggregate stops before the window's end (Options.Segments
	// was false and the level changes more often).
	More bool `json:"more,omitempty"`
	VMs  []VM `json:"vms"`

	// Chart is the window's mean level per column (Columns of them).
	Chart []float64 `json:"-"`
}

// Level is a workload's level declaration and range.
type Level struct {
	Param string `json:"param"`
	Unit  string `json:"unit"`
	Min   int    `json:"min"`
	Max   int    `json:"max"`
	// PerVCPUPercent: the unit is a percentage of each vCPU, so the
	// aggregate also says how many vCPUs are busy.
	PerVCPUPercent bool `json:"perVCPUPercent"`
}

// Schedule is the workload's table as pkg/profile computed it.
type Schedule struct {
	// CycleSeconds is 0 for a schedule that does not repeat.
	CycleSeconds int64         `json:"cycleSeconds"`
	Segments     []ScheduleRow `json:"segments"`
}

// ScheduleRow is one level from its offset in the cycle.
type ScheduleRow struct {
	OffsetSeconds int64 `json:"offsetSeconds"`
	Level         int   `json:"level"`
}

// Span is a stretch of time. FromSeconds and ToSeconds count from the
// workload's start; From and To are absolute RFC 3339 UTC times, given
// when the start is (--start-at).
type Span struct {
	FromSeconds int64  `json:"fromSeconds"`
	ToSeconds   int64  `json:"toSeconds"`
	From        string `json:"from,omitempty"`
	To          string `json:"to,omitempty"`
}

// VM is one VM's expected signal.
type VM struct {
	Name string `json:"name"`
	Role string `json:"role"`
	// PhaseSeconds is the VM's phase under spread (profile.Phase).
	PhaseSeconds int64     `json:"phaseSeconds"`
	Segments     []Segment `json:"segments,omitempty"`
}

// Segment is one level a VM holds over a span of the window.
type Segment struct {
	Span
	Level int `json:"level"`
	// State is idle, running or finished (profile.State).
	State profile.State `json:"state"`
}

// Interval is the aggregate over a workload's VMs while no VM changes.
type Interval struct {
	Span
	// Levels counts the VMs at each level, highest first.
	Levels []LevelCount `json:"levels"`
	// LevelSum is the levels of every VM added, in the level's unit.
	LevelSum int64 `json:"levelSum"`
	// VCPUBusy is LevelSum × vCPUs / 100, for a per-vCPU percentage.
	VCPUBusy *float64 `json:"vcpuBusy,omitempty"`
}

// LevelCount is how many VMs hold a level.
type LevelCount struct {
	Level int `json:"level"`
	VMs   int `json:"vms"`
}

// Build makes the model of a run.
func Build(o Options) (*Plan, error) {
	if o.Window < MinWindow || o.Window > MaxWindow {
		return nil, fmt.Errorf("plan: window %s is outside %s-%s", o.Window, MinWindow, MaxWindow)
	}
	cfg := o.Config
	p := &Plan{RunID: cfg.RunID, WindowSeconds: int64(o.Window / time.Second)}
	for _, wc := range cfg.Workloads {
		w, err := cfg.Registry.Lookup(wc.Name)
		if err != nil {
			return nil, err
		}
		spec := w.Spec()
		pw := Workload{Name: wc.Name, Description: spec.Description, VCPUsPerVM: wc.CPUCores, Instancetype: wc.Instancetype.String()}
		for _, vm := range o.Bundle.VMsOf(wc.Name) {
			pw.VMs = append(pw.VMs, VM{Name: vm.Name, Role: vm.Role})
		}
		pw.VMCount = len(pw.VMs)
		if lr, ok := spec.LevelRange(wc.Params); ok && wc.Profile == nil && lr.Value == 0 {
			pw.Unlimited = spec.Level.Param
		} else if ok {
			// Only the roles that carry the level produce it (network's
			// clients, not its server).
			pw.VMs = slices.DeleteFunc(pw.VMs, func(vm VM) bool { return !spec.Level.Follows(vm.Role) })
			pw.VMCount = len(pw.VMs)
			pw.Level = &Level{Param: spec.Level.Param, Unit: spec.Level.Unit, Min: lr.Min, Max: lr.Max,
				PerVCPUPercent: perVCPUPercent(spec.Level.Unit)}
			prof := profile.Default(profile.Levels{Min: lr.Min, Max: lr.Max, Default: lr.Value})
			if wc.Profile != nil {
				prof = *wc.Profile
			}
			if err := pw.shape(cfg.RunID, prof, wc.Timing, o); err != nil {
				return nil, err
			}
		}
		p.Workloads = append(p.Workloads, pw)
	}
	return p, nil
}

// perVCPUPercent reads a level's unit: "% of each vCPU busy" (cpu's) is a
// percentage of each vCPU.
func perVCPUPercent(unit string) bool {
	return strings.HasPrefix(strings.TrimSpace(unit), "% of each vCPU")
}

// shape fills the profile, timing, schedule, segments, aggregate and chart.
func (w *Workload) shape(runID string, prof profile.Profile, tm profile.Timing, o Options) error {
	window := o.Window
	s := prof.Schedule()
	w.Profile = prof.String()
	c := clock{start: tm.Start, duration: tm.Duration, window: window}
	w.Start, w.End = c.startText(), c.endText()
	w.DurationSeconds = int64(tm.Duration / time.Second)
	w.Window = ptr(c.span(0, window))
	w.Schedule = &Schedule{CycleSeconds: int64(s.Cycle / time.Second)}
	for _, seg := range s.Segments {
		w.Schedule.Segments = append(w.Schedule.Segments, ScheduleRow{int64(seg.Offset / time.Second), seg.Level})
	}
	phases := map[time.Duration]int{}
	for i := range w.VMs {
		ph := profile.Phase(runID, w.VMs[i].Name, prof.Spread, s.Cycle)
		w.VMs[i].PhaseSeconds = int64(ph / time.Second)
		phases[ph]++
	}
	byPhase, horizon, err := c.walkAll(s, phases, w.Name, o.Segments)
	if err != nil {
		return err
	}
	if o.Segments {
		for i := range w.VMs {
			w.VMs[i].Segments = byPhase[time.Duration(w.VMs[i].PhaseSeconds)*time.Second]
		}
	}
	keys := sortedKeys(phases)
	w.Aggregate = c.aggregate(byPhase, phases, keys, horizon, w.Level, w.VCPUsPerVM)
	w.More = horizon < int64(window/time.Second)
	if !o.Segments && len(w.Aggregate) > MaxLines {
		w.Aggregate, w.More = w.Aggregate[:MaxLines], true
	}
	w.Chart = c.chart(s, phases, keys)
	return nil
}

func sortedKeys(m map[time.Duration]int) []time.Duration {
	keys := make([]time.Duration, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func ptr[T any](v T) *T { return &v }
