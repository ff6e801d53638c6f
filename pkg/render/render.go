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
// Namespaces, then Services, Secrets and VirtualMachines, each kind sorted by
// name (and namespace). VirtualMachines are built as they are read, so a
// large run is never held in memory whole.
type Bundle struct {
	RunID string
	// Namespace is the run's first namespace, the only one unless the
	// run is spread over Namespaces (--namespaces).
	Namespace  string
	Namespaces []string

	namespaces []map[string]any
	services   []servicePlan
	secrets    []secretPlan
	vms        []vmPlan

	ssh      config.SSH
	userData *userDataEncoder
}

// servicePlan is one Service, built when read.
type servicePlan struct {
	name, namespace string
	instance        int
	spec            workloads.Spec
}

// secretPlan is one user-data Secret. Its data is rebuilt when the Secret
// is read (cheaply: file entries are encoded once per bundle), so the
// bundle never holds thousands of user-data documents at once.
type secretPlan struct {
	name, namespace string
	labels          map[string]any
	workload        workloads.Workload
	instance        workloads.Instance
}

// vmPlan is one VM, small enough to keep for thousands of VMs.
type vmPlan struct {
	name, namespace string
	instance        int
	secret          string
	role            *roleTemplate
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

	// Instances are dealt round-robin over the namespaces across all
	// workloads, so the namespaces differ by at most one instance.
	next := 0
	for _, wc := range cfg.Workloads {
		w, err := in.Registry.Lookup(wc.Name)
		if err != nil {
			return nil, err
		}
		if err := b.addWorkload(cfg, wc, w, next); err != nil {
			return nil, err
		}
		next += wc.VMCount
	}
	slices.SortFunc(b.services, func(a, b servicePlan) int { return cmp.Compare(a.name, b.name) })
	slices.SortFunc(b.secrets, func(a, b secretPlan) int {
		return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.namespace, b.namespace))
	})
	slices.SortFunc(b.vms, func(a, b vmPlan) int { return cmp.Compare(a.name, b.name) })
	return b, nil
}

// addWorkload plans the workload's Secrets, VMs and Services; its
// instance i goes to namespace (first+i) mod N, with all its VMs and its
// Service, which its clients reach within their namespace.
func (b *Bundle) addWorkload(cfg *config.Config, wc config.Workload, w workloads.Workload, first int) error {
	spec := w.Spec()
	multiRole := len(spec.Roles) > 1
	sched, err := scheduleFile(cfg.RunID, wc)
	if err != nil {
		return err
	}
	nsOf := func(i int) string { return b.Namespaces[(first+i)%len(b.Namespaces)] }
	for _, role := range spec.Roles {
		rt, err := newRoleTemplate(cfg, wc, spec, role)
		if err != nil {
			return err
		}
		// Every VM of a role in a namespace gets the same user-data, so
		// one Secret there serves them all: a client VM derives its
		// Service host from its name.
		secret := roleSecretName(spec.Name, cfg.RunID, role.Name)
		for k := range min(len(b.Namespaces), wc.VMCount) {
			ns := nsOf(k) // the namespaces this workload's instances reach
			inst := workloads.Instance{Role: role.Name, Params: wc.Params, Guest: cfg.Guest, Preinstalled: wc.Preinstalled, Schedule: sched}
			if spec.Service != nil && slices.Contains(spec.Service.ClientRoles, role.Name) {
				inst.ServiceHost = serviceHostRule(spec, cfg.RunID, role.Name, ns)
			}
			if err := b.checkUserData(w, inst); err != nil {
				return err
			}
			b.secrets = append(b.secrets, secretPlan{name: secret, namespace: ns, labels: workloadLabels(cfg.RunID, spec, role.Name), workload: w, instance: inst})
		}
		for i := range wc.VMCount * role.VMs() {
			i, j := i/role.VMs(), i%role.VMs()
			name := vmName(spec.Name, cfg.RunID, role.Name, multiRole, i, j, role.VMs())
			if len(name) > maxVMName {
				return fmt.Errorf("workload %s: VM name %s is longer than %d characters", spec.Name, name, maxVMName)
			}
			b.vms = append(b.vms, vmPlan{name: name, namespace: nsOf(i), instance: i, secret: secret, role: rt})
		}
	}
	if spec.Service != nil {
		for i := range wc.VMCount {
			b.services = append(b.services, servicePlan{name: serviceName(spec.Name, cfg.RunID, i), namespace: nsOf(i), instance: i, spec: spec})
		}
	}
	return nil
}

// checkUserData builds a Secret's user-data once, to report errors and
// oversize user-data before anything is written.
func (b *Bundle) checkUserData(w workloads.Workload, inst workloads.Instance) error {
	name := w.Spec().Name
	data, err := b.userDataOf(w, inst)
	if err != nil {
		return fmt.Errorf("workload %s: %w", name, err)
	}
	if n := len(data) + len(userDataKey); n > maxSecretSize {
		return fmt.Errorf("workload %s: cloud-init user-data for role %s is %d bytes, over the %d-byte Secret limit; use fewer SSH keys or smaller files", name, inst.Role, n, maxSecretSize)
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
	s := object("v1", "Secret", p.namespace, p.name, p.labels)
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
	s := object("v1", "Service", p.namespace, p.name, lbl)
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

// VMNames lists the bundle's VirtualMachines, sorted.
func (b *Bundle) VMNames() []string {
	names := make([]string, len(b.vms))
	for i, vm := range b.vms {
		names[i] = vm.name
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
	for _, vm := range b.vms {
		if vm.role.workload == workload {
			out = append(out, VMRef{Name: vm.name, Namespace: vm.namespace, Role: vm.role.role, Instance: vm.instance})
		}
	}
	return out
}

// HasDataVolumes reports whether any VM has a DataVolume (a data disk, or
// a cloned or imported root disk).
func (b *Bundle) HasDataVolumes() bool {
	for _, vm := range b.vms {
		if len(vm.role.dvSuffixes) > 0 {
			return true
		}
	}
	return false
}

// Len is the number of objects in the bundle.
func (b *Bundle) Len() int { return len(b.namespaces) + len(b.services) + len(b.secrets) + len(b.vms) }

// Counts returns the number of objects per kind.
func (b *Bundle) Counts() map[string]int {
	return map[string]int{"Namespace": len(b.namespaces), "Service": len(b.services), "Secret": len(b.secrets), "VirtualMachine": len(b.vms)}
}

// Objects yields every object in apply order. Each is the caller's own
// copy.
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
		for _, s := range b.services {
			if !yield(b.service(s)) {
				return
			}
		}
		for _, s := range b.secrets {
			if !yield(b.secret(s)) {
				return
			}
		}
		for _, vm := range b.vms {
			if !yield(vm.role.instantiate(vm)) {
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
