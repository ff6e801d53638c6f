package prom

import (
	"context"
	"testing"

	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// Require starts a Prometheus for the test, as Start does, in a temporary
// directory unless opts.Dir is set, and stops it by its PID when the test
// ends. Without the prometheus binary the test is skipped, or fails when
// VIRTWORK_REQUIRE_TOOLS=1 (make test installs Debian's prometheus).
func Require(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Bin == "" {
		opts.Bin = tools.Require(t, "prometheus")
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	opts.KillWithParent = true
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("starting Prometheus: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stopping Prometheus: %v", err)
		}
	})
	return s
}
