package wait

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// failedStatuses are VM printableStatus values KubeVirt sets when a VM will
// not start without someone changing something. ErrorUnschedulable is not
// one: the scheduler retries the VM's Pod whenever nodes or their load
// change (an autoscaler adding a node, a previous run's VMs going away), so
// an unschedulable VM is waiting, with the scheduler's message.
var failedStatuses = []string{
	"ErrImagePull", "ImagePullBackOff", "ErrorDataVolumeNotFound",
	"DataVolumeError", "CrashLoopBackOff", "ErrorPvcNotFound",
}

// unschedulableStatus is the VM printableStatus while the scheduler finds
// no node for the VMI's Pod.
const unschedulableStatus = "ErrorUnschedulable"

// tracker folds watch events into per-VM state.
type tracker struct {
	opts    Options
	changed chan struct{}

	mu       sync.Mutex
	expected map[string]bool
	vms      map[string]*vmState
	// counts are the expected VMs' progress, kept as each event comes, so
	// that an event costs the same whatever the size of the run.
	counts Progress
}

// category is where a VM counts in Progress; the zero value is waiting,
// as a VM nothing is known of yet is.
type category uint8

const (
	waiting category = iota
	reached
	failed
	// unplaced is waiting for a node the scheduler cannot find: it counts
	// in Waiting and in Unschedulable, as Result.Counts does.
	unplaced
)

type vmState struct {
	namespace  string
	created    time.Time
	vmiPhase   string
	vmiReason  string
	node       string
	printable  string
	failureMsg string
	// dvFailed is why each failed DataVolume of the VM failed, by name (a
	// VM has a root and a data DataVolume with some boot sources).
	dvFailed map[string]string
	// dvReady is when each of the VM's DataVolumes turned Ready, zero
	// for one that is not.
	dvReady map[string]time.Time
	// ready is the VMI's Ready condition; notReady its message while
	// False.
	ready    bool
	notReady string
	// unschedulable is the scheduler's message while the VMI's
	// PodScheduled condition is False for reason Unschedulable.
	unschedulable string
	// The VMI's phase times; whyObserved says which field was missing
	// when one of them is observed.
	scheduledAt, runningAt, readyAt stamp
	whyObserved                     string
	seenRunning                     time.Time
	seenVM                          bool
	// cat is where the VM counted in the tracker's counts after its last
	// event.
	cat category
}

func newTracker(opts Options) *tracker {
	t := &tracker{opts: opts, changed: make(chan struct{}, 1), vms: map[string]*vmState{}}
	if len(opts.Expected) > 0 {
		t.expected = map[string]bool{}
		for _, n := range opts.Expected {
			t.expected[n] = true
		}
		t.counts = Progress{Waiting: len(t.expected), Total: len(t.expected)}
	}
	return t
}

func (t *tracker) state(name string) *vmState {
	s, ok := t.vms[name]
	if !ok {
		s = &vmState{}
		t.vms[name] = s
	}
	return s
}

func (t *tracker) observe(kind string, u *unstructured.Unstructured) {
	now := time.Now()
	t.mu.Lock()
	name := u.GetName()
	switch kind {
	case VMIResource.Resource:
		s := t.state(name)
		s.vmiPhase, _, _ = unstructured.NestedString(u.Object, "status", "phase")
		s.vmiReason, _, _ = unstructured.NestedString(u.Object, "status", "reason")
		s.node, _, _ = unstructured.NestedString(u.Object, "status", "nodeName")
		s.ready, s.notReady = readyCondition(u)
		s.unschedulable = unschedulableMessage(u)
		s.observeVMI(u, now)
		if s.vmiPhase == "Running" && s.seenRunning.IsZero() {
			s.seenRunning = now
		}
	case VMResource.Resource:
		s := t.state(name)
		s.namespace = u.GetNamespace()
		s.created = u.GetCreationTimestamp().Time
		s.printable, _, _ = unstructured.NestedString(u.Object, "status", "printableStatus")
		s.failureMsg = conditionMessage(u)
		if t.expected == nil {
			s.seenVM = true
		}
	case DVResource.Resource:
		owner := ""
		for _, ref := range u.GetOwnerReferences() {
			if ref.Kind == "VirtualMachine" {
				owner = ref.Name
			}
		}
		if owner == "" {
			break
		}
		name = owner
		s := t.state(owner)
		if s.dvReady == nil {
			s.dvReady = map[string]time.Time{}
		}
		s.dvReady[u.GetName()] = readyTime(u)
		phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
		if phase == "Failed" {
			why := fmt.Sprintf("DataVolume %s failed", u.GetName())
			if msg := conditionMessage(u); msg != "" {
				why += ": " + msg
			}
			if s.dvFailed == nil {
				s.dvFailed = map[string]string{}
			}
			s.dvFailed[u.GetName()] = why
		} else {
			delete(s.dvFailed, u.GetName())
		}
	}
	if s := t.vms[name]; s != nil && t.expected[name] {
		t.move(s, t.categorize(s))
	}
	t.mu.Unlock()
	t.notify()
}

// notify wakes the wait's loop, unless it has a wake-up pending already.
func (t *tracker) notify() {
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

// listed fixes the expected set, when none was given, to the VMs the first
// list found.
func (t *tracker) listed() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.expected != nil {
		return
	}
	t.expected = map[string]bool{}
	for name, s := range t.vms {
		if s.seenVM {
			t.expected[name] = true
			s.cat = t.categorize(s)
			t.counts.Total++
			t.count(s.cat, 1)
		}
	}
}

// categorize says where s counts for the wait's target.
func (t *tracker) categorize(s *vmState) category {
	state, _ := s.classify()
	switch {
	case state.Reached(t.opts.For):
		return reached
	case state == Failed:
		return failed
	case state == Pending && s.isUnschedulable():
		return unplaced
	}
	return waiting
}

// move recounts an expected VM that is now in category c.
func (t *tracker) move(s *vmState, c category) {
	if s.cat != c {
		t.count(s.cat, -1)
		t.count(c, 1)
		s.cat = c
	}
}

func (t *tracker) count(c category, d int) {
	switch c {
	case reached:
		t.counts.Reached += d
	case failed:
		t.counts.Failed += d
	case unplaced:
		t.counts.Waiting += d
		t.counts.Unschedulable += d
	default:
		t.counts.Waiting += d
	}
}

// progress returns the counts, and whether nothing is left to wait for,
// without going over the VMs.
func (t *tracker) progress() (Progress, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.counts, t.counts.Waiting == 0
}

func (t *tracker) result() *Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	names := make([]string, 0, len(t.expected))
	for n := range t.expected {
		names = append(names, n)
	}
	sort.Strings(names)
	res := &Result{VMs: make([]VM, 0, len(names)), Target: t.opts.For, Done: true}
	for _, n := range names {
		s := t.vms[n]
		if s == nil {
			s = &vmState{}
		}
		vm := VM{Name: n, Namespace: s.namespace, Node: s.node, Created: s.created, ScheduledAt: s.scheduledAt.at,
			RunningAt: s.runningAt.at, ReadyAt: s.readyAt.at, Observed: s.observed(), SeenRunning: s.seenRunning,
			DisksReadyAt: s.disksReady()}
		vm.State, vm.Reason = s.classify()
		vm.Unschedulable = vm.State == Pending && s.isUnschedulable()
		if vm.Reached = vm.State.Reached(t.opts.For); vm.Reached {
			vm.Reason = ""
		}
		res.Done = res.Done && !vm.Waiting()
		res.VMs = append(res.VMs, vm)
	}
	return res
}

// classify names the VM's state and, unless it is Ready, why it is not.
func (s *vmState) classify() (State, string) {
	switch {
	case s.vmiPhase == "Running" && s.ready:
		return Ready, ""
	case s.vmiPhase == "Running":
		// Booted, but the probe says the workload is not active.
		reason := "Running, workload not active"
		if s.notReady != "" {
			reason += ": " + s.notReady
		}
		return Running, reason
	case s.vmiPhase == "Failed":
		reason := "VirtualMachineInstance failed"
		if s.vmiReason != "" {
			reason += ": " + s.vmiReason
		}
		return Failed, reason
	case slices.Contains(failedStatuses, s.printable):
		reason := s.printable
		if s.failureMsg != "" {
			reason += ": " + s.failureMsg
		}
		return Failed, reason
	case len(s.dvFailed) > 0:
		return Failed, s.dvFailed[slices.Min(slices.Collect(maps.Keys(s.dvFailed)))]
	}
	return Pending, waitingReason(s)
}

// isUnschedulable reports whether the scheduler found no node for the VM:
// the VMI's condition says so, or the VM's status when the VMI is not seen.
func (s *vmState) isUnschedulable() bool {
	return s.vmiPhase != "Running" && (s.unschedulable != "" || s.printable == unschedulableStatus)
}

func waitingReason(s *vmState) string {
	switch {
	case s.isUnschedulable():
		// The scheduler's own words: "0/4 nodes are available: ...".
		msg := s.unschedulable
		if msg == "" {
			msg = s.failureMsg
		}
		return strings.TrimSuffix("Unschedulable: "+msg, ": ")
	case s.printable != "":
		return s.printable
	case s.vmiPhase != "":
		return "VMI " + s.vmiPhase
	}
	return "not created yet"
}

// readyCondition reads a VMI's Ready condition: whether it is True, and
// its message when it is not.
func readyCondition(u *unstructured.Unstructured) (bool, string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != "Ready" {
			continue
		}
		msg, _ := m["message"].(string)
		return m["status"] == "True", msg
	}
	return false, ""
}

// unschedulableMessage returns the message of a VMI's PodScheduled
// condition while it is False for reason Unschedulable: what KubeVirt
// copies from the scheduler's verdict on the VMI's Pod.
func unschedulableMessage(u *unstructured.Unstructured) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == "PodScheduled" && m["status"] == "False" && m["reason"] == "Unschedulable" {
			msg, _ := m["message"].(string)
			return msg
		}
	}
	return ""
}

// conditionMessage returns the message of the object's failure condition:
// one of type Failure or Ready/Running with status False and a message.
func conditionMessage(u *unstructured.Unstructured) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	var msgs []string
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		typ, _ := m["type"].(string)
		status, _ := m["status"].(string)
		msg, _ := m["message"].(string)
		if msg == "" {
			continue
		}
		if typ == "Failure" && status == "True" || (typ == "Ready" || typ == "Running" || typ == "PodScheduled") && status == "False" {
			msgs = append(msgs, msg)
		}
	}
	return strings.Join(msgs, "; ")
}
