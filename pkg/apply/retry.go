package apply

import (
	"context"

	"github.com/virtwork/kubectl-virtwork/pkg/retry"
)

// Backoff is an exponential backoff between retries of one request.
type Backoff = retry.Backoff

// DefaultBackoff rides out a few seconds of API server trouble.
func DefaultBackoff() Backoff { return retry.DefaultBackoff() }

// retry runs fn until it succeeds, fails for good, or the backoff or ctx
// runs out. Only requests that are safe to repeat are passed here: reads,
// server-side apply PATCHes (idempotent) and creates whose AlreadyExists
// the caller handles.
func (a *Applier) retry(ctx context.Context, fn func() error) error {
	return retry.Do(ctx, a.opts.Retry, fn)
}
