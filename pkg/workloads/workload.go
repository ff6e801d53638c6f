package workloads

import "fmt"

// Workload is one kind of load a VM can run. Every workload that ships, and
// every one a user defines, is a *Definition loaded from a directory; the
// interface lets a test hand a registry something else.
type Workload interface {
	// Spec describes the workload: roles, disks, Service and params.
	Spec() Spec
	// CloudConfig returns the cloud-init for one VM. It is a pure function
	// of in: equal Instances yield equal CloudConfigs, which lets render share
	// one Secret between VMs whose Instances are equal.
	CloudConfig(in Instance) (CloudConfig, error)
}

// Spec is what a workload needs from the cluster.
type Spec struct {
	Name        string
	Description string
	// Roles lists the VMs of one instance of the workload, in order. A
	// vm count of N yields N instances, so N VMs per role.
	Roles []Role
	// Service, when set, fronts each instance's VM of Service.Role.
	Service *Service
	Params  []ParamSpec
	// Packages lists what the guest installs, by their Fedora names;
	// PackagesFor maps them to another guest family's.
	Packages []string
	// Chaos marks workloads that inject failures (disk full, packet loss,
	// killed processes). They are never selected implicitly: not by
	// default, not by "all".
	Chaos bool
	// Implicit marks the workloads a run gets when the user names none,
	// or says "all". Only built-in workloads may set it, and never with
	// Chaos.
	Implicit bool
	// Level, when set, lets the workload take a load profile.
	Level *Level
	// Signals are what its load shows in KubeVirt's metrics, per VM; or
	// Unobservable says why KubeVirt's metrics cannot show it.
	Signals      []Signal
	Unobservable string
}

// Role is one VM of a workload instance.
type Role struct {
	Name string
	// Unit is the systemd unit that carries the role's load.
	Unit string
	// DataDisk, when set, gives the role's VMs a blank data disk.
	DataDisk *DataDisk
	// Count is the number of VMs of the role in each instance; 0 means 1.
	Count int
}

// VMs is the number of VMs of the role in each instance.
func (r Role) VMs() int { return max(r.Count, 1) }

// DataDisk describes a VM's dedicated data disk as the guest sees it.
type DataDisk struct {
	// Serial is the disk serial; the guest finds the disk as
	// /dev/disk/by-id/virtio-<Serial> (at most 20 characters).
	Serial string `json:"serial"`
	// MountPoint is where the workload's setup mounts it.
	MountPoint string `json:"mountPoint"`
	// Size, when set, is the disk's default size (a Kubernetes quantity);
	// the disk-size setting overrides it. Empty means the global default.
	Size string `json:"size,omitempty"`
}

// env is how the guest's setup learns where the disk is and goes.
func (d *DataDisk) env() []EnvVar {
	return []EnvVar{{"VIRTWORK_DATA_SERIAL", d.Serial}, {"VIRTWORK_DATA_MOUNT", d.MountPoint}}
}

// Service describes a ClusterIP Service in front of one role's VM of each
// instance; the roles in ClientRoles learn its address through
// Instance.ServiceHost, the rule that gives each its instance's Service host.
type Service struct {
	Role        string
	ClientRoles []string
	Ports       []ServicePort
}

// ServicePort is one port of a workload Service.
type ServicePort struct {
	Name     string
	Port     int32
	Protocol string // TCP or UDP
}

// Instance is everything a workload's cloud-init depends on for one VM.
type Instance struct {
	Role string
	// Params are validated and complete (defaults filled in).
	Params Values
	// ServiceHost, set only for the Service's client roles, is how each
	// VM finds its instance's Service host from its own name at first
	// boot; it is the same for every VM of the role.
	ServiceHost HostRule
	// Guest is the guest's OS family ("" means DefaultGuest); see
	// CloudConfigFor.
	Guest Guest
	// Preinstalled: the root disk carries the packages (a golden image),
	// so the cloud-config installs none and asks no package mirror.
	Preinstalled bool
	// Schedule is the VM's schedule file (pkg/profile's Schedule.File),
	// "" for a VM that runs its workload as it always did. Only a
	// workload that declares a Level takes one.
	Schedule string
}

// Role returns the named role of the spec.
func (s Spec) Role(name string) (Role, bool) {
	for _, r := range s.Roles {
		if r.Name == name {
			return r, true
		}
	}
	return Role{}, false
}

// Param returns the named param of the spec.
func (s Spec) Param(name string) (ParamSpec, bool) {
	for _, p := range s.Params {
		if p.Name == name {
			return p, true
		}
	}
	return ParamSpec{}, false
}

// Defaults returns every param at its default, in canonical form.
func (s Spec) Defaults() (Values, error) {
	v := make(Values, len(s.Params))
	for _, p := range s.Params {
		c, err := p.Parse(p.Default)
		if err != nil {
			return nil, fmt.Errorf("workload %s: default of param %s %w", s.Name, p.Name, err)
		}
		v[p.Name] = c
	}
	return v, nil
}

// NeedsDataDisk reports whether any role has a data disk.
func (s Spec) NeedsDataDisk() bool {
	for _, r := range s.Roles {
		if r.DataDisk != nil {
			return true
		}
	}
	return false
}
