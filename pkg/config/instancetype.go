package config

import (
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The kinds of KubeVirt's instancetype.kubevirt.io API a VM can name, as
// its spec.instancetype.kind and spec.preference.kind take them.
const (
	KindClusterInstancetype = "VirtualMachineClusterInstancetype"
	KindInstancetype        = "VirtualMachineInstancetype"
	KindClusterPreference   = "VirtualMachineClusterPreference"
	KindPreference          = "VirtualMachinePreference"
)

// Sizing names an instance type or a preference, as a VM's
// spec.instancetype or spec.preference does. The zero Sizing names none.
type Sizing struct {
	// Kind is one of the Kind* constants: a cluster-wide kind unless the
	// value had a namespaced kind's prefix.
	Kind string
	// Name is the object's name; a namespaced one lives in the run's
	// namespace, where KubeVirt looks for it.
	Name string
}

// Namespaced reports whether the object lives in the VM's namespace.
func (s Sizing) Namespaced() bool { return s.Kind == KindInstancetype || s.Kind == KindPreference }

// String is the value as --instancetype or --preference takes it: the bare
// name for a cluster-wide kind, kind/NAME for a namespaced one.
func (s Sizing) String() string {
	if s.Namespaced() {
		return strings.ToLower(s.Kind) + "/" + s.Name
	}
	return s.Name
}

// sizingKinds are the cluster-wide and namespaced kinds one flag takes.
type sizingKinds struct{ cluster, namespaced string }

var (
	instancetypeKinds = sizingKinds{KindClusterInstancetype, KindInstancetype}
	preferenceKinds   = sizingKinds{KindClusterPreference, KindPreference}
)

// parser reads [KIND/]NAME as `virtctl create vm` does: KIND is the
// lowercase singular resource name of the namespaced or the cluster-wide
// kind (virtualmachineinstancetype/u1.small), and no KIND means the
// cluster-wide one.
func (k sizingKinds) parser(what string) func(v, src string) (Sizing, error) {
	ns, cl := strings.ToLower(k.namespaced), strings.ToLower(k.cluster)
	return func(v, src string) (Sizing, error) {
		v = strings.TrimSpace(v)
		s := Sizing{Kind: k.cluster, Name: v}
		if prefix, name, ok := strings.Cut(v, "/"); ok {
			switch strings.ToLower(prefix) {
			case ns:
				s = Sizing{Kind: k.namespaced, Name: name}
			case cl:
				s.Name = name
			default:
				return Sizing{}, invalidf("%s: unknown kind %q; give NAME for a %s or %s/NAME for a %s in the run's namespace", src, prefix, k.cluster, ns, k.namespaced)
			}
		}
		if s.Name == "" {
			return Sizing{}, invalidf("%s: empty %s name; give NAME (a %s) or %s/NAME", src, what, k.cluster, ns)
		}
		if len(validation.IsDNS1123Subdomain(s.Name)) > 0 {
			return Sizing{}, invalidf("%s: %q is not a valid %s name (lowercase letters, digits, '-' and '.', as u1.medium)", src, s.Name, what)
		}
		return s, nil
	}
}

// instancetypeRow and preferenceRow: workload (selection.go) refuses
// --cpu-cores and --memory beside an instance type, which sizes the VM.
var instancetypeRow = &setting[Sizing]{
	meta: meta{flag: "instancetype", typ: "string", groups: runFlags, env: "VIRTWORK_INSTANCETYPE", file: "instancetype", perWorkload: true, step: "workload",
		doc: "KubeVirt instance type that sizes every VM (CPU and memory) in place of `--cpu-cores` and `--memory`: a VirtualMachineClusterInstancetype such as `u1.medium`, or `virtualmachineinstancetype/NAME` for one in the run's namespace"},
	parse:    one(instancetypeKinds.parser("instance type")),
	workload: func(w *Workload) *Sizing { return &w.Instancetype },
}

var preferenceRow = &setting[Sizing]{
	meta: meta{flag: "preference", typ: "string", groups: runFlags, env: "VIRTWORK_PREFERENCE", file: "preference", perWorkload: true,
		doc: "KubeVirt preference of every VM (device and topology defaults): a VirtualMachineClusterPreference such as `fedora`, or `virtualmachinepreference/NAME` for one in the run's namespace"},
	parse:    one(preferenceKinds.parser("preference")),
	workload: func(w *Workload) *Sizing { return &w.Preference },
}

// sizeByInstancetype leaves the CPU and memory of a workload with an
// instance type to it (zero in w), and refuses --cpu-cores or --memory
// given beside it at any level: KubeVirt would refuse the VM.
func (r *resolver) sizeByInstancetype(w *Workload) error {
	it, ok := pick(r, instancetypeRow, w.Name)
	if !ok {
		return nil
	}
	if g, ok := pick(r, cpuCoresRow, w.Name); ok {
		return invalidf("%s and %s both size the VMs of %s; drop %s (the instance type %s sets the vCPUs)", g.src, it.src, w.Name, g.src, it.v)
	}
	if g, ok := pick(r, memoryRow, w.Name); ok {
		return invalidf("%s and %s both size the VMs of %s; drop %s (the instance type %s sets the memory)", g.src, it.src, w.Name, g.src, it.v)
	}
	w.CPUCores, w.Memory = 0, resource.Quantity{}
	return nil
}
