package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/virtwork/kubectl-virtwork/pkg/apply"
	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/progress"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/report"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// Sentinel errors that the commands map to their own exit codes.
var (
	// ErrNotReady: everything was applied, but not every VM reached the
	// target (some failed, or the timeout passed).
	ErrNotReady = errors.New("not every VM became ready")
	// ErrInterrupted: the caller's context was cancelled (Ctrl-C).
	ErrInterrupted = errors.New("interrupted")
	// ErrThresholdExceeded: every VM reached the target, but a latency
	// quantile is over its --threshold.
	ErrThresholdExceeded = errors.New("latency threshold exceeded")
)

// judge checks the wait's latencies against thresholds: ErrThresholdExceeded
// naming each quantile over its limit, or nil.
func judge(sum *report.Summary, thresholds []config.Threshold) error {
	if exceeded := sum.CheckThresholds(thresholds); len(exceeded) > 0 {
		return fmt.Errorf("%w: %s", ErrThresholdExceeded, report.Breaches(exceeded))
	}
	return nil
}

// Options are one apply of a rendered run.
type Options struct {
	Client dynamic.Interface
	Mapper meta.RESTMapper
	// Kube asks the preflight questions; unused with SkipPreflight.
	Kube kubernetes.Interface

	Config *config.Config
	Bundle *render.Bundle

	// ServerDryRun sends every request as a dry run.
	ServerDryRun   bool
	ForceConflicts bool
	Concurrency    int
	// NoWait returns once everything is applied.
	NoWait bool
	For    wait.Target
	// SkipPreflight applies without checking first.
	SkipPreflight bool

	// AuditDB is the history to record in; "" records nothing.
	AuditDB string
	// KubeContext and Server are recorded with the invocation.
	KubeContext, Server string
	// Log receives progress, warnings and a failed preflight's checklist.
	Log io.Writer
}

// Apply checks, applies and waits for o.Bundle, within o.Config.Timeout
// for the whole of it, recording each step in the audit history. The
// summary is nil only when nothing was applied (a failed preflight, an
// unusable history); otherwise it describes whatever happened, also
// alongside an error, which is ErrNotReady or ErrInterrupted when those
// are why.
func Apply(ctx context.Context, o Options) (*report.Summary, error) {
	// The timeout bounds the whole command — checks, applying and waiting —
	// so a server that stops answering cannot hold it in retries longer.
	dctx, cancel := context.WithTimeout(ctx, o.Config.Timeout)
	defer cancel()
	if !o.SkipPreflight {
		if err := o.preflight(dctx); err != nil {
			return nil, err
		}
	}
	rec, err := audit.StartRecorder(ctx, o.AuditDB, invocation(o), o.Log)
	if err != nil {
		return nil, err
	}
	l := &lifecycle{o: o, rec: rec, sum: report.NewSummary(o.Bundle.RunID, o.Bundle.Namespace, o.Config.RootDisk(), o.ServerDryRun)}
	l.sum.SpreadOver(o.Bundle.Namespaces)
	return l.sum, l.finish(l.run(ctx, dctx))
}

// lifecycle is one Apply under way.
type lifecycle struct {
	o   Options
	rec *audit.Recorder
	sum *report.Summary
}

// run applies and waits; ctx is the caller's, dctx carries the timeout.
func (l *lifecycle) run(ctx, dctx context.Context) error {
	b := l.o.Bundle
	rep, applyErr := l.apply(dctx)
	if ctx.Err() != nil || dctx.Err() != nil || applyErr != nil {
		l.sum.Incomplete()
	}
	switch {
	case ctx.Err() != nil:
		return ErrInterrupted
	case dctx.Err() != nil:
		return fmt.Errorf("applying run %s: --timeout %s passed with %d of %d objects applied", b.RunID, l.o.Config.Timeout, len(rep.Results)-len(rep.Failures()), b.Len())
	case applyErr != nil:
		return applyErr
	case l.o.ServerDryRun || l.o.NoWait:
		return nil
	}
	res, err := follow(dctx, l.o.Client, l.o.Log, wait.Options{
		Namespace:   b.Namespace,
		Namespaces:  b.Namespaces,
		RunID:       b.RunID,
		Expected:    b.VMNames(),
		DataVolumes: b.HasDataVolumes(),
		For:         l.o.For,
	})
	if err != nil {
		return err
	}
	l.sum.AddWait(res)
	l.rec.VMs(vmRecords(res, time.Now()))
	c := res.Counts()
	l.rec.Event("wait ended: %d ready, %d failed, %d waiting", c.Reached, c.Failed, c.Waiting)
	switch {
	case ctx.Err() != nil:
		return ErrInterrupted
	case !res.Done || c.Failed > 0:
		return ErrNotReady
	}
	return judge(l.sum, l.o.Config.Thresholds)
}

// apply sends the bundle with a progress line and records each object.
func (l *lifecycle) apply(ctx context.Context) (*apply.Report, error) {
	b := l.o.Bundle
	l.rec.Event("apply started: %d objects", b.Len())
	prog := progress.New(l.o.Log)
	total := b.Len()
	var done atomic.Int64
	applier := apply.New(l.o.Client, l.o.Mapper, apply.Options{
		Force:       l.o.ForceConflicts,
		DryRun:      l.o.ServerDryRun,
		Concurrency: l.o.Concurrency,
		OnResult: func(r apply.Result) {
			l.rec.Object(objectRecord(r))
			prog.Update(fmt.Sprintf("applying run %s: %d/%d objects", b.RunID, done.Add(1), total))
		},
	})
	start := time.Now()
	rep, err := applier.Apply(ctx, b.Objects())
	took := time.Since(start)
	l.sum.AddApply(rep, took)
	l.rec.Event("applied %d objects, %d failed, %d not attempted, in %s", len(rep.Results), len(rep.Failures()), rep.NotAttempted, took.Round(time.Millisecond))
	prog.Finish(fmt.Sprintf("applied %d/%d objects of run %s in %s", len(rep.Results)-len(rep.Failures()), total, b.RunID, time.Since(start).Round(time.Millisecond)))
	return rep, err
}

// finish records the outcome in the summary and the history, and returns
// err.
func (l *lifecycle) finish(err error) error {
	if err != nil && !errors.Is(err, ErrInterrupted) && !errors.Is(err, ErrNotReady) {
		l.sum.Error = err.Error()
	}
	status := audit.Succeeded
	switch {
	case errors.Is(err, ErrInterrupted):
		status = audit.Interrupted
		l.sum.Interrupted = true
		l.rec.Event("interrupted")
	case errors.Is(err, ErrNotReady):
		status = audit.NotReady
	case errors.Is(err, ErrThresholdExceeded):
		status = audit.ThresholdExceeded
	case err != nil:
		status = audit.Failed
	}
	l.rec.Finish(status, l.sum.Counts(), err)
	return err
}

// follow waits for a run with a progress line on w.
func follow(ctx context.Context, client dynamic.Interface, w io.Writer, opts wait.Options) (*wait.Result, error) {
	prog := progress.New(w)
	start := time.Now()
	word := "ready"
	if opts.For == wait.ForRunning {
		word = "running"
	}
	line := func(p wait.Progress) string {
		unschedulable := ""
		if p.Unschedulable > 0 {
			// Said at once: the scheduler's reasons are in the summary,
			// and the wait goes on until --timeout.
			unschedulable = fmt.Sprintf(", %d unschedulable", p.Unschedulable)
		}
		return fmt.Sprintf("waiting for run %s: %d/%d %s, %d failed%s, %s", opts.RunID, p.Reached, p.Total, word, p.Failed, unschedulable, time.Since(start).Round(time.Second))
	}
	opts.Progress = func(p wait.Progress) { prog.Update(line(p)) }
	res, err := wait.ForRun(ctx, client, opts)
	if err != nil {
		return nil, fmt.Errorf("waiting for run %s: %w", opts.RunID, err)
	}
	prog.Finish(line(res.Counts()))
	return res, nil
}
