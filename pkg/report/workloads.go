package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// Workloads writes the listing of `kubectl virtwork workloads`: a table of
// the workloads, with the packages of guest, then a table of their params.
func Workloads(w io.Writer, infos []workloads.Info, guest workloads.Guest) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "NAME\tSOURCE\tCHAOS\tROLES\tDATA DISK\tSERVICE\tPACKAGES (%s)\tDESCRIPTION\n", guest)
	for _, wi := range infos {
		var roles, disks []string
		for _, r := range wi.Roles {
			if r.VMs > 1 {
				roles = append(roles, fmt.Sprintf("%s×%d", r.Name, r.VMs))
			} else {
				roles = append(roles, r.Name)
			}
			if r.DataDisk != nil {
				disks = append(disks, r.Name)
			}
		}
		disk, svc := "no", "no"
		if len(disks) > 0 {
			disk = "yes (" + strings.Join(disks, ",") + ")"
		}
		if wi.Service != nil {
			svc = strings.Join(wi.Service.Ports, ",")
		}
		chaos := "-"
		if wi.Chaos {
			chaos = "yes"
		}
		pkgs := strings.Join(wi.Packages, ",")
		if wi.Unavailable != "" {
			pkgs = "(cannot run here)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", wi.Name, wi.Source, chaos, strings.Join(roles, ","), disk, svc, pkgs, wi.Description)
	}
	tw.Flush()
	fmt.Fprintln(w)
	printParams(w, infos)
}

// printParams writes the params table: one row per param, named
// workload.param, with its range or its allowed values.
func printParams(w io.Writer, infos []workloads.Info) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARAM\tTYPE\tDEFAULT\tALLOWED\tDESCRIPTION")
	for _, wi := range infos {
		for _, p := range wi.Params {
			allowed := strings.Join(p.Allowed, "|")
			if p.Min != nil {
				if p.Type == string(workloads.Size) {
					allowed = workloads.FormatSize(*p.Min) + ".." + workloads.FormatSize(*p.Max)
				} else {
					allowed = fmt.Sprintf("%d..%d", *p.Min, *p.Max)
				}
			}
			desc := p.Description
			if wi.Level != nil && wi.Level.Param == p.Name {
				desc = "the level --profile shapes (" + wi.Level.Unit + "); " + desc
			}
			fmt.Fprintf(tw, "%s.%s\t%s\t%s\t%s\t%s\n", wi.Name, p.Name, p.Type, p.Default, allowed, desc)
		}
	}
	tw.Flush()
}
