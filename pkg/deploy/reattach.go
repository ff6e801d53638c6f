package deploy

import (
	"context"
	"fmt"
	"io"
	"time"

	"k8s.io/client-go/dynamic"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/report"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// WaitOptions name a run applied earlier and what to wait for.
type WaitOptions struct {
	Client           dynamic.Interface
	Namespace, RunID string
	Timeout          time.Duration
	// DataVolumes follows the run's DataVolumes too (CDI is installed).
	DataVolumes bool
	For         wait.Target
	// Thresholds are judged once every VM reached For.
	Thresholds []config.Threshold
	// Log receives the progress line.
	Log io.Writer
}

// Wait follows the VMs a run has in the cluster until each reached the
// target or failed, or the timeout passes, and returns the same summary
// as Apply, with ErrNotReady or ErrInterrupted when those are why it
// stopped, and ErrThresholdExceeded when a latency is over its threshold. A run with no VMs is an error, with no summary.
func Wait(ctx context.Context, o WaitOptions) (*report.Summary, error) {
	wctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	res, err := follow(wctx, o.Client, o.Log, wait.Options{
		Namespace: o.Namespace, RunID: o.RunID, DataVolumes: o.DataVolumes, For: o.For,
	})
	if err != nil {
		return nil, err
	}
	if len(res.VMs) == 0 && ctx.Err() == nil {
		return nil, fmt.Errorf("run %s has no VirtualMachines in namespace %s", o.RunID, o.Namespace)
	}
	sum := report.NewSummary(o.RunID, o.Namespace, "", false)
	sum.AddWait(res)
	switch {
	case ctx.Err() != nil:
		sum.Interrupted = true
		return sum, ErrInterrupted
	case !res.Done || res.Counts().Failed > 0:
		return sum, ErrNotReady
	}
	return sum, judge(sum, o.Thresholds)
}
