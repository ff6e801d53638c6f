package cmd

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/report"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// workloadInfo is one workload as `workloads -o json` prints it.
type workloadInfo struct {
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Roles       []roleInfo `json:"roles"`
	Service     *svcInfo   `json:"service,omitempty"`
	// Packages are what the guest of --guest installs (none when the
	// workload cannot run there; Unavailable says why).
	Packages    []string `json:"packages"`
	Unavailable string   `json:"unavailable,omitempty"`
	// PackagesByGuest lists the packages on every guest family that can
	// run the workload.
	PackagesByGuest map[workloads.Guest][]string `json:"packagesByGuest"`
	Params          []paramInfo                  `json:"params"`
	Chaos           bool                         `json:"chaos,omitempty"`
	// Source is "built-in" or the directory of a custom workload.
	Source string `json:"source"`
}

type roleInfo struct {
	Name     string              `json:"name"`
	Unit     string              `json:"unit"`
	VMs      int                 `json:"vmsPerInstance"`
	DataDisk *workloads.DataDisk `json:"dataDisk,omitempty"`
}

type svcInfo struct {
	Role  string   `json:"role"`
	Ports []string `json:"ports"`
}

type paramInfo struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Default     string   `json:"default"`
	Min         *int64   `json:"min,omitempty"`
	Max         *int64   `json:"max,omitempty"`
	Allowed     []string `json:"allowed,omitempty"`
	Description string   `json:"description"`
}

// WorkloadsOptions lists the workloads, built-in and custom, and their
// params.
type WorkloadsOptions struct {
	genericiooptions.IOStreams

	Output string
	Guest  string

	deps  Deps
	flags *config.Flags
	guest workloads.Guest
	reg   *workloads.Registry
}

// NewWorkloadsOptions returns WorkloadsOptions with defaults.
func NewWorkloadsOptions(streams genericiooptions.IOStreams, deps Deps) *WorkloadsOptions {
	return &WorkloadsOptions{IOStreams: streams, Guest: string(workloads.DefaultGuest), deps: deps, flags: config.NewFlags()}
}

// NewWorkloadsCmd builds `kubectl virtwork workloads`.
func NewWorkloadsCmd(streams genericiooptions.IOStreams, deps Deps) *cobra.Command {
	o := NewWorkloadsOptions(streams, deps)
	c := &cobra.Command{
		Use:   "workloads",
		Short: "List the workloads (built-in and from --workload-dir), their VM roles, disks, Services and params",
		Args:  cobra.NoArgs,
		RunE:  runE(o),
	}
	o.AddFlags(c)
	return c
}

// AddFlags registers the flags: where custom workloads are, the format
// and the guest family.
func (o *WorkloadsOptions) AddFlags(c *cobra.Command) {
	o.flags.AddRegistryFlags(c.Flags())
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: json")
	c.Flags().StringVar(&o.Guest, "guest", o.Guest, "list the package names of this guest family: fedora, centos-stream, ubuntu or debian")
}

// Complete loads the registry with the custom workloads of
// --workload-dir, VIRTWORK_WORKLOAD_DIR or the config file.
func (o *WorkloadsOptions) Complete([]string) error {
	var err error
	o.reg, err = config.LoadRegistry(o.deps.Registry, config.Sources{Flags: o.flags, LookupEnv: o.deps.LookupEnv, ReadFile: o.deps.ReadFile, OpenDir: o.deps.OpenDir})
	return err
}

// Validate checks the output format and the guest family.
func (o *WorkloadsOptions) Validate() error {
	if o.Output != "" && o.Output != "json" {
		return invalidOutput(o.Output, "json")
	}
	g, err := workloads.ParseGuest(o.Guest)
	if err != nil {
		return usageError{fmt.Errorf("--guest %w", err)}
	}
	o.guest = g
	return nil
}

// Run prints the workloads.
func (o *WorkloadsOptions) Run(context.Context) error {
	infos := describe(o.reg, o.guest)
	if o.Output == "json" {
		return report.JSON(o.Out, infos)
	}
	printWorkloads(o.IOStreams, infos, o.guest)
	return nil
}

func describe(reg *workloads.Registry, guest workloads.Guest) []workloadInfo {
	var out []workloadInfo
	for _, name := range reg.Names() {
		w, _ := reg.Get(name)
		s := w.Spec()
		wi := workloadInfo{Name: s.Name, Description: s.Description, Params: []paramInfo{}, Chaos: s.Chaos, Source: "built-in",
			PackagesByGuest: map[workloads.Guest][]string{}}
		for _, g := range workloads.Guests() {
			pkgs, err := workloads.PackagesFor(w, g)
			if err == nil {
				wi.PackagesByGuest[g] = pkgs
			}
			if g == guest {
				wi.Packages = pkgs
				if err != nil {
					wi.Unavailable = err.Error()
				}
			}
		}
		if d, ok := w.(*workloads.Definition); ok {
			wi.Source = d.Source()
		}
		for _, r := range s.Roles {
			wi.Roles = append(wi.Roles, roleInfo{Name: r.Name, Unit: r.Unit, VMs: r.VMs(), DataDisk: r.DataDisk})
		}
		if s.Service != nil {
			si := &svcInfo{Role: s.Service.Role}
			for _, p := range s.Service.Ports {
				si.Ports = append(si.Ports, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
			}
			wi.Service = si
		}
		for _, p := range s.Params {
			pi := paramInfo{Name: p.Name, Type: string(p.Type), Default: p.Default, Allowed: p.Allowed, Description: p.Description}
			if p.Type == workloads.Int || p.Type == workloads.Size {
				pi.Min, pi.Max = &p.Min, &p.Max
			}
			wi.Params = append(wi.Params, pi)
		}
		out = append(out, wi)
	}
	return out
}

func printWorkloads(streams genericiooptions.IOStreams, infos []workloadInfo, guest workloads.Guest) {
	tw := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "NAME\tSOURCE\tCHAOS\tROLES\tDATA DISK\tSERVICE\tPACKAGES (%s)\tDESCRIPTION\n", guest)
	for _, w := range infos {
		var roles, disks []string
		for _, r := range w.Roles {
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
		if w.Service != nil {
			svc = strings.Join(w.Service.Ports, ",")
		}
		chaos := "-"
		if w.Chaos {
			chaos = "yes"
		}
		pkgs := strings.Join(w.Packages, ",")
		if w.Unavailable != "" {
			pkgs = "(cannot run here)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", w.Name, w.Source, chaos, strings.Join(roles, ","), disk, svc, pkgs, w.Description)
	}
	tw.Flush()
	fmt.Fprintln(streams.Out)
	tw = tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARAM\tTYPE\tDEFAULT\tALLOWED\tDESCRIPTION")
	for _, w := range infos {
		for _, p := range w.Params {
			allowed := strings.Join(p.Allowed, "|")
			if p.Min != nil {
				if p.Type == string(workloads.Size) {
					allowed = workloads.FormatSize(*p.Min) + ".." + workloads.FormatSize(*p.Max)
				} else {
					allowed = fmt.Sprintf("%d..%d", *p.Min, *p.Max)
				}
			}
			fmt.Fprintf(tw, "%s.%s\t%s\t%s\t%s\t%s\n", w.Name, p.Name, p.Type, p.Default, allowed, p.Description)
		}
	}
	tw.Flush()
}
