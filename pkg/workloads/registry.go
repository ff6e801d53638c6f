package workloads

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/virtwork/kubectl-virtwork/pkg/suggest"
	"github.com/virtwork/kubectl-virtwork/templates"
)

// Registry maps workload names to workloads.
type Registry struct {
	byName map[string]Workload
	names  []string
}

// NewRegistry returns a registry of the given workloads; names must be unique.
func NewRegistry(ws ...Workload) (*Registry, error) {
	r := &Registry{byName: make(map[string]Workload, len(ws))}
	for _, w := range ws {
		name := w.Spec().Name
		if _, dup := r.byName[name]; dup {
			return nil, fmt.Errorf("workload %q registered twice", name)
		}
		if _, err := w.Spec().Defaults(); err != nil {
			return nil, err
		}
		r.byName[name] = w
		r.names = append(r.names, name)
	}
	sort.Strings(r.names)
	return r, nil
}

// Builtin returns the registry of the workloads that ship with virtwork:
// every directory of templates/ that holds a workload.yaml.
func Builtin() *Registry {
	r, err := loadBuiltin(templates.FS)
	if err != nil {
		panic(err) // the embedded directories are fixed; TestBuiltinLoads reports the failure
	}
	return r
}

// sharedDir is the directory of templates/ that holds files several
// workloads install (the data disk's setup), not a workload.
const sharedDir = "lib"

// loadBuiltin reads the built-in workloads from a tree laid out as
// templates/ is: one directory per workload, named as the workload, loaded
// by the same loader and rules as a custom workload directory.
func loadBuiltin(fsys fs.FS) (*Registry, error) {
	des, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var ws []Workload
	for _, de := range des {
		if !de.IsDir() || de.Name() == sharedDir || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		dir := path.Join("templates", de.Name())
		sub, err := fs.Sub(fsys, de.Name())
		if err != nil {
			return nil, err
		}
		d, err := load(sub, dir)
		if err != nil {
			return nil, fmt.Errorf("built-in workload %s: %w", de.Name(), err)
		}
		if d.spec.Name != de.Name() {
			return nil, fmt.Errorf("%s: %q must be the directory's name, %q", d.at(d.nameLine, "name"), d.spec.Name, de.Name())
		}
		d.builtin = true
		ws = append(ws, d)
	}
	return NewRegistry(ws...)
}

// Names lists the registered workloads, sorted.
func (r *Registry) Names() []string { return slices.Clone(r.names) }

// Implicit lists the workloads a run gets when the user names none, or
// says "all": those whose workload.yaml says implicit: true (only built-in
// ones may, and never chaos ones), so adding a workload directory does
// not change what "all" runs.
func (r *Registry) Implicit() []string {
	var out []string
	for _, n := range r.names {
		if s := r.byName[n].Spec(); s.Implicit && !s.Chaos {
			out = append(out, n)
		}
	}
	return out
}

// Get returns the named workload.
func (r *Registry) Get(name string) (Workload, bool) {
	w, ok := r.byName[name]
	return w, ok
}

// Lookup returns the named workload or an error that lists the known ones and
// suggests the closest name.
func (r *Registry) Lookup(name string) (Workload, error) {
	if w, ok := r.byName[name]; ok {
		return w, nil
	}
	return nil, fmt.Errorf("unknown workload %q%s (known: %s)", name, suggest.DidYouMean(name, r.names), strings.Join(r.names, ", "))
}

// AddCustom returns a registry of r's workloads and the valid entries'. A
// name that is already registered (built in, or from an earlier entry) is an
// error that names the entry's file, except for a directory that is a
// built-in workload's own, byte for byte (templates/cpu in a checkout):
// that adds nothing.
func (r *Registry) AddCustom(entries []Entry) (*Registry, error) {
	ws := r.list()
	for _, e := range entries {
		if e.Err != nil {
			return nil, e.Err
		}
		if r.isBuiltinDir(e.Workload) {
			continue
		}
		if err := r.checkName(e.Workload, ws); err != nil {
			return nil, err
		}
		ws = append(ws, e.Workload)
	}
	return NewRegistry(ws...)
}

// CheckName reports whether a workload directory can be added to r: its
// name is free, or it is a built-in workload's own directory.
func (r *Registry) CheckName(d *Definition) error {
	if r.isBuiltinDir(d) {
		return nil
	}
	return r.checkName(d, nil)
}

// isBuiltinDir reports whether d was loaded from the same files as the
// built-in workload of its name.
func (r *Registry) isBuiltinDir(d *Definition) bool {
	b, ok := r.byName[d.spec.Name].(*Definition)
	return ok && b.builtin && b.sum == d.sum
}

func (r *Registry) checkName(d *Definition, more []Workload) error {
	name := d.spec.Name
	for _, w := range append(r.list(), more...) {
		if w.Spec().Name != name {
			continue
		}
		if o, ok := w.(*Definition); ok && !o.builtin {
			return fmt.Errorf("%s: workload %q is also defined in %s; names must be unique", d.at(d.nameLine, "name"), name, path.Join(o.Dir, SpecFile))
		}
		return fmt.Errorf("%s: %q is a built-in workload; choose another name", d.at(d.nameLine, "name"), name)
	}
	if d.spec.Implicit {
		return fmt.Errorf("%s: only built-in workloads run implicitly; a workload from --workload-dir runs when --workloads names it", d.at(d.implicitLine, "implicit"))
	}
	return nil
}

func (r *Registry) list() []Workload {
	out := make([]Workload, 0, len(r.names))
	for _, n := range r.names {
		out = append(out, r.byName[n])
	}
	return out
}
