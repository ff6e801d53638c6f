package workloads

import "fmt"

// Info is one workload as `kubectl virtwork workloads` lists it; its JSON
// form is what `workloads -o json` prints, so the keys are an interface.
type Info struct {
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Roles       []RoleInfo   `json:"roles"`
	Service     *ServiceInfo `json:"service,omitempty"`
	// Packages are what a guest of the family Describe was given installs
	// (none when the workload cannot run there; Unavailable says why).
	Packages    []string `json:"packages"`
	Unavailable string   `json:"unavailable,omitempty"`
	// PackagesByGuest lists the packages on every guest family that can
	// run the workload.
	PackagesByGuest map[Guest][]string `json:"packagesByGuest"`
	Params          []ParamInfo        `json:"params"`
	Chaos           bool               `json:"chaos,omitempty"`
	// Level is set for a workload that takes a load profile.
	Level *Level `json:"level,omitempty"`
	// Source is "built-in" or the directory of a custom workload.
	Source string `json:"source"`
}

// RoleInfo is one VM role of a listed workload.
type RoleInfo struct {
	Name     string    `json:"name"`
	Unit     string    `json:"unit"`
	VMs      int       `json:"vmsPerInstance"`
	DataDisk *DataDisk `json:"dataDisk,omitempty"`
}

// ServiceInfo is the Service in front of a listed workload's role, its
// ports spelt "port/protocol".
type ServiceInfo struct {
	Role  string   `json:"role"`
	Ports []string `json:"ports"`
}

// ParamInfo is one param of a listed workload; Min and Max are set for
// int and size params.
type ParamInfo struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Default     string   `json:"default"`
	Min         *int64   `json:"min,omitempty"`
	Max         *int64   `json:"max,omitempty"`
	Allowed     []string `json:"allowed,omitempty"`
	Description string   `json:"description"`
}

// Describe lists the registry's workloads in its order, with the packages
// each installs on guest and on every other family.
func Describe(reg *Registry, guest Guest) []Info {
	var out []Info
	for _, name := range reg.Names() {
		w, _ := reg.Get(name)
		out = append(out, describe(w, guest))
	}
	return out
}

func describe(w Workload, guest Guest) Info {
	s := w.Spec()
	wi := Info{Name: s.Name, Description: s.Description, Params: []ParamInfo{}, Chaos: s.Chaos, Source: "built-in",
		PackagesByGuest: map[Guest][]string{}, Level: s.Level}
	for _, g := range Guests() {
		pkgs, err := PackagesFor(w, g)
		if err == nil {
			wi.PackagesByGuest[g] = pkgs
		}
		if g == guest {
			wi.Packages = pkgs
			if err != nil {
				wi.Unavailable = err.Error()
			}
		}
	}
	if d, ok := w.(*Definition); ok {
		wi.Source = d.Source()
	}
	for _, r := range s.Roles {
		wi.Roles = append(wi.Roles, RoleInfo{Name: r.Name, Unit: r.Unit, VMs: r.VMs(), DataDisk: r.DataDisk})
	}
	if s.Service != nil {
		si := &ServiceInfo{Role: s.Service.Role}
		for _, p := range s.Service.Ports {
			si.Ports = append(si.Ports, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
		}
		wi.Service = si
	}
	for _, p := range s.Params {
		pi := ParamInfo{Name: p.Name, Type: string(p.Type), Default: p.Default, Allowed: p.Allowed, Description: p.Description}
		if p.Type == Int || p.Type == Size {
			pi.Min, pi.Max = &p.Min, &p.Max
		}
		wi.Params = append(wi.Params, pi)
	}
	return wi
}
