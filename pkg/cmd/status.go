package cmd

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// StatusOptions shows the runs present in the cluster.
type StatusOptions struct {
	genericiooptions.IOStreams

	AllNamespaces bool
	Output        string

	deps        Deps
	configFlags *genericclioptions.ConfigFlags
	flags       *config.Flags
	cfg         *config.Config
	runID       string
	client      dynamic.Interface
	mapper      meta.RESTMapper
	now         func() time.Time
}

// runStatus is one run as status reports it.
type runStatus struct {
	RunID     string    `json:"runID"`
	Namespace string    `json:"namespace"`
	Workloads []string  `json:"workloads"`
	VMs       int       `json:"vms"`
	Running   int       `json:"running"`
	Failed    int       `json:"failed"`
	Created   time.Time `json:"created"`
	Age       string    `json:"age"`
	// Machines lists each VM, with status --run-id.
	Machines []vmStatus `json:"machines,omitempty"`
}

type vmStatus struct {
	Name   string `json:"name"`
	Phase  string `json:"phase"`
	Node   string `json:"node,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// NewStatusCmd builds `kubectl virtwork status`.
func NewStatusCmd(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *cobra.Command {
	o := &StatusOptions{IOStreams: streams, deps: deps, configFlags: configFlags, flags: config.NewFlags(), now: time.Now}
	c := &cobra.Command{
		Use:   "status",
		Short: "Show the runs in the cluster, or each VM of one run",
		Long: `Status finds runs by their labels, so it works for runs applied from anywhere (no local
history needed): run id, namespace, workloads, VMs total / running / failed, and age. With
--run-id it lists each VM with its phase, node and, when it is not running, why.`,
		Example: `  kubectl virtwork status -A
  kubectl virtwork status --run-id 3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93 -n virtwork -o json`,
		RunE: runE(o),
	}
	o.flags.AddRunIDFlag(c.Flags())
	c.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "runs in every namespace")
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: json (default: a table)")
	return c
}

// Complete resolves the namespace and run id and builds the clients.
func (o *StatusOptions) Complete() error {
	cfg, err := loadRunRef(o.deps, o.configFlags, o.flags)
	if err != nil {
		return err
	}
	o.cfg, o.runID = cfg, cfg.RunID
	rc, err := o.configFlags.ToRESTConfig()
	if err != nil {
		return usageError{fmt.Errorf("loading kubeconfig: %w", err)}
	}
	o.client, o.mapper, err = clients(rc, o.configFlags, 4)
	return err
}

// Validate checks the output format.
func (o *StatusOptions) Validate() error {
	if o.Output != "" && o.Output != "json" {
		return invalidOutput(o.Output, "json")
	}
	return nil
}

// Run lists the runs and prints them.
func (o *StatusOptions) Run(ctx context.Context) error {
	ns := o.cfg.Namespace
	if o.AllNamespaces {
		ns = ""
	}
	selector := labels.ManagedBy + "=" + labels.ManagedByValue
	if o.runID != "" {
		selector = labels.Selector(o.runID)
	}
	vms, err := o.client.Resource(wait.VMResource).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return fmt.Errorf("listing VirtualMachines: %w", access.Explain(err))
	}
	type key struct{ ns, run string }
	found := map[key]*runStatus{}
	for _, vm := range vms.Items {
		k := key{vm.GetNamespace(), vm.GetLabels()[labels.RunID]}
		rs := found[k]
		if rs == nil {
			rs = &runStatus{RunID: k.run, Namespace: k.ns, Created: vm.GetCreationTimestamp().Time}
			found[k] = rs
		}
		if w := vm.GetLabels()[labels.Component]; w != "" && !slices.Contains(rs.Workloads, w) {
			rs.Workloads = append(rs.Workloads, w)
		}
		if t := vm.GetCreationTimestamp().Time; t.Before(rs.Created) {
			rs.Created = t
		}
	}
	dataVolumes := hasAPI(o.mapper, wait.DVResource)
	var out []*runStatus
	for k, rs := range found {
		snap, err := wait.Snapshot(ctx, o.client, wait.Options{Namespace: k.ns, RunID: k.run, DataVolumes: dataVolumes})
		if err != nil {
			return err
		}
		for _, vm := range snap.VMs {
			rs.VMs++
			phase := map[wait.Phase]string{wait.Ready: "Running", wait.Failed: "Failed", wait.Waiting: "Waiting"}[vm.Phase]
			switch vm.Phase {
			case wait.Ready:
				rs.Running++
			case wait.Failed:
				rs.Failed++
			}
			if o.runID != "" {
				reason := vm.Reason
				if vm.Phase == wait.Ready {
					reason = ""
				}
				rs.Machines = append(rs.Machines, vmStatus{Name: vm.Name, Phase: phase, Node: vm.Node, Reason: reason})
			}
		}
		sort.Strings(rs.Workloads)
		rs.Age = age(o.now().Sub(rs.Created))
		out = append(out, rs)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].RunID < out[j].RunID
	})
	if o.runID != "" && len(out) == 0 {
		return fmt.Errorf("run %s has no VirtualMachines in %s", o.runID, namespaceText(ns))
	}
	if o.Output == "json" {
		if out == nil {
			out = []*runStatus{}
		}
		return printJSON(o.Out, out)
	}
	if len(out) == 0 {
		fmt.Fprintf(o.ErrOut, "no virtwork runs in %s\n", namespaceText(ns))
		return nil
	}
	tw := tabwriter.NewWriter(o.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN ID\tNAMESPACE\tWORKLOADS\tVMS\tRUNNING\tFAILED\tAGE")
	for _, rs := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", rs.RunID, rs.Namespace, strings.Join(rs.Workloads, ","), rs.VMs, rs.Running, rs.Failed, rs.Age)
	}
	tw.Flush()
	if o.runID != "" {
		fmt.Fprintln(o.Out)
		tw = tabwriter.NewWriter(o.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VM\tPHASE\tNODE\tREASON")
		for _, rs := range out {
			for _, m := range rs.Machines {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name, m.Phase, dash(m.Node), dash(m.Reason))
			}
		}
		tw.Flush()
	}
	return nil
}

func namespaceText(ns string) string {
	if ns == "" {
		return "any namespace"
	}
	return "namespace " + ns
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// age prints a duration the way kubectl get does: 45s, 12m, 3h, 2d.
func age(d time.Duration) string {
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

// loadRunRef resolves the settings a command about an existing run uses:
// --run-id (optional), the namespace and the timeout, through the same
// chain as apply (flags, VIRTWORK_* variables, config file, defaults).
func loadRunRef(deps Deps, configFlags *genericclioptions.ConfigFlags, flags *config.Flags) (*config.Config, error) {
	ns := ""
	if configFlags.Namespace != nil {
		ns = *configFlags.Namespace
	}
	return config.LoadRunRef(config.Sources{Flags: flags, Namespace: ns, LookupEnv: deps.LookupEnv, ReadFile: deps.ReadFile})
}
