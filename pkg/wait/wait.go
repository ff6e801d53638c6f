package wait

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
)

// The resources a run is followed through.
var (
	VMIResource = schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachineinstances"}
	VMResource  = schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachines"}
	DVResource  = schema.GroupVersionResource{Group: "cdi.kubevirt.io", Version: "v1beta1", Resource: "datavolumes"}
)

// Phase is where a VM stands.
type Phase string

// Phases.
const (
	Waiting Phase = "waiting"
	Ready   Phase = "ready"
	Failed  Phase = "failed"
)

// failedStatuses are VM printableStatus values KubeVirt sets when a VM will
// not start without someone changing something.
var failedStatuses = []string{
	"ErrorUnschedulable", "ErrImagePull", "ImagePullBackOff", "ErrorDataVolumeNotFound",
	"DataVolumeError", "CrashLoopBackOff", "ErrorPvcNotFound",
}

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

// VM is one VM's state.
type VM struct {
	Name string
	// Phase is Ready once the VM reached the wait's Target.
	Phase Phase
	// Reason says why a VM failed, or what it is waiting in.
	Reason string
	Node   string
	// Started is when the VM was applied (or created, when re-attaching).
	Started time.Time
	// RunningAt is when its VMI was first seen Running; ReadyAt when it
	// was first seen Ready (the workload active). Zero when not seen.
	RunningAt, ReadyAt time.Time
}

// TimeToRunning is RunningAt-Started, 0 when the VM was not seen Running.
func (v VM) TimeToRunning() time.Duration { return since(v.Started, v.RunningAt) }

// TimeToReady is ReadyAt-Started, 0 when the VM was not seen Ready.
func (v VM) TimeToReady() time.Duration { return since(v.Started, v.ReadyAt) }

func since(start, at time.Time) time.Duration {
	if start.IsZero() || at.IsZero() {
		return 0
	}
	return at.Sub(start)
}

// Options say which run to follow.
type Options struct {
	Namespace, RunID string
	// Expected lists the run's VMs; when empty, the VMs the cluster has
	// for the run once the first list is in.
	Expected []string
	// Started gives each VM's apply time; VMs without one use their
	// creationTimestamp.
	Started map[string]time.Time
	// DataVolumes follows the run's DataVolumes too (runs with data disks).
	DataVolumes bool
	// For is what counts as done; "" means ForReady.
	For Target
	// Progress, when set, is called with the counts after every change
	// and every Tick.
	Progress func(Progress)
	Tick     time.Duration
}

// Progress is a snapshot of the counts.
type Progress struct {
	Ready, Failed, Waiting, Total int
}

// Result is the state of every VM when ForRun returned.
type Result struct {
	VMs []VM // sorted by name
	// Done reports that every VM is ready or failed.
	Done bool
}

// Counts returns the result's progress counts.
func (r *Result) Counts() Progress { return count(r.VMs) }

// ForRun follows the run until every VM is ready or failed, or ctx ends;
// then it returns what it saw (Done false when ctx ended first).
func ForRun(ctx context.Context, client dynamic.Interface, opts Options) (*Result, error) {
	if opts.Tick <= 0 {
		opts.Tick = time.Second
	}
	t := newTracker(opts)
	factory := dynamicinformer.NewFilteredDynamicSharedInformerFactory(client, 0, opts.Namespace, func(lo *metav1.ListOptions) {
		lo.LabelSelector = labels.Selector(opts.RunID)
	})
	resources := []schema.GroupVersionResource{VMIResource, VMResource}
	if opts.DataVolumes {
		resources = append(resources, DVResource)
	}
	var synced []cache.InformerSynced
	// A refused list or watch is retried by the informer for ever; a
	// missing permission will not appear by waiting, so it ends the wait.
	denied := make(chan error, len(resources))
	for _, gvr := range resources {
		inf := factory.ForResource(gvr).Informer()
		kind := gvr.Resource
		if err := inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, r *cache.Reflector, err error) {
			if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
				select {
				case denied <- fmt.Errorf("watching %s: %w", kind, access.Explain(err)):
				default:
				}
				return
			}
			cache.DefaultWatchErrorHandler(ctx, r, err)
		}); err != nil {
			return nil, fmt.Errorf("watching %s: %w", gvr.Resource, err)
		}
		handle := func(obj any) {
			if u, ok := obj.(*unstructured.Unstructured); ok {
				t.observe(kind, u)
			}
		}
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    handle,
			UpdateFunc: func(_, obj any) { handle(obj) },
		}); err != nil {
			return nil, fmt.Errorf("watching %s: %w", gvr.Resource, err)
		}
		synced = append(synced, inf.HasSynced)
	}
	wctx, stop := context.WithCancel(ctx)
	factory.Start(wctx.Done())
	defer func() {
		stop() // Shutdown waits for the informers, which stop on this
		factory.Shutdown()
	}()

	listed := false
	tick := time.NewTicker(opts.Tick)
	defer tick.Stop()
	for {
		// Stopped by ctx too: a Ctrl-C or --timeout before the first list
		// came in must end the wait, not block it for good; and by a
		// refusal, which would keep it from ever coming in.
		if !listed && cache.WaitForCacheSync(syncStop(wctx, denied), synced...) {
			listed = true
			t.listed()
		}
		res := t.result()
		if opts.Progress != nil {
			opts.Progress(res.Counts())
		}
		if listed && res.Done {
			return res, nil
		}
		select {
		case err := <-denied:
			return nil, err
		case <-ctx.Done():
			return res, nil
		case <-t.changed:
		case <-tick.C:
		}
	}
}

// syncStop closes when ctx ends or a refusal arrives on denied (which it
// puts back for the caller's select).
func syncStop(ctx context.Context, denied chan error) <-chan struct{} {
	stop := make(chan struct{})
	go func() {
		defer close(stop)
		select {
		case <-ctx.Done():
		case err := <-denied:
			denied <- err
		}
	}()
	return stop
}

// Snapshot lists the run's objects once and returns each VM's state now,
// classified exactly as ForRun would; for status, which does not wait.
func Snapshot(ctx context.Context, client dynamic.Interface, opts Options) (*Result, error) {
	t := newTracker(opts)
	resources := []schema.GroupVersionResource{VMResource, VMIResource}
	if opts.DataVolumes {
		resources = append(resources, DVResource)
	}
	for _, gvr := range resources {
		list, err := client.Resource(gvr).Namespace(opts.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.Selector(opts.RunID)})
		if err != nil {
			return nil, fmt.Errorf("listing the run's %s: %w", gvr.Resource, access.Explain(err))
		}
		for i := range list.Items {
			t.observe(gvr.Resource, &list.Items[i])
		}
	}
	t.listed()
	return t.result(), nil
}

// tracker folds watch events into per-VM state.
type tracker struct {
	opts    Options
	changed chan struct{}

	mu       sync.Mutex
	expected map[string]bool
	vms      map[string]*vmState
}

type vmState struct {
	created    time.Time
	vmiPhase   string
	vmiReason  string
	node       string
	printable  string
	failureMsg string
	dvFailed   string
	runningAt  time.Time
	// ready is the VMI's Ready condition; notReady its message while
	// False.
	ready    bool
	notReady string
	readyAt  time.Time
	seenVM   bool
}

func newTracker(opts Options) *tracker {
	t := &tracker{opts: opts, changed: make(chan struct{}, 1), vms: map[string]*vmState{}}
	if len(opts.Expected) > 0 {
		t.expected = map[string]bool{}
		for _, n := range opts.Expected {
			t.expected[n] = true
		}
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
	switch kind {
	case VMIResource.Resource:
		s := t.state(u.GetName())
		s.vmiPhase, _, _ = unstructured.NestedString(u.Object, "status", "phase")
		s.vmiReason, _, _ = unstructured.NestedString(u.Object, "status", "reason")
		s.node, _, _ = unstructured.NestedString(u.Object, "status", "nodeName")
		s.ready, s.notReady = readyCondition(u)
		if s.vmiPhase == "Running" && s.runningAt.IsZero() {
			s.runningAt = now
		}
		if s.vmiPhase == "Running" && s.ready && s.readyAt.IsZero() {
			s.readyAt = now
		}
	case VMResource.Resource:
		s := t.state(u.GetName())
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
		s := t.state(owner)
		phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
		if phase == "Failed" {
			s.dvFailed = fmt.Sprintf("DataVolume %s failed", u.GetName())
			if msg := conditionMessage(u); msg != "" {
				s.dvFailed += ": " + msg
			}
		} else {
			s.dvFailed = ""
		}
	}
	t.mu.Unlock()
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
		}
	}
}

func (t *tracker) result() *Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	names := make([]string, 0, len(t.expected))
	for n := range t.expected {
		names = append(names, n)
	}
	sort.Strings(names)
	res := &Result{VMs: make([]VM, 0, len(names))}
	for _, n := range names {
		s := t.vms[n]
		if s == nil {
			s = &vmState{}
		}
		vm := VM{Name: n, Phase: Waiting, Node: s.node, Started: t.opts.Started[n], RunningAt: s.runningAt, ReadyAt: s.readyAt}
		if vm.Started.IsZero() {
			vm.Started = s.created
		}
		switch {
		case s.vmiPhase == "Running" && (t.opts.For == ForRunning || s.ready):
			vm.Phase = Ready
		case s.vmiPhase == "Running":
			// Booted, but the probe says the workload is not active.
			vm.Reason = "Running, workload not active"
			if s.notReady != "" {
				vm.Reason += ": " + s.notReady
			}
		case s.vmiPhase == "Failed":
			vm.Phase, vm.Reason = Failed, "VirtualMachineInstance failed"
			if s.vmiReason != "" {
				vm.Reason += ": " + s.vmiReason
			}
		case slices.Contains(failedStatuses, s.printable):
			vm.Phase, vm.Reason = Failed, s.printable
			if s.failureMsg != "" {
				vm.Reason += ": " + s.failureMsg
			}
		case s.dvFailed != "":
			vm.Phase, vm.Reason = Failed, s.dvFailed
		default:
			vm.Reason = waitingReason(s)
		}
		res.VMs = append(res.VMs, vm)
	}
	c := count(res.VMs)
	res.Done = c.Waiting == 0
	return res
}

func waitingReason(s *vmState) string {
	switch {
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

func count(vms []VM) Progress {
	p := Progress{Total: len(vms)}
	for _, v := range vms {
		switch v.Phase {
		case Ready:
			p.Ready++
		case Failed:
			p.Failed++
		default:
			p.Waiting++
		}
	}
	return p
}

// Percentiles returns the p50, p95 and max of of(vm) over the VMs for which
// it is not zero; use VM.TimeToRunning or VM.TimeToReady.
func (r *Result) Percentiles(of func(VM) time.Duration) (p50, p95, worst time.Duration) {
	var ds []time.Duration
	for _, v := range r.VMs {
		if d := of(v); d > 0 {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return 0, 0, 0
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration {
		i := int(q*float64(len(ds))+0.999999) - 1
		return ds[max(0, min(i, len(ds)-1))]
	}
	return at(0.50), at(0.95), ds[len(ds)-1]
}
