package render

import (
	"cmp"
	"encoding/base64"
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
// Namespace, then Services, Secrets and VirtualMachines, each kind sorted by
// name. A bundle holds the run's plan, a few small values per workload
// role; every object is built when it is read and dropped once written, so
// a run's memory does not grow with its VM count.
type Bundle struct {
	RunID     string
	Namespace string

	namespace map[string]any
	services  []serviceGroup
	secrets   []secretPlan
	vms       []vmGroup

	ssh      config.SSH
	userData *userDataEncoder
	slots    slots
}

// serviceGroup is the Services of one workload, one per instance.
type serviceGroup struct {
	names nameGroup
	spec  workloads.Spec
}

// servicePlan is one Service, built when read.
type servicePlan struct {
	name     string
	instance int
	spec     workloads.Spec
}

// secretPlan is one user-data Secret. Its data is rebuilt when the Secret
// is read (cheaply: file entries are encoded once per bundle), so the
// bundle never holds thousands of user-data documents at once.
type secretPlan struct {
	name     string
	labels   map[string]any
	workload workloads.Workload
	instance workloads.Instance
}

// vmGroup is the VMs of one workload role: every one is cut from the
// role's template and reads the role's Secret.
type vmGroup struct {
	names  nameGroup
	secret string
	role   *roleTemplate
	slots  slotRange
}

// vmPlan is one VM, made from its group when read.
type vmPlan struct {
	name     string
	instance int
	secret   string
	role     *roleTemplate
	// slot is the VM's --vms-per-node group (see slots).
	slot int
}

// Render builds the bundle of one run.
func Render(in Input) (*Bundle, error) {
	cfg := in.Config
	if len(cfg.RunID) < 8 {
		return nil, fmt.Errorf("run id %q is too short", cfg.RunID)
	}
	b := &Bundle{RunID: cfg.RunID, Namespace: cfg.Namespace, ssh: cfg.SSH, userData: newUserDataEncoder()}
	b.namespace = object("v1", "Namespace", "", cfg.Namespace, runLabels(cfg.RunID))

	for _, wc := range cfg.Workloads {
		w, err := in.Registry.Lookup(wc.Name)
		if err != nil {
			return nil, err
		}
		if err := b.addWorkload(cfg, wc, w); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(b.secrets, func(a, b secretPlan) int { return cmp.Compare(a.name, b.name) })
	return b, nil
}

func (b *Bundle) addWorkload(cfg *config.Config, wc config.Workload, w workloads.Workload) error {
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
		// Every VM of a role gets the same user-data, so one Secret serves
		// them all: a client VM derives its Service host from its name.
		inst := workloads.Instance{Role: role.Name, Params: wc.Params, Guest: cfg.Guest, Preinstalled: wc.Preinstalled, Schedule: sched}
		if spec.Service != nil && slices.Contains(spec.Service.ClientRoles, role.Name) {
			inst.ServiceHost = serviceHostRule(spec, cfg.RunID, role.Name, cfg.Namespace)
		}
		// Build it once now, to report errors and oversize user-data
		// before anything is written.
		data, err := b.userDataOf(w, inst)
		if err != nil {
			return fmt.Errorf("workload %s: %w", spec.Name, err)
		}
		if n := len(data) + len(userDataKey); n > maxSecretSize {
			return fmt.Errorf("workload %s: cloud-init user-data for role %s is %d bytes, over the %d-byte Secret limit; use fewer SSH keys or smaller files", spec.Name, role.Name, n, maxSecretSize)
		}
		secret := roleSecretName(spec.Name, cfg.RunID, role.Name)
		b.secrets = append(b.secrets, secretPlan{name: secret, labels: workloadLabels(cfg.RunID, spec, role.Name), workload: w, instance: inst})
		names := nameGroup{prefix: vmNamePrefix(spec.Name, cfg.RunID, role.Name, multiRole), instances: wc.VMCount, perInstance: role.VMs()}
		if name := names.last(); len(name) > maxVMName {
			return fmt.Errorf("workload %s: VM name %s is longer than %d characters", spec.Name, name, maxVMName)
		}
		b.vms = append(b.vms, vmGroup{names: names, secret: secret, role: rt, slots: b.slots.take(wc.Placement, &workloadSlots, names.len())})
	}
	if spec.Service != nil {
		names := nameGroup{prefix: servicePrefix(spec.Name, cfg.RunID), instances: wc.VMCount, perInstance: 1}
		b.services = append(b.services, serviceGroup{names: names, spec: spec})
	}
	return nil
}

func (b *Bundle) userDataOf(w workloads.Workload, inst workloads.Instance) ([]byte, error) {
	cc, err := workloads.CloudConfigFor(w, inst)
	if err != nil {
		return nil, err
	}
	return b.userData.encode(cc, b.ssh)
}

// secret builds a Secret; Render already built its data once without error.
func (b *Bundle) secret(p secretPlan) map[string]any {
	data, err := b.userDataOf(p.workload, p.instance)
	if err != nil {
		panic(fmt.Sprintf("render: user-data of %s failed after succeeding in Render: %v", p.name, err))
	}
	s := object("v1", "Secret", b.Namespace, p.name, p.labels)
	s["type"] = "Opaque"
	s["data"] = map[string]any{userDataKey: base64.StdEncoding.EncodeToString(data)}
	return s
}

// service builds a Service that selects its instance's VM of the
// Service's role, and nothing else.
func (b *Bundle) service(p servicePlan) map[string]any {
	spec := p.spec
	lbl := workloadLabels(b.RunID, spec, spec.Service.Role)
	lbl[labels.Instance] = itoa(p.instance)
	s := object("v1", "Service", b.Namespace, p.name, lbl)
	var ports []any
	for _, p := range spec.Service.Ports {
		ports = append(ports, map[string]any{
			"name": p.Name, "port": int64(p.Port), "protocol": p.Protocol, "targetPort": int64(p.Port),
		})
	}
	selector := map[string]any{}
	for k, v := range lbl {
		if k != labels.ManagedBy {
			selector[k] = v
		}
	}
	s["spec"] = map[string]any{"type": "ClusterIP", "ports": ports, "selector": selector}
	return s
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

// VMRef names one VirtualMachine of a bundle, the role it plays and the
// workload instance it belongs to (a server and its clients share one).
type VMRef struct {
	Name, Role string
	Instance   int
}

// VMsOf lists the named workload's VirtualMachines, sorted by name, so
// other views of a run (plan) use render's names rather than a copy of
// the naming scheme.
func (b *Bundle) VMsOf(workload string) []VMRef {
	var out []VMRef
	for vm := range b.vmPlans() {
		if vm.role.workload == workload {
			out = append(out, VMRef{Name: vm.name, Role: vm.role.role, Instance: vm.instance})
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
	return map[string]int{"Namespace": 1, "Service": services, "Secret": len(b.secrets), "VirtualMachine": vms}
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
		if !yield(b.namespace) {
			return
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

// servicePlans yields the Services' plans sorted by name.
func (b *Bundle) servicePlans() iter.Seq[servicePlan] {
	return func(yield func(servicePlan) bool) {
		groups := make([]nameGroup, len(b.services))
		for k, g := range b.services {
			groups[k] = g.names
		}
		for ref := range sortedNames(groups) {
			if !yield(servicePlan{name: ref.name, instance: ref.i, spec: b.services[ref.group].spec}) {
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
			if !yield(vmPlan{name: ref.name, instance: ref.i, secret: g.secret, role: g.role, slot: slot}) {
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
