package cmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/deploy"
	"github.com/virtwork/kubectl-virtwork/pkg/disrupt"
	"github.com/virtwork/kubectl-virtwork/pkg/verify"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// Exit codes, documented in the root command's help.
const (
	ExitOK    = 0
	ExitError = 1
	// ExitUsage: a flag, variable, config key or file was wrong; nothing was
	// sent to a cluster.
	ExitUsage = 2
	// ExitNotReady: everything was applied, but not every VM became ready
	// (some failed, or the timeout passed), or a latency is over its
	// --threshold.
	ExitNotReady = 3
	// ExitInterrupted: Ctrl-C (SIGINT) or SIGTERM, as shells report it.
	ExitInterrupted = 130
)

// Sentinel errors that map to their own exit codes; the library that
// returns each defines it.
var (
	ErrNotReady    = deploy.ErrNotReady
	ErrInterrupted = deploy.ErrInterrupted
	// ErrThresholdExceeded: a latency quantile is over its --threshold.
	ErrThresholdExceeded = deploy.ErrThresholdExceeded
	// ErrPreflight: a preflight check failed; the message names each one.
	ErrPreflight = deploy.ErrPreflight
)

// Deps is what commands take from the outside world; tests replace it.
type Deps struct {
	Registry  *workloads.Registry
	LookupEnv func(string) (string, bool)
	ReadFile  func(string) ([]byte, error)
	NewRunID  func() string
	// OpenDir opens a custom workload directory.
	OpenDir func(string) fs.FS
	// Now is the clock a relative --start-at is resolved against.
	Now func() time.Time
}

// DefaultDeps reads the real environment and files.
func DefaultDeps() Deps {
	return Deps{Registry: workloads.Builtin(), LookupEnv: os.LookupEnv, ReadFile: os.ReadFile, NewRunID: uuid.NewString, OpenDir: os.DirFS, Now: time.Now}
}

const exitCodeHelp = `Exit codes:
  0    success (apply, wait: every VM is ready, its workload active; --for=running: booted)
  1    error (the cluster or the file system failed), or a preflight check failed
  2    bad input: a flag, VIRTWORK_* variable, config key or file named in the message; nothing was sent to a cluster
  3    applied, but not every VM became ready: some failed, or --timeout passed; or a --threshold was exceeded; verify: a check failed; disrupt: an event failed or timed out
  130  interrupted (Ctrl-C); apply prints what was applied and how to remove it`

// NewRootCmd builds the kubectl-virtwork command tree.
func NewRootCmd(streams genericiooptions.IOStreams, deps Deps) *cobra.Command {
	configFlags := genericclioptions.NewConfigFlags(true)
	root := &cobra.Command{
		Use:   "kubectl virtwork",
		Short: "Run continuous, realistic load inside KubeVirt virtual machines",
		Long: `kubectl virtwork turns a short request into KubeVirt VirtualMachines that each run a
stress workload under systemd (stress-ng CPU and memory, PostgreSQL with pgbench, iperf3
pairs, fio), labelled with a run id so a run can be found and removed as a whole.

` + exitCodeHelp,
		Example: `  # Print the manifests of one CPU and one database VM, with no cluster needed
  kubectl virtwork render --workloads cpu,database

  # The same, as a kustomize directory for GitOps
  kubectl virtwork render --workloads cpu,database --output-dir ./virtwork-run`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Cobra's `completion` command would print a script for a program
		// named "kubectl" (the first word of Use) and so stand in for
		// kubectl's own. kubectl completes plugins itself (1.26+) through
		// the kubectl_complete-virtwork script, which calls __complete.
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		Annotations: map[string]string{
			// Cobra reads this to print "kubectl virtwork" in usage lines.
			cobra.CommandDisplayNameAnnotation: "kubectl virtwork",
		},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	configFlags.AddFlags(root.PersistentFlags())
	addVerbosityFlag(root, streams.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w; see '%s --help'", err, c.CommandPath())}
	})

	root.AddCommand(
		NewRenderCmd(streams, deps, configFlags),
		NewPlanCmd(streams, deps, configFlags),
		NewMonitoringCmd(streams, deps, configFlags),
		NewApplyCmd(streams, deps, configFlags),
		NewWaitCmd(streams, deps, configFlags),
		NewStatusCmd(streams, deps, configFlags),
		NewCleanupCmd(streams, deps, configFlags),
		NewDisruptCmd(streams, deps, configFlags),
		NewPreflightCmd(streams, deps, configFlags),
		NewVerifyCmd(streams, deps, configFlags),
		NewHistoryCmd(streams, deps),
		NewWorkloadsCmd(streams, deps),
		NewValidateCmd(streams, deps),
		NewVersionCmd(streams),
	)
	for _, c := range root.Commands() {
		if c.Args == nil {
			c.Args = noArgs
		}
	}
	return root
}

// options is the shape of every command's Options, which runE enforces:
// AddFlags registers its flags; Complete takes the arguments and is the
// only step that reads kubeconfig, environment or files; Validate touches
// nothing outside the struct; Run calls the library.
type options interface {
	AddFlags(c *cobra.Command)
	Complete(args []string) error
	Validate() error
	Run(ctx context.Context) error
}

// runE runs an Options' steps in order.
func runE(o options) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error {
		if err := o.Complete(args); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return err
		}
		return o.Run(c.Context())
	}
}

func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q", c.CommandPath(), strings.Join(args, " "))}
	}
	return nil
}

// usageError marks errors from the command line itself (unknown flags or
// commands, bad arguments) so they exit like config errors.
type usageError struct{ error }

func (e usageError) Unwrap() error        { return e.error }
func (e usageError) Is(target error) bool { return target == config.ErrInvalid }

// Execute runs the command line args and returns the process exit code.
// Errors are printed to streams.ErrOut as one line.
func Execute(ctx context.Context, streams genericiooptions.IOStreams, deps Deps, args []string) int {
	root := NewRootCmd(streams, deps)
	root.SetArgs(args)
	c, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	if c != nil && strings.HasPrefix(err.Error(), "unknown command") {
		err = usageError{err}
	}
	fmt.Fprintf(streams.ErrOut, "error: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
	return ExitCode(err)
}

// ExitCode maps an error to the process exit code.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, config.ErrInvalid):
		return ExitUsage
	case errors.Is(err, ErrNotReady), errors.Is(err, ErrThresholdExceeded), errors.Is(err, verify.ErrFailed), errors.Is(err, disrupt.ErrFailed):
		return ExitNotReady
	case errors.Is(err, ErrInterrupted), errors.Is(err, disrupt.ErrInterrupted):
		return ExitInterrupted
	}
	return ExitError
}
