package render

import (
	"cmp"
	"fmt"
	"iter"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// maxSecretSize is the API server's limit on a Secret's data.
const maxSecretSize = 1 << 20

// userDataKey is the Secret key KubeVirt's cloudInitNoCloud secretRef reads.
const userDataKey = "userdata"

// Input is everything a render depends on.
type Input struct {
	Config   *config.Config
	Registry *workloads.Registry
}

// Bundle is the rendered run. Objects come out in apply order: the
// Namespaces, then Services, Secrets and VirtualMachines, each kind sorted by
// name (and namespace). A bundle holds the run's plan, a few small values per workload
// role; every object is built when it is read and dropped once written, so
// a run's memory does not grow with its VM count.
type Bundle struct {
	RunID string
	// Namespace is the run's first namespace, the only one unless the
	// run is spread over Namespaces (--namespaces).
	Namespace  string
	Namespaces []string

	namespaces []map[string]any
	services   []serviceGroup
	secrets    []secretPlan
	vms        []vmGroup

	ssh      config.SSH
	userData *userDataEncoder
	slots    slots
}

// vmGroup is the VMs of one workload role: every one is cut from the
// role's template and reads the role's Secret.
type vmGroup struct {
	names  nameGroup
	secret string
	role   *roleTemplate
	slots  slotRange
	ns     nsRange
}

// nsRange deals a workload's instances round-robin over the run's
// namespaces: instance i goes to namespaces[(first+i) mod N], with all its
// VMs and its Service, which its clients reach within their namespace.
// first counts the instances of the workloads before it, so the
// namespaces differ by at most one instance.
type nsRange struct {
	namespaces []string
	first      int
}

func (r nsRange) of(i int) string { return r.namespaces[(r.first+i)%len(r.namespaces)] }

// vmPlan is one VM, made from its group when read.
type vmPlan struct {
	name, namespace string
	instance        int
	secret          string
	role            *roleTemplate
	// slot is the VM's --vms-per-node group (see slots).
	slot int
}

// Render builds the bundle of one run.
func Render(in Input) (*Bundle, error) {
	cfg := in.Config
	if len(cfg.RunID) < 8 {
		return nil, fmt.Errorf("run id %q is too short", cfg.RunID)
	}
	namespaces := cfg.Namespaces
	if len(namespaces) == 0 {
		namespaces = []string{cfg.Namespace}
	}
	b := &Bundle{RunID: cfg.RunID, Namespace: namespaces[0], Namespaces: namespaces, ssh: cfg.SSH, userData: newUserDataEncoder()}
	for _, ns := range namespaces {
		b.namespaces = append(b.namespaces, object("v1", "Namespace", "", ns, runLabels(cfg.RunID)))
	}

	next := 0
	for _, wc := range cfg.Workloads {
		w, err := in.Registry.Lookup(wc.Name)
		if err != nil {
			return nil, err
		}
		if err := b.addWorkload(cfg, wc, w, nsRange{namespaces: namespaces, first: next}); err != nil {
			return nil, err
		}
		next += wc.VMCount
	}
	slices.SortFunc(b.secrets, func(a, b secretPlan) int {
		return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.namespace, b.namespace))
	})
	return b, nil
}

// addWorkload plans the workload's Secrets, VMs and Services.
func (b *Bundle) addWorkload(cfg *config.Config, wc config.Workload, w workloads.Workload, ns nsRange) error {
	spec := w.Spec()
	multiRole := len(spec.Roles) > 1
	sched, err := scheduleFile(cfg.RunID, wc)
	if err != nil {
		return err
	}
	var workloadSlots int
	for _, role := range spec.Roles {
		rt, err := newRoleTemplate(cfg, wc, spec, role)
		if err != nil {
			return err
		}
		// Every VM of a role in a namespace gets the same user-data, so
		// one Secret there serves them all: a client VM derives its
		// Service host from its name.
		secret := roleSecretName(spec.Name, cfg.RunID, role.Name)
		for k := range min(len(ns.namespaces), wc.VMCount) {
			inNS := ns.of(k) // the namespaces this workload's instances reach
			inst := workloads.Instance{Role: role.Name, Params: wc.Params, Guest: cfg.Guest, Preinstalled: wc.Preinstalled, Schedule: sched}
			if spec.Service != nil && slices.Contains(spec.Service.ClientRoles, role.Name) {
				inst.ServiceHost = serviceHostRule(spec, cfg.RunID, role.Name, inNS)
			}
			if err := b.checkUserData(w, inst); err != nil {
				return err
			}
			b.secrets = append(b.secrets, secretPlan{name: secret, namespace: inNS, labels: workloadLabels(cfg.RunID, spec, role.Name), workload: w, instance: inst})
		}
		names := nameGroup{prefix: vmNamePrefix(spec.Name, cfg.RunID, role.Name, multiRole), instances: wc.VMCount, perInstance: role.VMs()}
		if name := names.last(); len(name) > maxVMName {
			return fmt.Errorf("workload %s: VM name %s is longer than %d characters", spec.Name, name, maxVMName)
		}
		b.vms = append(b.vms, vmGroup{names: names, secret: secret, role: rt, slots: b.slots.take(wc.Placement, &workloadSlots, names.len()), ns: ns})
	}
	if spec.Service != nil {
		names := nameGroup{prefix: servicePrefix(spec.Name, cfg.RunID), instances: wc.VMCount, perInstance: 1}
		b.services = append(b.services, serviceGroup{names: names, spec: spec, ns: ns})
	}
	return nil
}

// VMNames lists the bundle's VirtualMachines, sorted. It is the one view
// of a bundle that grows with its VMs, for the callers that keep state per
// VM anyway (wait).
func (b *Bundle) VMNames() []string {
	names := make([]string, 0, b.Counts()["VirtualMachine"])
	for vm := range b.vmPlans() {
		names = append(names, vm.name)
	}
	return names
}

// VMRef names one VirtualMachine of a bundle, its namespace, the role it
// plays and the workload instance it belongs to (a server and its clients
// share one).
type VMRef struct {
	Name, Namespace, Role string
	Instance              int
}

// VMsOf lists the named workload's VirtualMachines, sorted by name, so
// other views of a run (plan) use render's names rather than a copy of
// the naming scheme.
func (b *Bundle) VMsOf(workload string) []VMRef {
	var out []VMRef
	for vm := range b.vmPlans() {
		if vm.role.workload == workload {
			out = append(out, VMRef{Name: vm.name, Namespace: vm.namespace, Role: vm.role.role, Instance: vm.instance})
		}
	}
	return out
}

// HasDataVolumes reports whether any VM has a DataVolume (a data disk, or
// a cloned or imported root disk).
func (b *Bundle) HasDataVolumes() bool {
	for _, g := range b.vms {
		if len(g.role.dvSuffixes) > 0 && g.names.len() > 0 {
			return true
		}
	}
	return false
}

// Len is the number of objects in the bundle.
func (b *Bundle) Len() int {
	n := 0
	for _, c := range b.Counts() {
		n += c
	}
	return n
}

// Counts returns the number of objects per kind.
func (b *Bundle) Counts() map[string]int {
	services, vms := 0, 0
	for _, g := range b.services {
		services += g.names.len()
	}
	for _, g := range b.vms {
		vms += g.names.len()
	}
	return map[string]int{"Namespace": len(b.namespaces), "Service": services, "Secret": len(b.secrets), "VirtualMachine": vms}
}

// Objects yields every object in apply order, each built as it is read.
// Each is the caller's own copy.
func (b *Bundle) Objects() iter.Seq[*unstructured.Unstructured] {
	return func(yield func(*unstructured.Unstructured) bool) {
		for obj := range b.shared() {
			if !yield(&unstructured.Unstructured{Object: deepCopy(obj)}) {
				return
			}
		}
	}
}

// shared yields the objects without copying; VMs share subtrees with their
// role's template, so what it yields must only be read.
func (b *Bundle) shared() iter.Seq[map[string]any] {
	return func(yield func(map[string]any) bool) {
		for _, ns := range b.namespaces {
			if !yield(ns) {
				return
			}
		}
		for s := range b.servicePlans() {
			if !yield(b.service(s)) {
				return
			}
		}
		for _, s := range b.secrets {
			if !yield(b.secret(s)) {
				return
			}
		}
		for vm := range b.vmPlans() {
			if !yield(vm.role.instantiate(vm)) {
				return
			}
		}
	}
}

// vmPlans yields the VMs' plans sorted by name.
func (b *Bundle) vmPlans() iter.Seq[vmPlan] {
	return func(yield func(vmPlan) bool) {
		groups := make([]nameGroup, len(b.vms))
		for k, g := range b.vms {
			groups[k] = g.names
		}
		for ref := range sortedNames(groups) {
			g := b.vms[ref.group]
			slot := g.slots.of(ref.i*g.names.perInstance + ref.j)
			if !yield(vmPlan{name: ref.name, namespace: g.ns.of(ref.i), instance: ref.i, secret: g.secret, role: g.role, slot: slot}) {
				return
			}
		}
	}
}

func object(apiVersion, kind, namespace, name string, lbl map[string]any) map[string]any {
	md := map[string]any{"name": name, "labels": lbl}
	if namespace != "" {
		md["namespace"] = namespace
	}
	return map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md}
}

func runLabels(runID string) map[string]any {
	return map[string]any{labels.ManagedBy: labels.ManagedByValue, labels.RunID: runID}
}

func workloadLabels(runID string, spec workloads.Spec, role string) map[string]any {
	l := map[string]any{
		labels.ManagedBy: labels.ManagedByValue, labels.RunID: runID,
		labels.Component: spec.Name, labels.Role: role,
	}
	if spec.Chaos {
		l[labels.Chaos] = "true"
	}
	return l
}

func nameOf(obj map[string]any) string {
	return obj["metadata"].(map[string]any)["name"].(string)
}

func deepCopy(v map[string]any) map[string]any {
	return copyValue(v).(map[string]any)
}

func copyValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = copyValue(x)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = copyValue(x)
		}
		return s
	case *preEncoded:
		return copyValue(v.v)
	}
	return v
}
