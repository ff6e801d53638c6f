package config

import (
	"maps"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/virtwork/kubectl-virtwork/pkg/suggest"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// selection returns the chosen workloads in registry order.
func (r *resolver) selection(g workloads.Guest) ([]string, error) {
	// What runs implicitly (by default, or "all") is what can run on the
	// guest: a workload whose packages the family lacks is left out, while
	// naming it there is an error (checkGuest).
	var implicit []string
	for _, name := range r.reg.Implicit() {
		if w, _ := r.reg.Get(name); w != nil {
			if _, err := workloads.PackagesFor(w, g); err != nil {
				continue
			}
		}
		implicit = append(implicit, name)
	}
	given, ok := pick(r, workloadsRow, "")
	if !ok {
		var names []string
		for _, name := range implicit {
			if fw, ok := r.file.workloads[name]; ok && fw.enabled != nil && !*fw.enabled {
				continue
			}
			names = append(names, name)
		}
		if len(names) == 0 {
			return nil, invalidf("the config file disables every workload; enable one or pass --workloads")
		}
		return names, nil
	}
	src := given.src
	chosen := map[string]bool{}
	for _, v := range given.v {
		switch {
		case v == "":
			return nil, invalidf("%s has an empty entry; give workload names separated by commas (known: %s)", src, strings.Join(r.reg.Names(), ", "))
		case v == "all":
			for _, n := range implicit {
				chosen[n] = true
			}
			continue
		case chosen[v]:
			return nil, invalidf("%s lists %q twice; name each workload once", src, v)
		}
		if _, err := r.reg.Lookup(v); err != nil {
			return nil, invalidf("%s: %v", src, err)
		}
		chosen[v] = true
	}
	var names []string
	for _, n := range r.reg.Names() {
		if chosen[n] {
			names = append(names, n)
		}
	}
	return names, nil
}

// params checks WORKLOAD.PARAM=VALUE from every source against the
// workload's schema and keeps the highest-precedence value of each.
func (r *resolver) params() (map[string]workloads.Values, error) {
	var all []param // highest precedence first
	for _, g := range values(r, paramsRow) {
		all = append(all, g.v...)
	}
	for _, name := range r.reg.Names() {
		if fw, ok := r.file.workloads[name]; ok {
			all = append(all, fw.params...)
		}
	}
	out := map[string]workloads.Values{}
	for _, p := range all {
		w, err := r.reg.Lookup(p.workload)
		if err != nil {
			return nil, invalidf("%s: %v", p.src, err)
		}
		spec := w.Spec()
		ps, ok := spec.Param(p.name)
		if !ok {
			var known []string
			for _, q := range spec.Params {
				known = append(known, q.Name)
			}
			return nil, invalidf("%s: workload %s has no param %q%s (known: %s)", p.src, p.workload, p.name, suggest.DidYouMean(p.name, known), strings.Join(known, ", "))
		}
		canon, err := ps.Parse(p.value)
		if err != nil {
			return nil, invalidf("%s: %s %v", p.src, p.name, err)
		}
		if out[p.workload] == nil {
			out[p.workload] = workloads.Values{}
		}
		if _, set := out[p.workload][p.name]; !set { // else a higher source set it
			out[p.workload][p.name] = canon
		}
	}
	return out, nil
}

// workload resolves one workload's settings: each per-workload row, then
// the custom workload's declared disk size, params and the disk check.
func (r *resolver) workload(name string, given workloads.Values) (Workload, error) {
	w, _ := r.reg.Get(name)
	spec := w.Spec()
	out := Workload{Name: name}
	for _, s := range rows {
		s.toWorkload(r, &out)
	}
	if err := r.rootDisk(&out); err != nil {
		return Workload{}, err
	}
	if err := r.sizeByInstancetype(&out); err != nil {
		return Workload{}, err
	}
	r.placement(&out)
	disk, diskGiven := pick(r, diskSizeRow, name)
	if size := declaredDiskSize(spec); !diskGiven && size != "" {
		// A custom workload's data_disk.size, checked when it was loaded.
		out.DiskSize = resource.MustParse(size)
	}
	params, err := spec.Defaults()
	if err != nil {
		return Workload{}, err
	}
	maps.Copy(params, given)
	out.Params = params
	if dc, ok := w.(workloads.DiskChecker); ok {
		if err := dc.CheckDisk(params, out.DiskSize.Value()); err != nil {
			src := disk.src
			if !diskGiven {
				src = "the default disk size " + DefaultDiskSize
			}
			return Workload{}, invalidf("workload %s (disk size from %s): %v", name, src, err)
		}
	}
	return out, nil
}

// rootDisk leaves a containerDisk's root disk size zero, and refuses one
// that was given for it.
func (r *resolver) rootDisk(w *Workload) error {
	if r.boot.Cloned() {
		return nil
	}
	if g, ok := pick(r, rootDiskSizeRow, w.Name); ok {
		return invalidf("%s sizes a cloned or imported root disk, but the VMs boot the containerDisk %s; drop %s or give --boot-source datasource:NAMESPACE/NAME (or pvc:, registry:, http:)", g.src, r.boot.Image, g.src)
	}
	w.RootDiskSize = resource.Quantity{}
	return nil
}

// declaredDiskSize is the data disk size a workload declares, "" for none.
func declaredDiskSize(spec workloads.Spec) string {
	for _, r := range spec.Roles {
		if r.DataDisk != nil && r.DataDisk.Size != "" {
			return r.DataDisk.Size
		}
	}
	return ""
}
