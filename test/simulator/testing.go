package simulator

import (
	"context"
	"testing"

	"k8s.io/client-go/rest"
)

// Start runs the simulator until the test ends, and fails the test if it
// stops with an error.
func Start(t testing.TB, cfg *rest.Config, opts Options) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, opts) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulator in %s: %v", opts.Namespace, err)
		}
	})
}
