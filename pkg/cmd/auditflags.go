package cmd

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/virtwork/kubectl-virtwork/pkg/audit"
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
// user's state directory; "" with --no-audit.
func (a *auditFlags) complete() error {
	if a.disabled {
		a.path = ""
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

// spread returns the namespaces of runID when the history recorded its
// apply spread over several (--namespaces), so that a command given the
// run id follows all of them; nil otherwise: a run in one namespace, one
// applied elsewhere (-A finds it), or no history at all. The history is
// only read: a lookup never creates it.
func (a *auditFlags) spread(ctx context.Context, runID string) ([]string, error) {
	if runID == "" || a.disabled {
		return nil, nil
	}
	if a.path == "" {
		if err := a.complete(); err != nil {
			return nil, nil // no history to look in
		}
	}
	ns, err := audit.RunNamespacesAt(ctx, a.path, runID)
	if err != nil || len(ns) < 2 {
		return nil, err
	}
	return ns, nil
}

// scope is where a command given a run id looks: the namespace ("" with
// -A) and, for a run the history says is spread, its namespaces.
func (a *auditFlags) scope(ctx context.Context, runID, namespace string, allNamespaces bool) (string, []string, error) {
	if allNamespaces {
		namespace = ""
	}
	spread, err := a.spread(ctx, runID)
	return namespace, spread, err
}
