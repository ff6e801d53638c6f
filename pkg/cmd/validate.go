package cmd

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/lint"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// validateRunID renders each workload for the validators; any fixed id will
// do, as nothing is applied.
const validateRunID = "00000000-0000-4000-8000-000000000000"

// ValidateOptions checks custom workload directories.
type ValidateOptions struct {
	genericiooptions.IOStreams

	deps Deps
	dirs []string
}

// NewValidateOptions returns ValidateOptions with defaults.
func NewValidateOptions(streams genericiooptions.IOStreams, deps Deps) *ValidateOptions {
	return &ValidateOptions{IOStreams: streams, deps: deps}
}

// NewValidateCmd checks custom workload directories as --workload-dir
// would, then runs the real validators on what each workload renders.
func NewValidateCmd(streams genericiooptions.IOStreams, deps Deps) *cobra.Command {
	o := NewValidateOptions(streams, deps)
	c := &cobra.Command{
		Use:   "validate DIR...",
		Short: "Check custom workload directories, then run cloud-init, systemd and shellcheck on what they render",
		Long: `validate reads each DIR as --workload-dir does (a directory holding a workload.yaml, or
a directory of such directories) with exactly the same checks, renders every valid
workload with its default params, and runs the real validators installed here on each
role's user-data: cloud-init schema, systemd-analyze verify (commands from the guest's
packages are stubbed) and shellcheck. It prints one verdict per workload directory and
exits 2 when any is invalid.`,
		Example: `  kubectl virtwork validate examples/workloads`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("%s needs at least one directory", c.CommandPath())}
			}
			return nil
		},
		RunE: runE(o),
	}
	o.AddFlags(c)
	return c
}

// AddFlags registers validate's flags: it has none of its own.
func (o *ValidateOptions) AddFlags(*cobra.Command) {}

// Complete takes the directories.
func (o *ValidateOptions) Complete(args []string) error {
	o.dirs = args
	return nil
}

// Validate checks that each directory is named.
func (o *ValidateOptions) Validate() error {
	for _, d := range o.dirs {
		if d == "" {
			return usageError{fmt.Errorf("validate: empty directory name")}
		}
	}
	return nil
}

// Run checks each directory and prints one verdict per workload.
func (o *ValidateOptions) Run(ctx context.Context) error {
	total, failed := 0, 0
	seen := map[string]string{} // workload name -> directory
	for _, dir := range o.dirs {
		entries, err := workloads.LoadDir(o.deps.openDir(dir), dir)
		if err != nil {
			total++
			failed++
			fmt.Fprintf(o.Out, "FAIL  %s\n      %v\n", dir, err)
			continue
		}
		for _, e := range entries {
			total++
			if !o.validateEntry(ctx, e, seen) {
				failed++
			}
		}
	}
	if failed > 0 {
		return usageError{fmt.Errorf("%d of %d workload directories are invalid", failed, total)}
	}
	return nil
}

// validateEntry prints one entry's verdict and reports whether it is valid.
func (o *ValidateOptions) validateEntry(ctx context.Context, e workloads.Entry, seen map[string]string) bool {
	fail := func(err error) bool {
		fmt.Fprintf(o.Out, "FAIL  %s\n      %v\n", e.Dir, err)
		return false
	}
	if e.Err != nil {
		return fail(e.Err)
	}
	name := e.Workload.Spec().Name
	if err := o.deps.Registry.CheckName(e.Workload); err != nil {
		return fail(err)
	}
	if other, dup := seen[name]; dup {
		return fail(fmt.Errorf("workload %q is also defined in %s; names must be unique", name, other))
	}
	seen[name] = e.Dir
	results, err := o.lint(ctx, e)
	if err != nil {
		return fail(err)
	}
	ok := true
	var lines []string
	shown := map[string]string{} // failure detail -> the role it was shown for
	for _, role := range e.Workload.Spec().Roles {
		rs := results[role.Name]
		line := fmt.Sprintf("%s: %s", role.Name, lint.Summary(rs))
		var details []string
		for _, r := range rs {
			if r.Status != lint.Failed {
				continue
			}
			ok = false
			// Roles often get the same files (all of them, unless
			// the workload lists a role's files): say a failure in a
			// shared file once.
			if first, dup := shown[r.Check+r.Detail]; dup {
				line += " (as for " + first + ")"
				continue
			}
			shown[r.Check+r.Detail] = role.Name
			details = append(details, fmt.Sprintf("  %s (%s):\n%s", r.Check, role.Name, indent(r.Detail, "    ")))
		}
		lines = append(append(lines, line), details...)
	}
	verdict := "ok  "
	if !ok {
		verdict = "FAIL"
	}
	fmt.Fprintf(o.Out, "%s  %s (%s)\n", verdict, e.Dir, name)
	for _, l := range lines {
		fmt.Fprintln(o.Out, indent(l, "      "))
	}
	return ok
}

// lint renders the entry's workload as a run would (default params, one
// instance) and runs the validators on each role's user-data.
func (o *ValidateOptions) lint(ctx context.Context, e workloads.Entry) (map[string][]lint.Result, error) {
	fs := pflag.NewFlagSet("validate", pflag.ContinueOnError)
	flags := config.NewFlags()
	flags.AddFlags(fs)
	if err := fs.Parse([]string{"--workloads", e.Workload.Spec().Name, "--workload-dir", e.Dir, "--run-id", validateRunID}); err != nil {
		return nil, err
	}
	cfg, err := config.Load(o.deps.Registry, config.Sources{
		Flags:     flags,
		LookupEnv: func(string) (string, bool) { return "", false },
		ReadFile:  o.deps.ReadFile,
		NewRunID:  func() string { return validateRunID },
		OpenDir:   o.deps.OpenDir,
	})
	if err != nil {
		return nil, err
	}
	b, err := render.Render(render.Input{Config: cfg, Registry: cfg.Registry})
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "virtwork-validate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	out := map[string][]lint.Result{}
	for obj := range b.Objects() {
		if obj.GetKind() != "Secret" {
			continue
		}
		role := obj.GetLabels()[labels.Role]
		if _, done := out[role]; done {
			continue
		}
		enc, _, _ := unstructured.NestedString(obj.Object, "data", "userdata")
		ud, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return nil, fmt.Errorf("decoding the user-data of %s: %w", obj.GetName(), err)
		}
		dir, err := os.MkdirTemp(work, role+"-")
		if err != nil {
			return nil, err
		}
		out[role] = lint.UserData(ctx, dir, ud)
	}
	return out, nil
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
