package audit

import (
	"encoding/json"
	"fmt"
	"time"
)

// Status is where an invocation ended up, worded for people reading the
// history.
type Status string

// The statuses an invocation can have. InProgress is the only one Start
// sets; it stays when the process dies before Finish, which is how a
// crashed or killed run shows up.
const (
	InProgress  Status = "in progress"
	Succeeded   Status = "succeeded"
	Failed      Status = "failed"
	Interrupted Status = "interrupted"
	NotReady    Status = "not ready"
	// ThresholdExceeded: every VM got there, but a latency quantile is
	// over its --threshold.
	ThresholdExceeded Status = "threshold exceeded"
)

// The commands an Invocation records. Cleanups are told apart from other
// commands when linking runs to what removed them.
const (
	CommandApply   = "apply"
	CommandCleanup = "cleanup"
)

// final reports whether Finish may set s.
func (s Status) final() bool {
	switch s {
	case Succeeded, Failed, Interrupted, NotReady, ThresholdExceeded:
		return true
	}
	return false
}

// Invocation is one command run (an apply or a cleanup). The same run id
// may be applied several times (re-apply), so each invocation gets its own
// ID.
//
// Nothing in an Invocation may be a secret: the store writes it as given
// to a file that outlives the run. Options says whether a sensitive
// setting was used ("ssh-auth": "true"), never its value.
type Invocation struct {
	ID          int64     `json:"id"`              // assigned by Start
	RunID       string    `json:"runID,omitempty"` // the run's UUID ("" for cleanup --all)
	Command     string    `json:"command"`         // CommandApply, CommandCleanup
	Status      Status    `json:"status"`
	StartedAt   time.Time `json:"startedAt"`  // Start uses the current time when zero
	FinishedAt  time.Time `json:"finishedAt"` // set by Finish; zero while in progress
	KubeContext string    `json:"kubeContext,omitempty"`
	Server      string    `json:"server,omitempty"`
	Namespace   string    `json:"namespace,omitempty"`
	// Namespaces are those of a run spread over several (--namespaces),
	// Namespace being the first; empty for a run in Namespace alone.
	Namespaces []string          `json:"namespaces,omitempty"`
	Image      string            `json:"image,omitempty"`
	Workloads  []string          `json:"workloads,omitempty"`
	Options    map[string]string `json:"options,omitempty"` // flags and settings, without secrets
	Counts     map[string]int    `json:"counts,omitempty"`  // e.g. "VirtualMachine/created": 3, "vms/ready": 3
	Error      string            `json:"error,omitempty"`
}

// Object is what happened to one applied or deleted Kubernetes object.
type Object struct {
	Kind      string    `json:"kind"`
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
	Outcome   string    `json:"outcome"` // e.g. "created", "configured", "unchanged", "deleted"
	Error     string    `json:"error,omitempty"`
	At        time.Time `json:"at"` // RecordObjects uses the current time when zero
}

// VM is how far one VirtualMachine of an invocation got. A zero time means
// that step has not happened (yet).
//
// CreatedAt is the VM's creationTimestamp, ScheduledAt and RunningAt its
// VMI's phase transition times, ReadyAt when its Ready condition turned
// True: the API server's times. Observed, when not empty, says why some of
// them are when the plugin saw the VM get there instead.
type VM struct {
	Name        string    `json:"name"`
	CreatedAt   time.Time `json:"createdAt"`
	ScheduledAt time.Time `json:"scheduledAt"`
	RunningAt   time.Time `json:"runningAt"`
	ReadyAt     time.Time `json:"readyAt"`
	// DisksReadyAt is when the last of its DataVolumes turned Ready.
	DisksReadyAt time.Time `json:"disksReadyAt"`
	FailedAt     time.Time `json:"failedAt"`
	Reason       string    `json:"reason,omitempty"` // why it failed or is not ready
	Observed     string    `json:"observed,omitempty"`
}

// EventRecord is one progress message of an invocation.
type EventRecord struct {
	At      time.Time `json:"at"`
	Message string    `json:"message"`
}

// Detail is an invocation with everything recorded about it.
type Detail struct {
	Invocation Invocation    `json:"invocation"`
	Objects    []Object      `json:"objects"` // in the order recorded
	VMs        []VM          `json:"vms"`     // by name
	Events     []EventRecord `json:"events"`  // oldest first
	// Disruptions are the day-2 events a disrupt invocation carried out,
	// oldest first.
	Disruptions []Disruption `json:"disruptions,omitempty"`
	// CleanedBy lists the cleanup invocations, started after this one,
	// that removed its run, oldest first. A cleanup that ran before a
	// re-apply did not remove what the re-apply created, so it is not here.
	CleanedBy []int64 `json:"cleanedBy,omitempty"`
	// Removed lists, for a cleanup, the run ids it removed, sorted.
	Removed []string `json:"removed,omitempty"`
}

// timeLayout is how times are stored: UTC, fixed width with nanoseconds,
// so text order is time order and nothing is rounded away.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// formatTime renders t for storage; the zero time becomes NULL.
func formatTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

// parseTime reads a stored time; NULL or "" is the zero time.
func parseTime(s *string) (time.Time, error) {
	if s == nil || *s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, *s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parsing stored time %q: %w", *s, err)
	}
	return t, nil
}

// toJSON encodes a list or map column. Empty ones are stored as "[]" or
// "{}" rather than "null", so the column reads the same from sqlite3.
func toJSON[T any](v T, empty string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	if string(b) == "null" {
		return empty, nil
	}
	return string(b), nil
}
