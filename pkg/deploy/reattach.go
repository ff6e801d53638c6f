package deploy

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
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
	// Namespaces are those of a run spread over several; Namespace is
	// then ignored.
	Namespaces []string
	Timeout    time.Duration
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
		Namespace: o.Namespace, Namespaces: o.Namespaces, RunID: o.RunID, DataVolumes: o.DataVolumes, For: o.For,
	})
	if err != nil {
		return nil, err
	}
	if len(res.VMs) == 0 && ctx.Err() == nil {
		return nil, fmt.Errorf("run %s has no VirtualMachines in %s", o.RunID, o.where())
	}
	spread := o.Namespaces
	if o.Namespace == "" && len(spread) < 2 {
		spread = namespacesOf(res) // -A: where the run was found
	}
	ns := o.Namespace
	if len(spread) > 0 {
		ns = spread[0]
	}
	sum := report.NewSummary(o.RunID, ns, "", false)
	sum.SpreadOver(spread)
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

// where names the namespaces the wait looked in.
func (o WaitOptions) where() string {
	switch {
	case len(o.Namespaces) > 1:
		return "namespaces " + strings.Join(o.Namespaces, ", ")
	case o.Namespace == "":
		return "any namespace"
	}
	return "namespace " + o.Namespace
}

// namespacesOf lists the namespaces the wait saw the run's VMs in, sorted.
func namespacesOf(res *wait.Result) []string {
	var out []string
	for _, vm := range res.VMs {
		if vm.Namespace != "" && !slices.Contains(out, vm.Namespace) {
			out = append(out, vm.Namespace)
		}
	}
	slices.Sort(out)
	return out
}
