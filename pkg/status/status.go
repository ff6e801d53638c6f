package status

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/paged"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// Options say which runs to report.
type Options struct {
	// Namespace to look in; "" for every namespace.
	Namespace string
	// Namespaces, when there are several, are those of a run spread over
	// them (RunID's, as the history recorded them): they are listed
	// cluster-wide by the run-id label and Namespace is ignored.
	Namespaces []string
	// RunID, when set, reports that run alone, VM by VM.
	RunID string
	// DataVolumes also reads the runs' DataVolumes (CDI is installed).
	DataVolumes bool
	// Now is the clock ages are measured against.
	Now func() time.Time
}

// Run is one run as status reports it.
type Run struct {
	RunID string `json:"runID"`
	// Namespace is the run's namespace, the first of Namespaces when it
	// is spread over several.
	Namespace  string   `json:"namespace"`
	Namespaces []string `json:"namespaces,omitempty"`
	Workloads  []string `json:"workloads"`
	VMs        int      `json:"vms"`
	// Running counts the VMs that booted, Ready those of them whose
	// workload is active, Failed those that failed for good.
	Running int       `json:"running"`
	Ready   int       `json:"ready"`
	Failed  int       `json:"failed"`
	Created time.Time `json:"created"`
	Age     string    `json:"age"`
	// Machines lists each VM and Nodes counts them per node, when
	// Options.RunID is set.
	Machines []VM        `json:"machines,omitempty"`
	Nodes    []NodeCount `json:"nodes,omitempty"`
}

// VM is one VM of a run.
type VM struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// State is Pending, Running, Ready or Failed (wait.State, capitalised
	// as kubectl prints phases).
	State  string `json:"state"`
	Node   string `json:"node,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// List finds the runs by label, newest first; a run spread over
// namespaces is one run, whichever namespaces it was found in. With a
// RunID it is an error for the run to have no VMs.
func List(ctx context.Context, client dynamic.Interface, o Options) ([]*Run, error) {
	selector := labels.ManagedBy + "=" + labels.ManagedByValue
	if o.RunID != "" {
		selector = labels.Selector(o.RunID)
	}
	spread := len(o.Namespaces) > 1
	if spread {
		o.Namespace = ""
	}
	found := map[string]*Run{}
	err := paged.Each(ctx, client.Resource(wait.VMResource).Namespace(o.Namespace), metav1.ListOptions{LabelSelector: selector}, func(vm *unstructured.Unstructured) {
		if spread && !slices.Contains(o.Namespaces, vm.GetNamespace()) {
			return
		}
		run := vm.GetLabels()[labels.RunID]
		rs := found[run]
		if rs == nil {
			rs = &Run{RunID: run, Created: vm.GetCreationTimestamp().Time}
			found[run] = rs
		}
		if !slices.Contains(rs.Namespaces, vm.GetNamespace()) {
			rs.Namespaces = append(rs.Namespaces, vm.GetNamespace())
		}
		if w := vm.GetLabels()[labels.Component]; w != "" && !slices.Contains(rs.Workloads, w) {
			rs.Workloads = append(rs.Workloads, w)
		}
		if t := vm.GetCreationTimestamp().Time; t.Before(rs.Created) {
			rs.Created = t
		}
	})
	if err != nil {
		return nil, fmt.Errorf("listing VirtualMachines: %w", access.Explain(err))
	}
	out := []*Run{}
	for _, rs := range found {
		slices.SortFunc(rs.Namespaces, compareNamespaces)
		rs.Namespace = rs.Namespaces[0]
		snap, err := wait.Snapshot(ctx, client, wait.Options{Namespace: rs.Namespace, Namespaces: rs.Namespaces, RunID: rs.RunID, DataVolumes: o.DataVolumes})
		if err != nil {
			return nil, err
		}
		if len(rs.Namespaces) == 1 {
			rs.Namespaces = nil // a run in one namespace, as always
		}
		rs.add(snap, o.RunID != "")
		rs.Age = Age(o.Now().Sub(rs.Created))
		out = append(out, rs)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].RunID < out[j].RunID
	})
	if o.RunID != "" && len(out) == 0 {
		where := NamespaceText(o.Namespace)
		if spread {
			where = "namespaces " + strings.Join(o.Namespaces, ", ")
		}
		return nil, fmt.Errorf("run %s has no VirtualMachines in %s", o.RunID, where)
	}
	return out, nil
}

// add counts the VMs of a snapshot and, with machines, lists each.
func (rs *Run) add(snap *wait.Result, machines bool) {
	for _, vm := range snap.VMs {
		rs.VMs++
		switch vm.State {
		case wait.Ready:
			rs.Ready++
			rs.Running++
		case wait.Running:
			rs.Running++
		case wait.Failed:
			rs.Failed++
		}
		if machines {
			rs.Machines = append(rs.Machines, VM{Name: vm.Name, Namespace: vm.Namespace, State: stateText(vm.State), Node: vm.Node, Reason: vm.Reason})
		}
	}
	if machines {
		rs.Nodes = PerNode(rs.Machines)
	}
	sort.Strings(rs.Workloads)
}

func stateText(s wait.State) string {
	switch s {
	case wait.Pending:
		return "Pending"
	case wait.Running:
		return "Running"
	case wait.Ready:
		return "Ready"
	}
	return "Failed"
}

// compareNamespaces orders namespaces by name, with a numeric suffix
// compared as a number, so <prefix>-2 comes before <prefix>-10.
func compareNamespaces(a, b string) int {
	ap, an, aok := numbered(a)
	bp, bn, bok := numbered(b)
	if aok && bok && ap == bp {
		return cmp.Compare(an, bn)
	}
	return cmp.Compare(a, b)
}

func numbered(ns string) (string, int, bool) {
	i := strings.LastIndexByte(ns, '-')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(ns[i+1:])
	return ns[:i], n, err == nil
}

// NamespaceText names where a command looked.
func NamespaceText(ns string) string {
	if ns == "" {
		return "any namespace"
	}
	return "namespace " + ns
}

// Age prints a duration the way kubectl get does: 45s, 12m, 3h, 2d.
func Age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
