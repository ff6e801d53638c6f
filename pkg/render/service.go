package render

import (
	"iter"

	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// serviceGroup is the Services of one workload, one per instance.
type serviceGroup struct {
	names nameGroup
	spec  workloads.Spec
	ns    nsRange
}

// servicePlan is one Service, built when read.
type servicePlan struct {
	name, namespace string
	instance        int
	spec            workloads.Spec
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

// servicePlans yields the Services' plans sorted by name.
func (b *Bundle) servicePlans() iter.Seq[servicePlan] {
	return func(yield func(servicePlan) bool) {
		groups := make([]nameGroup, len(b.services))
		for k, g := range b.services {
			groups[k] = g.names
		}
		for ref := range sortedNames(groups) {
			g := b.services[ref.group]
			if !yield(servicePlan{name: ref.name, namespace: g.ns.of(ref.i), instance: ref.i, spec: g.spec}) {
				return
			}
		}
	}
}
