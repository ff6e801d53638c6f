package disrupt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/dynamic"

	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/progress"
)

// Sentinel errors the command maps to exit codes.
var (
	// ErrNoRun: the cluster holds no VM of the run; nothing was done.
	ErrNoRun = errors.New("no VM of the run found")
	// ErrFailed: at least one event failed or timed out.
	ErrFailed = errors.New("a disruption failed")
	// ErrInterrupted: Ctrl-C stopped the scheduling of new events.
	ErrInterrupted = errors.New("interrupted")
)

// Options are one disrupt of a run.
type Options struct {
	Client dynamic.Interface
	// RestartVM, when set, restarts a VM through the restart subresource
	// (served by virt-api); when nil a restart deletes the VMI and the
	// VM's runStrategy Always brings a new one.
	RestartVM func(ctx context.Context, namespace, name string) error
	Target
	Schedule
	// DownFor is how long a stop/start keeps the VM stopped.
	DownFor time.Duration
	Seed    uint64
	// MaxConcurrent bounds the events running at once.
	MaxConcurrent int
	// StopOnFailure stops scheduling after the first failed event.
	StopOnFailure bool
	// Timeout bounds each event (a stop/start's DownFor comes on top).
	Timeout time.Duration
	// Poll is how often an event's objects are read; 0 means every half
	// second, which is also the resolution of the durations measured.
	Poll time.Duration
	// AuditDB is the audit history each event is recorded in ("" for
	// none); Server, KubeContext and Settings describe the invocation
	// there (Settings: the flags, none of them secret).
	AuditDB, Server, KubeContext string
	Settings                     map[string]string
	// Log receives the progress line and warnings.
	Log io.Writer
}

// runner is one Run in progress.
type runner struct {
	o       Options
	mu      sync.Mutex
	busy    map[string]bool
	events  []audit.Disruption
	running int
	rec     *audit.Recorder
	failed  atomic.Bool
	// denial is the first missing permission an event met; it ends the
	// schedule and is the command's error.
	denial   error
	line     *progress.Line
	round    int
	interval time.Duration
}

// Run carries out the schedule on the run's VMs and returns what happened
// to each event. Ctrl-C (ctx ending) stops the scheduling of new events;
// those running go on to their end (bounded by Timeout), are reported,
// and Run returns ErrInterrupted. A failed event makes it return
// ErrFailed, after the remaining rounds unless StopOnFailure.
func Run(ctx context.Context, o Options) (*Summary, error) {
	r := &runner{o: o, busy: map[string]bool{}, line: progress.New(o.Log), interval: o.Poll}
	if r.interval <= 0 {
		r.interval = 500 * time.Millisecond
	}
	inv, err := inventory(ctx, o.Client, o.Target)
	switch {
	case ctx.Err() != nil:
		return nil, ErrInterrupted // before anything was done
	case err != nil:
		return nil, err
	case inv.Total == 0:
		return nil, fmt.Errorf("%w: run %s has no VirtualMachine in %s", ErrNoRun, o.RunID, o.where())
	}
	inv0 := audit.Invocation{RunID: o.RunID, Command: audit.CommandDisrupt, Server: o.Server, KubeContext: o.KubeContext,
		Namespace: o.Namespace, Namespaces: o.Namespaces, Options: o.Settings, Counts: map[string]int{"vms/total": inv.Total}}
	if r.rec, err = audit.StartRecorder(ctx, o.AuditDB, inv0, o.Log); err != nil {
		return nil, err
	}
	sem := make(chan struct{}, max(1, o.MaxConcurrent))
	var wg sync.WaitGroup
	interrupted := r.schedule(ctx, inv, time.Now(), sem, &wg)
	wg.Wait()
	sum := summarize(o.RunID, o.Seed, r.round, r.events)
	r.line.Finish(r.status())
	err, status := nil, audit.Succeeded
	switch {
	case r.denied() != nil:
		err, status = r.denied(), audit.Failed
	case interrupted:
		sum.Interrupted = true
		err, status = ErrInterrupted, audit.Interrupted
	case sum.failures() > 0:
		err, status = fmt.Errorf("%w: %d of %d events did not succeed", ErrFailed, sum.failures(), len(r.events)), audit.Failed
	}
	r.rec.Finish(status, sum.counts(), err)
	return sum, err
}

// schedule starts each round's events at start + i*Every and reports
// whether ctx ended before the schedule did.
func (r *runner) schedule(ctx context.Context, inv *Inventory, start time.Time, sem chan struct{}, wg *sync.WaitGroup) bool {
	for round := 0; round < r.o.Rounds; round++ {
		if round > 0 {
			t := time.NewTimer(time.Until(start.Add(time.Duration(round) * r.o.Every)))
			select {
			case <-ctx.Done():
				t.Stop()
				return true
			case <-t.C:
			}
			var err error
			if inv, err = inventory(ctx, r.o.Client, r.o.Target); err != nil {
				if ctx.Err() != nil {
					return true
				}
				fmt.Fprintf(r.o.Log, "warning: round %d skipped: %v\n", round+1, err)
				continue
			}
		}
		if r.stopped() {
			return false
		}
		r.mu.Lock()
		r.round = round + 1
		choices := choose(r.o.Seed, round, inv.Total, inv.Running, r.o.Percent, func(key string) bool { return r.busy[key] })
		r.mu.Unlock()
		for _, c := range choices {
			select {
			case <-ctx.Done():
				return true
			case sem <- struct{}{}:
			}
			if r.stopped() {
				<-sem
				return false
			}
			r.begin(c)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				r.finish(r.carryOut(ctx, c))
			}()
		}
	}
	return ctx.Err() != nil
}

// carryOut runs one event with a deadline of its own: Ctrl-C does not
// cut an event short, so a stopped VM is always started again.
func (r *runner) carryOut(ctx context.Context, c Choice) audit.Disruption {
	limit := r.o.Timeout
	if c.Kind == StopStart {
		limit += r.o.DownFor
	}
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), limit)
	defer cancel()
	d := audit.Disruption{RunID: r.o.RunID, Namespace: c.Namespace, VM: c.VM, Kind: string(c.Kind), Start: time.Now(), SourceNode: c.Node}
	ev := &event{r: r, c: c, d: &d, down: downtime{start: d.Start}}
	switch c.Kind {
	case Migrate:
		ev.migrate(ectx)
	case Restart:
		ev.restart(ectx)
	case StopStart:
		ev.stopStart(ectx)
	}
	d.End = time.Now()
	d.Downtime = ev.down.total(d.End)
	return d
}

// stopped reports whether no new event may start: a permission is
// missing, or an event failed with --on-failure stop.
func (r *runner) stopped() bool {
	return r.denied() != nil || r.o.StopOnFailure && r.failed.Load()
}

func (r *runner) deny(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.denial == nil {
		r.denial = err
	}
}

func (r *runner) denied() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.denial
}

func (r *runner) begin(c Choice) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.busy[c.Namespace+"/"+c.VM] = true
	r.running++
	r.line.Update(r.statusLocked())
}

func (r *runner) finish(d audit.Disruption) {
	r.rec.Disruption(d)
	if d.Outcome != OutcomeSucceeded {
		r.failed.Store(true)
		r.rec.Event("%s %s/%s %s: %s", d.Kind, d.Namespace, d.VM, d.Outcome, d.Reason)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.busy, d.Namespace+"/"+d.VM)
	r.running--
	r.events = append(r.events, d)
	r.line.Update(r.statusLocked())
}

func (r *runner) status() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.statusLocked()
}

func (r *runner) statusLocked() string {
	ok := 0
	for _, d := range r.events {
		if d.Outcome == OutcomeSucceeded {
			ok++
		}
	}
	return fmt.Sprintf("round %d/%d: %d running, %d succeeded, %d failed", r.round, r.o.Rounds, r.running, ok, len(r.events)-ok)
}

func (o Options) where() string {
	switch {
	case len(o.Namespaces) > 1:
		return fmt.Sprintf("namespaces %v", o.Namespaces)
	case o.Namespace == "":
		return "any namespace"
	}
	return "namespace " + o.Namespace
}
