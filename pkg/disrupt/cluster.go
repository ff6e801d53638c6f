package disrupt

import (
	"context"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// MigrationResource is KubeVirt's VirtualMachineInstanceMigration.
var MigrationResource = schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachineinstancemigrations"}

// Target names the run a disruption acts on.
type Target struct {
	RunID string
	// Namespace is the run's namespace, "" for every namespace (-A).
	Namespace string
	// Namespaces, when there are several, are those of a run spread over
	// them (Namespace is then ignored).
	Namespaces []string
}

func (t Target) listNamespace() string { return labels.ListNamespace(t.Namespace, t.Namespaces) }

func (t Target) covers(ns string) bool { return labels.Covers(t.Namespaces, ns) }

// Inventory is the run's VMs as a round sees them.
type Inventory struct {
	// Total counts the run's VMs, running or not: percentages are of it.
	Total int
	// Running are the VMs whose VMI runs: those a round may choose.
	Running []candidate
	// NotRunning names the VMs a round cannot choose, with why.
	NotRunning map[string]string
}

// inventory lists the run's VMs and VMIs.
func inventory(ctx context.Context, client dynamic.Interface, t Target) (*Inventory, error) {
	list := func(gvr schema.GroupVersionResource) ([]unstructured.Unstructured, error) {
		l, err := client.Resource(gvr).Namespace(t.listNamespace()).List(ctx, metav1.ListOptions{LabelSelector: labels.Selector(t.RunID)})
		if err != nil {
			return nil, fmt.Errorf("listing the run's %s: %w", gvr.Resource, access.Explain(err))
		}
		return slices.DeleteFunc(l.Items, func(u unstructured.Unstructured) bool { return !t.covers(u.GetNamespace()) }), nil
	}
	vms, err := list(wait.VMResource)
	if err != nil {
		return nil, err
	}
	vmis, err := list(wait.VMIResource)
	if err != nil {
		return nil, err
	}
	byName := map[string]*unstructured.Unstructured{}
	for i := range vmis {
		byName[vmis[i].GetNamespace()+"/"+vmis[i].GetName()] = &vmis[i]
	}
	inv := &Inventory{Total: len(vms), NotRunning: map[string]string{}}
	for _, vm := range vms {
		key := vm.GetNamespace() + "/" + vm.GetName()
		vmi := byName[key]
		phase := ""
		if vmi != nil {
			phase, _, _ = unstructured.NestedString(vmi.Object, "status", "phase")
		}
		if phase != "Running" {
			inv.NotRunning[key] = strings.TrimSpace("not running " + phase)
			continue
		}
		node, _, _ := unstructured.NestedString(vmi.Object, "status", "nodeName")
		inv.Running = append(inv.Running, candidate{Namespace: vm.GetNamespace(), Name: vm.GetName(), Node: node, Unmigratable: unmigratable(vmi)})
	}
	return inv, nil
}

// unmigratable says why KubeVirt will not live-migrate vmi, from its
// LiveMigratable condition ("" when it is True or absent).
func unmigratable(vmi *unstructured.Unstructured) string {
	c := condition(vmi, "LiveMigratable")
	if c == nil || c["status"] != "False" {
		return ""
	}
	reason, _ := c["reason"].(string)
	msg, _ := c["message"].(string)
	switch {
	case reason != "" && msg != "":
		return reason + ": " + msg
	case reason != "":
		return reason
	case msg != "":
		return msg
	}
	return "LiveMigratable is False"
}

// condition returns the object's status condition of type typ, or nil.
func condition(u *unstructured.Unstructured, typ string) map[string]any {
	if u == nil {
		return nil
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == typ {
			return m
		}
	}
	return nil
}
