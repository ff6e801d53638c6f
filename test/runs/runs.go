// Package runs renders virtwork runs for tests and benchmarks exactly as
// the commands do: command-line flags through config.Load into render.
package runs

import (
	"fmt"
	"os"
	"testing"

	"github.com/google/uuid"
	"github.com/spf13/pflag"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// Bundle renders a run from render's flags (for example "--workloads",
// "cpu"); the namespace is passed separately, as -n is a kubectl flag. The
// environment is ignored; a run id is generated unless --run-id is given.
func Bundle(t testing.TB, namespace string, args ...string) *render.Bundle {
	t.Helper()
	b, err := Render(namespace, args...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Render is Bundle without a testing.TB, for benchmarks' setup and tools.
func Render(namespace string, args ...string) (*render.Bundle, error) {
	fs := pflag.NewFlagSet("runs", pflag.ContinueOnError)
	flags := config.NewFlags()
	flags.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("parsing %v: %w", args, err)
	}
	reg := workloads.Builtin()
	cfg, err := config.Load(reg, config.Sources{
		Flags: flags, Namespace: namespace,
		LookupEnv: func(string) (string, bool) { return "", false },
		ReadFile:  os.ReadFile,
		NewRunID:  uuid.NewString,
	})
	if err != nil {
		return nil, err
	}
	return render.Render(render.Input{Config: cfg, Registry: cfg.Registry})
}
