package workloads

import (
	"fmt"
	"slices"
)

// GoldenPackages is what a golden image of family g preinstalls for the
// workloads of reg, sorted: every package any of them installs there, the
// guest agent included. Of a workload that cannot run on g as a whole (tps
// on Debian: netperf is not in main) it takes the packages g does have, so
// that whatever of it can run there does. A workload that names its
// packages per family itself (a custom one) contributes only a whole list.
func GoldenPackages(reg *Registry, g Guest) ([]string, error) {
	var out []string
	add := func(pkgs []string) {
		for _, p := range pkgs {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	for _, name := range reg.Names() {
		w, _ := reg.Get(name)
		pkgs, err := PackagesFor(w, g)
		if err == nil {
			add(pkgs)
			continue
		}
		if d, ok := w.(*Definition); ok && d.packagesByGuest != nil {
			continue
		}
		for _, p := range w.Spec().Packages {
			if one, err := g.Packages([]string{p}); err == nil {
				add(one)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no workload has packages for a %s guest", g)
	}
	slices.Sort(out)
	return out, nil
}
