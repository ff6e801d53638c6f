package deploy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/apply"
	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// invocation is how the history records an apply.
func invocation(o Options) audit.Invocation {
	var names []string
	for _, w := range o.Config.Workloads {
		names = append(names, w.Name)
	}
	dryRun := "none"
	if o.ServerDryRun {
		dryRun = "server"
	}
	opts := runOptions(o.Config)
	opts["concurrency"] = fmt.Sprint(o.Concurrency)
	opts["dry-run"] = dryRun
	opts["force-conflicts"] = fmt.Sprint(o.ForceConflicts)
	inv := audit.Invocation{
		RunID: o.Bundle.RunID, Command: audit.CommandApply, KubeContext: o.KubeContext, Server: o.Server,
		Namespace: o.Bundle.Namespace, Image: o.Config.RootDisk(), Workloads: names, Options: opts,
	}
	if len(o.Bundle.Namespaces) > 1 {
		inv.Namespaces = o.Bundle.Namespaces
	}
	return inv
}

// runOptions describes a run's settings for the history, without secrets:
// SSH access is recorded only as whether it was set. Each workload's
// settings come from pkg/config's rows, so a new per-workload setting is
// recorded without an edit here.
func runOptions(cfg *config.Config) map[string]string {
	opts := map[string]string{
		"ssh-auth": strconv.FormatBool(cfg.SSH.Enabled()),
		"timeout":  cfg.Timeout.String(),
	}
	if len(cfg.Thresholds) > 0 {
		var ts []string
		for _, t := range cfg.Thresholds {
			ts = append(ts, t.String())
		}
		opts["threshold"] = strings.Join(ts, ",")
	}
	for _, w := range cfg.Workloads {
		p := w.Name + "."
		for k, v := range w.Settings() {
			opts[p+k] = v
		}
		// The profile too, so that verify can make the run's model again.
		if w.Profile != nil {
			opts[p+"profile"] = w.Profile.String()
		}
		var params []string
		for k, v := range w.Params {
			params = append(params, k+"="+v)
		}
		sort.Strings(params)
		opts[p+"params"] = strings.Join(params, ",")
	}
	return opts
}

// objectRecord is how the history records one apply result.
func objectRecord(r apply.Result) audit.Object {
	o := audit.Object{Kind: r.Kind, Namespace: r.Namespace, Name: r.Name, Outcome: string(r.Outcome), At: r.At}
	if r.Err != nil {
		o.Error = r.Err.Error()
	}
	return o
}

// vmRecords is how the history records the end of a wait; a VM that
// failed is recorded as failed at now.
func vmRecords(res *wait.Result, now time.Time) []audit.VM {
	vms := make([]audit.VM, 0, len(res.VMs))
	for _, v := range res.VMs {
		rec := audit.VM{Name: v.Name, CreatedAt: v.Created, ScheduledAt: v.ScheduledAt, RunningAt: v.RunningAt,
			ReadyAt: v.ReadyAt, DisksReadyAt: v.DisksReadyAt, Observed: v.Observed}
		switch {
		case v.Reached:
		case v.State == wait.Failed:
			rec.FailedAt, rec.Reason = now, v.Reason
		default:
			rec.Reason = "still waiting: " + v.Reason
		}
		vms = append(vms, rec)
	}
	return vms
}
