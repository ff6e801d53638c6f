package wait

import "time"

// State is where a VM stands, named for what it is, whatever the wait
// waits for.
type State string

// The states, in the order a VM passes through them.
const (
	// Pending: not running yet (being created, scheduled, its disk
	// imported, or booting).
	Pending State = "pending"
	// Running: the VMI runs, but its readiness probe has not (yet) found
	// the workload's unit active.
	Running State = "running"
	// Ready: the VMI runs and its readiness probe found the workload's
	// unit active.
	Ready State = "ready"
	// Failed: the VM will not start without someone changing something.
	Failed State = "failed"
)

// Target is the state a wait waits for.
type Target string

// The targets.
const (
	// ForReady waits for the VMI's Ready condition: its readiness probe,
	// which asks the guest whether the workload's unit is active,
	// succeeded. The default.
	ForReady Target = "ready"
	// ForRunning waits for the VMI's phase Running: the VM booted,
	// whatever runs in it.
	ForRunning Target = "running"
)

// Reached reports whether a VM in state s has nothing left to wait for
// when the wait is for target ("" is ForReady).
func (s State) Reached(target Target) bool {
	return s == Ready || s == Running && target == ForRunning
}

// VM is one VM's state.
type VM struct {
	Name string
	// Namespace is where the VM is, once the wait saw it.
	Namespace string
	State     State
	// Reached reports that State is the wait's target, or past it.
	Reached bool
	// Reason says why a VM failed or, when it has not reached the
	// target, what it is waiting in.
	Reason string
	// Unschedulable reports a waiting VM for whose Pod the scheduler finds
	// no node; Reason then carries the scheduler's message. It is waiting,
	// not failed: the scheduler tries again as nodes or their load change.
	Unschedulable bool
	Node          string
	// Created is the VM's creationTimestamp; ScheduledAt and RunningAt
	// are its VMI's phaseTransitionTimestamps for Scheduled and Running,
	// ReadyAt the lastTransitionTime of the VMI's Ready condition (the
	// workload active): all the API server's times, not the plugin's.
	// Zero when the VM has not got there.
	Created, ScheduledAt, RunningAt, ReadyAt time.Time
	// DisksReadyAt is when the last of the VM's DataVolumes turned Ready
	// (its Ready condition's lastTransitionTime), zero while one is not,
	// or when the wait does not follow DataVolumes.
	DisksReadyAt time.Time
	// Observed, when not empty, says why some of those times are when
	// the wait saw the VM get there instead (an object that lacked the
	// field): such times depend on when the watch delivered the event.
	Observed string
	// SeenRunning is when the wait first saw the VMI Running, by the
	// plugin's clock: how late the watch delivers (a benchmark reads it).
	SeenRunning time.Time
}

// Waiting reports that the VM has neither reached the target nor failed.
func (v VM) Waiting() bool { return !v.Reached && v.State != Failed }

// TimeToRunning is RunningAt-Created, 0 when the VM has not run.
func (v VM) TimeToRunning() time.Duration { return since(v.Created, v.RunningAt) }

// TimeToReady is ReadyAt-Created, 0 when the VM has not been ready.
func (v VM) TimeToReady() time.Duration { return since(v.Created, v.ReadyAt) }

func since(start, at time.Time) time.Duration {
	if start.IsZero() || at.IsZero() {
		return 0
	}
	return at.Sub(start)
}

// Progress is a snapshot of the counts: VMs that reached the target, that
// failed for good, and that are still waiting for one or the other, of
// which Unschedulable wait for a node.
type Progress struct {
	Reached, Failed, Waiting, Total int
	Unschedulable                   int
}

// Result is the state of every VM when ForRun or Snapshot returned.
type Result struct {
	VMs []VM // sorted by name
	// Target is what the wait waited for.
	Target Target
	// Done reports that every VM reached the target or failed.
	Done bool
}

// Counts returns the result's progress counts.
func (r *Result) Counts() Progress {
	p := Progress{Total: len(r.VMs)}
	for _, v := range r.VMs {
		switch {
		case v.Reached:
			p.Reached++
		case v.State == Failed:
			p.Failed++
		default:
			p.Waiting++
			if v.Unschedulable {
				p.Unschedulable++
			}
		}
	}
	return p
}
