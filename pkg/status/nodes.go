package status

import (
	"cmp"
	"slices"
)

// Unscheduled is the node of a VM whose VMI has no node yet (not created,
// or not scheduled: status.nodeName is empty).
const Unscheduled = "(unscheduled)"

// NodeCount is how many of a run's VMs one node holds, counted as the
// run's row counts them.
type NodeCount struct {
	Node    string `json:"node"`
	VMs     int    `json:"vms"`
	Running int    `json:"running"`
	Ready   int    `json:"ready"`
	Failed  int    `json:"failed"`
}

// PerNode counts machines by the node their VMI runs on (its
// status.nodeName): nodes by name, then Unscheduled, when any VM is.
func PerNode(machines []VM) []NodeCount {
	byNode := map[string]*NodeCount{}
	for _, m := range machines {
		node := m.Node
		if node == "" {
			node = Unscheduled
		}
		c := byNode[node]
		if c == nil {
			c = &NodeCount{Node: node}
			byNode[node] = c
		}
		c.VMs++
		switch m.State {
		case "Ready":
			c.Ready++
			c.Running++
		case "Running":
			c.Running++
		case "Failed":
			c.Failed++
		}
	}
	out := make([]NodeCount, 0, len(byNode))
	for _, c := range byNode {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b NodeCount) int {
		if (a.Node == Unscheduled) != (b.Node == Unscheduled) {
			if a.Node == Unscheduled {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Node, b.Node)
	})
	return out
}
