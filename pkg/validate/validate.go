package validate

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/lint"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// runID renders each workload for the validators; any fixed id will do, as
// nothing is applied.
const runID = "00000000-0000-4000-8000-000000000000"

// Options say which directories to check and how to read them.
type Options struct {
	// Dirs are checked in order, each a directory holding a workload.yaml
	// or a directory of such directories, as --workload-dir takes them.
	Dirs []string
	// Registry holds the built-in workloads, whose names a custom workload
	// may not take.
	Registry *workloads.Registry
	// OpenDir opens a directory (os.DirFS when nil).
	OpenDir func(string) fs.FS
	// ReadFile reads the files settings name (os.ReadFile when nil).
	ReadFile func(string) ([]byte, error)
	// Out, when set, receives each entry's verdict as soon as it is known,
	// as Entry.Print writes it.
	Out io.Writer
}

// Report is the verdicts, one per workload directory (or per directory
// that did not load), in the order of Options.Dirs.
type Report struct {
	Entries []Entry
}

// Invalid counts the entries that failed.
func (r Report) Invalid() int {
	n := 0
	for _, e := range r.Entries {
		if !e.OK() {
			n++
		}
	}
	return n
}

// Entry is the verdict on one workload directory.
type Entry struct {
	Dir string
	// Name is the workload's; "" when the directory did not load.
	Name string
	// Err says why the validators did not run: the directory did not
	// load, its workload's name is taken, or it did not render.
	Err error
	// Roles are the validators' results, in the workload's order of roles.
	Roles []Role
}

// Role is what the validators said of one role's user-data.
type Role struct {
	Name    string
	Results []lint.Result
}

// OK reports whether the entry loaded, rendered and passed every check
// (a skipped check, for a validator that is not installed, is no failure).
func (e Entry) OK() bool {
	if e.Err != nil {
		return false
	}
	for _, r := range e.Roles {
		for _, res := range r.Results {
			if res.Status == lint.Failed {
				return false
			}
		}
	}
	return true
}

// Dirs checks every directory of o.Dirs. A directory that does not load is
// one failed entry; otherwise each workload directory in it is one entry.
// Two entries may not define the same workload.
func Dirs(ctx context.Context, o Options) Report {
	if o.OpenDir == nil {
		o.OpenDir = os.DirFS
	}
	if o.ReadFile == nil {
		o.ReadFile = os.ReadFile
	}
	var rep Report
	add := func(e Entry) {
		rep.Entries = append(rep.Entries, e)
		if o.Out != nil {
			e.Print(o.Out)
		}
	}
	seen := map[string]string{} // workload name -> directory
	for _, dir := range o.Dirs {
		entries, err := workloads.LoadDir(o.OpenDir(dir), dir)
		if err != nil {
			add(Entry{Dir: dir, Err: err})
			continue
		}
		for _, e := range entries {
			add(check(ctx, o, e, seen))
		}
	}
	return rep
}

// check lints one loaded entry, unless it did not load or its name is a
// built-in's or one seen before.
func check(ctx context.Context, o Options, e workloads.Entry, seen map[string]string) Entry {
	if e.Err != nil {
		return Entry{Dir: e.Dir, Err: e.Err}
	}
	spec := e.Workload.Spec()
	if err := o.Registry.CheckName(e.Workload); err != nil {
		return Entry{Dir: e.Dir, Err: err}
	}
	if other, dup := seen[spec.Name]; dup {
		return Entry{Dir: e.Dir, Err: fmt.Errorf("workload %q is also defined in %s; names must be unique", spec.Name, other)}
	}
	seen[spec.Name] = e.Dir
	results, err := userData(ctx, o, e)
	if err != nil {
		return Entry{Dir: e.Dir, Err: err}
	}
	out := Entry{Dir: e.Dir, Name: spec.Name}
	for _, role := range spec.Roles {
		out.Roles = append(out.Roles, Role{Name: role.Name, Results: results[role.Name]})
	}
	return out
}

// userData renders the entry's workload as a run would (default params,
// one instance) and runs the validators on each role's user-data.
func userData(ctx context.Context, o Options, e workloads.Entry) (map[string][]lint.Result, error) {
	set := pflag.NewFlagSet("validate", pflag.ContinueOnError)
	flags := config.NewFlags()
	flags.AddFlags(set)
	if err := set.Parse([]string{"--workloads", e.Workload.Spec().Name, "--workload-dir", e.Dir, "--run-id", runID}); err != nil {
		return nil, err
	}
	cfg, err := config.Load(o.Registry, config.Sources{
		Flags:     flags,
		LookupEnv: func(string) (string, bool) { return "", false },
		ReadFile:  o.ReadFile,
		NewRunID:  func() string { return runID },
		OpenDir:   o.OpenDir,
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
