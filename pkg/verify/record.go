package verify

import (
	"context"
	"fmt"
	"slices"

	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/config"
)

// historyDepth is how many invocations Recorded looks through.
const historyDepth = 1000

// Recorded finds what the history keeps of a run's apply: the run's own
// newest apply, or without runID the newest apply in the namespace. It is
// what config.FromRecord makes the run's configuration from.
func Recorded(ctx context.Context, store *audit.Store, namespace, runID string) (config.Record, error) {
	invs, err := store.History(ctx, historyDepth)
	if err != nil {
		return config.Record{}, err
	}
	for _, inv := range invs {
		if inv.Command != audit.CommandApply || (runID != "" && inv.RunID != runID) {
			continue
		}
		// A run spread over namespaces is found by its run id whatever
		// -n says, or by any of its namespaces.
		inNamespace := inv.Namespace == namespace || slices.Contains(inv.Namespaces, namespace)
		if !inNamespace && (runID == "" || len(inv.Namespaces) < 2) {
			continue
		}
		return config.Record{RunID: inv.RunID, Namespace: inv.Namespace, Namespaces: inv.Namespaces, Image: inv.Image, Workloads: inv.Workloads,
			Options: inv.Options, At: inv.StartedAt}, nil
	}
	if runID != "" {
		return config.Record{}, fmt.Errorf("run %s has no apply in namespace %s in the audit history %s; verify checks runs this machine applied (see kubectl virtwork history)", runID, namespace, store.Path())
	}
	return config.Record{}, fmt.Errorf("no apply in namespace %s in the audit history %s; give -n, or --run-id of a run this machine applied", namespace, store.Path())
}
