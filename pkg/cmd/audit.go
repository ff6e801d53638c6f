package cmd

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/virtwork/kubectl-virtwork/pkg/apply"
	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// auditEnv names the audit DB when --audit-db is not given.
const auditEnv = "VIRTWORK_AUDIT_DB"

// auditFlags are --audit-db and --no-audit, shared by the commands that
// record (apply, cleanup) and the one that reads (history).
type auditFlags struct {
	deps     Deps
	path     string
	disabled bool
}

func newAuditFlags(deps Deps) *auditFlags { return &auditFlags{deps: deps} }

func (a *auditFlags) addFlags(c *cobra.Command, canDisable bool) {
	c.Flags().StringVar(&a.path, "audit-db", "", "the local audit history (default $"+auditEnv+", else $XDG_STATE_HOME/virtwork/audit.db)")
	if canDisable {
		c.Flags().BoolVar(&a.disabled, "no-audit", false, "record nothing in the audit history (objects still carry the run id label)")
	}
}

// complete resolves the path: --audit-db, then $VIRTWORK_AUDIT_DB, then the
// user's state directory.
func (a *auditFlags) complete() error {
	if a.disabled {
		return nil
	}
	if a.path == "" {
		if v, ok := a.deps.LookupEnv(auditEnv); ok && v != "" {
			a.path = v
		}
	}
	if a.path == "" {
		p, err := audit.DefaultPath()
		if err != nil {
			return fmt.Errorf("finding the audit history: %w (set --audit-db or --no-audit)", err)
		}
		a.path = p
	}
	abs, err := filepath.Abs(a.path)
	if err != nil {
		return usageError{fmt.Errorf("--audit-db %s: %w", a.path, err)}
	}
	a.path = abs
	return nil
}

// recorder writes one invocation to the audit history. It is safe for
// the apply workers to use at once, keeps going (with one warning) when the
// DB fails, and writes even after the command's context is cancelled, so
// an interrupted run still gets its final status.
type recorder struct {
	store  *audit.Store
	id     int64
	warn   io.Writer
	mu     sync.Mutex
	objs   []audit.Object
	warned bool
}

// startRecording opens the DB and starts an invocation; nil (a no-op
// recorder) with --no-audit.
func (a *auditFlags) startRecording(ctx context.Context, inv audit.Invocation, warn io.Writer) (*recorder, error) {
	if a.disabled {
		return nil, nil
	}
	store, err := audit.Open(ctx, a.path)
	if err != nil {
		return nil, fmt.Errorf("%w (use --audit-db to choose another file, or --no-audit)", err)
	}
	id, err := store.Start(ctx, inv)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("recording the run in %s: %w", a.path, err)
	}
	return &recorder{store: store, id: id, warn: warn}, nil
}

func (r *recorder) failed(err error) {
	if err != nil && !r.warned {
		r.warned = true
		fmt.Fprintf(r.warn, "warning: audit history: %v (the run goes on)\n", err)
	}
}

func (r *recorder) event(format string, args ...any) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed(r.store.Event(context.Background(), r.id, time.Now(), fmt.Sprintf(format, args...)))
}

// object buffers an apply result and writes the buffer every 200.
func (r *recorder) object(res apply.Result) {
	if r == nil {
		return
	}
	o := audit.Object{Kind: res.Kind, Namespace: res.Namespace, Name: res.Name, Outcome: string(res.Outcome), At: res.At}
	if res.Err != nil {
		o.Error = res.Err.Error()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.objs = append(r.objs, o)
	if len(r.objs) >= 200 {
		r.flushLocked()
	}
}

func (r *recorder) flushLocked() {
	if len(r.objs) == 0 {
		return
	}
	r.failed(r.store.RecordObjects(context.Background(), r.id, r.objs))
	r.objs = r.objs[:0]
}

func (r *recorder) vms(res *wait.Result) {
	if r == nil || res == nil {
		return
	}
	now := time.Now()
	vms := make([]audit.VM, 0, len(res.VMs))
	for _, v := range res.VMs {
		rec := audit.VM{Name: v.Name, CreatedAt: v.Started, RunningAt: v.RunningAt}
		switch v.Phase {
		case wait.Ready:
		case wait.Failed:
			rec.FailedAt, rec.Reason = now, v.Reason
		default:
			rec.Reason = "still waiting: " + v.Reason
		}
		vms = append(vms, rec)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed(r.store.RecordVMs(context.Background(), r.id, vms))
}

// finish writes what is buffered and the final status, and closes the DB.
func (r *recorder) finish(status audit.Status, counts map[string]int, err error) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushLocked()
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	r.failed(r.store.Finish(context.Background(), r.id, status, counts, msg))
	r.failed(r.store.Close())
}

// runOptions describes a run's settings for the history, without secrets:
// SSH access is recorded only as whether it was set.
func runOptions(cfg *config.Config) map[string]string {
	opts := map[string]string{
		"ssh-auth": strconv.FormatBool(cfg.SSH.Enabled()),
		"timeout":  cfg.Timeout.String(),
	}
	for _, w := range cfg.Workloads {
		p := w.Name + "."
		opts[p+"vm-count"] = strconv.Itoa(w.VMCount)
		opts[p+"cpu-cores"] = strconv.Itoa(w.CPUCores)
		opts[p+"memory"] = w.Memory.String()
		opts[p+"disk-size"] = w.DiskSize.String()
		if w.StorageClass != "" {
			opts[p+"storage-class"] = w.StorageClass
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

// summaryCounts flattens a summary into the history's counts.
func summaryCounts(s *summary) map[string]int {
	counts := map[string]int{}
	for kind, byOutcome := range s.Objects {
		for outcome, n := range byOutcome {
			counts[kind+"/"+string(outcome)] = n
		}
	}
	if v := s.VMs; v != nil {
		counts["vms/total"] = v.Total
		counts["vms/ready"] = v.Ready
		counts["vms/failed"] = len(v.Failed)
		counts["vms/waiting"] = len(v.Waiting)
	}
	return counts
}
