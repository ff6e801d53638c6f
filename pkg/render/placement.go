package render

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
)

// hostnameKey is the node label every node carries with its own name: a
// pod anti-affinity over it keeps pods off one node.
const hostnameKey = "kubernetes.io/hostname"

// place gives the VM template what every VM of the workload shares: its
// node selector, tolerations, spread, eviction strategy and, for
// --vms-per-node, the anti-affinity whose slot instantiate sets per VM.
// Their selectors select labels of the template's metadata, which KubeVirt
// copies to the VMI and its virt-launcher pod, the object the scheduler
// places and counts. It returns the slot label key, "" without a cap.
func place(spec *kubevirtv1.VirtualMachineInstanceSpec, runID, workload string, p config.Placement) string {
	if len(p.NodeSelector) > 0 {
		spec.NodeSelector = make(map[string]string, len(p.NodeSelector))
		for _, l := range p.NodeSelector {
			spec.NodeSelector[l.Key] = l.Value
		}
	}
	for _, t := range p.Tolerations {
		tol := corev1.Toleration{Key: t.Key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffect(t.Effect)}
		if !t.Exists() {
			tol.Operator, tol.Value = corev1.TolerationOpEqual, t.Value
		}
		spec.Tolerations = append(spec.Tolerations, tol)
	}
	if p.Spread != "" {
		spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
			MaxSkew:           1,
			TopologyKey:       p.Spread.TopologyKey(),
			WhenUnsatisfiable: corev1.DoNotSchedule,
			LabelSelector:     &metav1.LabelSelector{MatchLabels: scopeLabels(runID, workload, p.SpreadScope)},
			// A node whose taint the VMs do not tolerate (a control
			// plane's) is no domain: counted with its zero VMs, it would
			// hold every other node to one VM.
			NodeTaintsPolicy: ptr(corev1.NodeInclusionPolicyHonor),
		}}
	}
	if p.EvictionStrategy != "" {
		spec.EvictionStrategy = ptr(kubevirtv1.EvictionStrategy(p.EvictionStrategy))
	}
	if p.VMsPerNode == 0 {
		return ""
	}
	key := labels.RunSlot
	if p.CapScope == config.ScopeWorkload {
		key = labels.WorkloadSlot
	}
	sel := scopeLabels(runID, workload, p.CapScope)
	sel[key] = "0" // instantiate sets each VM's own
	spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
			LabelSelector: &metav1.LabelSelector{MatchLabels: sel},
			TopologyKey:   hostnameKey,
		}},
	}}
	return key
}

// scopeLabels selects the VMs a spread or a cap counts: the run's, or the
// workload's of the run.
func scopeLabels(runID, workload string, s config.Scope) map[string]string {
	m := map[string]string{labels.RunID: runID}
	if s == config.ScopeWorkload {
		m[labels.Component] = workload
	}
	return m
}

// slots numbers the VMs of a run into --vms-per-node groups, one VM after
// the other in the order the config lists workloads, roles and instances,
// so each group of a cap of N over V VMs holds at most ceil(V/N) and the
// scheduler can always place a group's next VM while nodes x N >= V.
type slots struct{ run int }

// slotRange numbers one role's VMs: its k-th VM (k = instance x VMs per
// instance + j) is in slot (first + k) mod per. A bundle keeps this, not a
// slot per VM.
type slotRange struct{ first, per int }

// take reserves the slots of a role's n VMs; workload counts the
// workload's own VMs, for a cap set for it alone.
func (s *slots) take(p config.Placement, workload *int, n int) slotRange {
	if p.VMsPerNode == 0 {
		return slotRange{}
	}
	c := &s.run
	if p.CapScope == config.ScopeWorkload {
		c = workload
	}
	r := slotRange{first: *c, per: p.VMsPerNode}
	*c += n
	return r
}

// of is the slot of the role's k-th VM.
func (r slotRange) of(k int) int {
	if r.per == 0 {
		return 0
	}
	return (r.first + k) % r.per
}

// withSlot is the VM's own copy of the template's labels and affinity,
// with its slot; the template's are shared by every VM of the role.
func (t *roleTemplate) withSlot(lbl map[string]any, affinity any, slot int) (map[string]any, any) {
	own := shallow(lbl)
	own[t.slotKey] = itoa(slot)
	aff := copyValue(affinity).(map[string]any)
	term := aff["podAntiAffinity"].(map[string]any)["requiredDuringSchedulingIgnoredDuringExecution"].([]any)[0]
	term.(map[string]any)["labelSelector"].(map[string]any)["matchLabels"].(map[string]any)[t.slotKey] = itoa(slot)
	return own, aff
}
