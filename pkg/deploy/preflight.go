package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/client-go/kubernetes"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/preflight"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
)

// ErrPreflight: a preflight check failed; the message names each one.
var ErrPreflight = errors.New("preflight failed")

// preflight runs the checks of `kubectl virtwork preflight` for this
// apply; on a failure it prints the checklist to Log (stdout is for the
// summary) and returns an error naming every problem.
func (o Options) preflight(ctx context.Context) error {
	rep, err := preflight.Run(ctx, o.Kube, ApplyNeeds(o.Config, o.Bundle, !o.NoWait && !o.ServerDryRun))
	if err != nil {
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled) {
			return ErrInterrupted
		}
		return fmt.Errorf("preflight: %w", err)
	}
	if !rep.OK() {
		rep.Print(o.Log)
		return preflightError(rep, ", nothing was applied; --skip-preflight applies anyway")
	}
	fmt.Fprintf(o.Log, "preflight: all %d checks passed\n", len(rep.Checks))
	return nil
}

// ApplyNeeds is what applying b does: its kinds, its data disks and
// cloned or imported root disks, and whether it waits.
func ApplyNeeds(cfg *config.Config, b *render.Bundle, waits bool) preflight.Needs {
	var kinds []string
	for kind, n := range b.Counts() {
		if n > 0 && kind != "Namespace" {
			kinds = append(kinds, kind)
		}
	}
	slices.Sort(kinds)
	defaultClass := false
	for _, w := range cfg.Workloads {
		if wl, ok := cfg.Registry.Get(w.Name); ok && (wl.Spec().NeedsDataDisk() || cfg.Boot.Cloned()) && w.StorageClass == "" {
			defaultClass = true
		}
	}
	needs := preflight.Apply(b.Namespace, kinds, waits, b.HasDataVolumes(), defaultClass)
	switch cfg.Boot.Kind {
	case config.BootDataSource:
		needs.CloneFrom = &preflight.Object{Kind: "DataSource", Namespace: cfg.Boot.Namespace, Name: cfg.Boot.Name}
	case config.BootPVC:
		needs.CloneFrom = &preflight.Object{Kind: "PersistentVolumeClaim", Namespace: cfg.Boot.Namespace, Name: cfg.Boot.Name}
	}
	// A namespaced instance type or preference must be in every
	// namespace the run's VMs are in.
	for _, ns := range b.Namespaces {
		for _, o := range sizings(cfg, ns) {
			if !slices.Contains(needs.Objects, o) {
				needs.Objects = append(needs.Objects, o)
			}
		}
	}
	return needs.Spread(b.Namespaces)
}

// sizings are the instance types and preferences the VMs name, each once:
// KubeVirt refuses a VM whose instance type or preference is missing, and
// one with a node selector whose instance type sets one too.
func sizings(cfg *config.Config, ns string) []preflight.Object {
	var out []preflight.Object
	for _, w := range cfg.Workloads {
		for _, s := range []config.Sizing{w.Instancetype, w.Preference} {
			if s.Name == "" {
				continue
			}
			o := preflight.Object{Kind: s.Kind, Name: s.Name}
			if s.Namespaced() {
				o.Namespace = ns
			}
			selects := s == w.Instancetype && len(w.Placement.NodeSelector) > 0
			i := slices.IndexFunc(out, func(p preflight.Object) bool {
				return p.Kind == o.Kind && p.Namespace == o.Namespace && p.Name == o.Name
			})
			if i < 0 {
				out = append(out, o)
				i = len(out) - 1
			}
			out[i].NodeSelector = out[i].NodeSelector || selects
		}
	}
	return out
}

// Preflight checks needs and returns the checklist, with ErrPreflight
// naming every problem when a check failed.
func Preflight(ctx context.Context, kube kubernetes.Interface, needs preflight.Needs) (*preflight.Report, error) {
	rep, err := preflight.Run(ctx, kube, needs)
	if err != nil {
		return nil, err
	}
	return rep, preflightError(rep, "")
}

// preflightError is nil when every check passed, else ErrPreflight with
// every problem named in one line.
func preflightError(rep *preflight.Report, then string) error {
	missing := rep.Missing()
	if len(missing) == 0 {
		return nil
	}
	problems := make([]string, len(missing))
	for i, c := range missing {
		problems[i] = c.Problem()
	}
	return fmt.Errorf("%w for %s%s: %s (%s)", ErrPreflight, rep.Command, then, strings.Join(problems, "; "), access.Hint)
}
