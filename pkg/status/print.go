package status

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Print writes runs as kubectl-style tables: one row per run and, when
// the runs list their machines, one row per node holding any of them (and
// one for those not on a node yet) and one row per VM. With no runs it writes
// that there are none, in ns, to errOut.
func Print(out, errOut io.Writer, runs []*Run, ns string) error {
	if len(runs) == 0 {
		fmt.Fprintf(errOut, "no virtwork runs in %s\n", NamespaceText(ns))
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN ID\tNAMESPACE\tWORKLOADS\tVMS\tRUNNING\tREADY\tFAILED\tAGE")
	machines, spread := false, false
	for _, rs := range runs {
		where := rs.Namespace
		if n := len(rs.Namespaces); n > 1 {
			where = fmt.Sprintf("%s..%s (%d)", rs.Namespaces[0], rs.Namespaces[n-1], n)
			spread = true
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", rs.RunID, where, strings.Join(rs.Workloads, ","), rs.VMs, rs.Running, rs.Ready, rs.Failed, rs.Age)
		machines = machines || len(rs.Machines) > 0
	}
	if err := tw.Flush(); err != nil || !machines {
		return err
	}
	// Where the VMs run, before the list of each, which may be long.
	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tVMS\tRUNNING\tREADY\tFAILED")
	for _, rs := range runs {
		for _, n := range rs.Nodes {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", n.Node, n.VMs, n.Running, n.Ready, n.Failed)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	// A run spread over namespaces says where each VM is.
	if spread {
		fmt.Fprint(tw, "NAMESPACE\t")
	}
	fmt.Fprintln(tw, "VM\tSTATE\tNODE\tREASON")
	for _, rs := range runs {
		for _, m := range rs.Machines {
			if spread {
				fmt.Fprintf(tw, "%s\t", m.Namespace)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name, m.State, dash(m.Node), dash(m.Reason))
		}
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
