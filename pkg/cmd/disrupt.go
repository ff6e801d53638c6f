package cmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/disrupt"
)

// DisruptOptions carries out day-2 events on a run's VMs.
type DisruptOptions struct {
	genericiooptions.IOStreams

	Percent       map[disrupt.Kind]*string
	DownFor       time.Duration
	Every, For    time.Duration
	Times         int
	Seed          uint64
	MaxConcurrent int
	OnFailure     string
	DryRun        bool
	AllNamespaces bool
	Output        string

	sched   disrupt.Schedule
	seedSet bool
	ref     *runRef
	audit   *auditFlags
	cfg     *config.Config
	cluster *cluster
	flags   func(string) bool
}

// NewDisruptOptions returns DisruptOptions with defaults.
func NewDisruptOptions(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *DisruptOptions {
	pct := map[disrupt.Kind]*string{}
	for _, k := range disrupt.Kinds() {
		pct[k] = new(string)
	}
	return &DisruptOptions{IOStreams: streams, Percent: pct, DownFor: 30 * time.Second, MaxConcurrent: 10, OnFailure: "continue",
		ref: newRunRef(deps, configFlags), audit: newAuditFlags(deps)}
}

// NewDisruptCmd builds `kubectl virtwork disrupt`.
func NewDisruptCmd(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *cobra.Command {
	o := NewDisruptOptions(streams, deps, configFlags)
	c := &cobra.Command{
		Use:   "disrupt",
		Short: "Live-migrate, restart or stop and start a share of a run's VMs while their workloads run",
		Long: `Disrupt carries out day-2 events on the VMs of a run applied earlier, in rounds: each round
(one, --times N, or one every --every for --for) gives --migrate, --restart and --stop-start each
their percentage of the run's VMs, chosen from a shuffle seeded by --seed (by default derived
from the run id, so the same command chooses the same VMs again). A migration is a
VirtualMachineInstanceMigration, labelled as the run's so cleanup removes it, and succeeds when
KubeVirt says Succeeded and the VMI runs on another node; a restart deletes the VMI for
runStrategy Always to bring back (or asks the restart subresource where virt-api serves it)
and succeeds when a new VMI is ready, its workload active; a stop/start sets runStrategy
Halted, waits for the VMI to go, waits --down-for and restores the runStrategy. --timeout bounds
each event. A running VM that cannot live-migrate (its VMI's LiveMigratable condition is False:
a DataVolume on ReadWriteOnce storage, for one) is never chosen to migrate; --dry-run lists
them with KubeVirt's reason, and each round's choice, changing nothing.

Every event is recorded in the audit history (history RUN lists them) with its VM, kind,
start, end, source and target node and outcome. The summary gives per kind the events, the
success rate and the P50/P95/max duration, and per VM how long its workload was not ready.
Ctrl-C stops scheduling new events; those running finish (within --timeout) and are reported.

` + exitCodeHelp,
		Example: `  # Migrate 10% of the run's VMs every 5 minutes for an hour
  kubectl virtwork disrupt --run-id 3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93 -n virtwork --migrate 10% --every 5m --for 1h

  # Restart two VMs in ten and stop/start one, three times, one round a minute; only show the choice
  kubectl virtwork disrupt --run-id 3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93 --restart 20% --stop-start 10% --down-for 1m --every 1m --times 3 --dry-run`,
		RunE: runE(o),
	}
	o.AddFlags(c)
	o.flags = func(name string) bool { return c.Flags().Changed(name) }
	return c
}

// AddFlags registers disrupt's flags.
func (o *DisruptOptions) AddFlags(c *cobra.Command) {
	o.ref.flags.AddRunIDFlag(c.Flags())
	o.ref.flags.AddTimeoutFlag(c.Flags())
	c.Flags().StringVar(o.Percent[disrupt.Migrate], "migrate", "", "live-migrate this share of the run's VMs each round, e.g. 10%")
	c.Flags().StringVar(o.Percent[disrupt.Restart], "restart", "", "restart this share of the run's VMs each round, e.g. 10%")
	c.Flags().StringVar(o.Percent[disrupt.StopStart], "stop-start", "", "stop and start again this share of the run's VMs each round, e.g. 10%")
	c.Flags().DurationVar(&o.DownFor, "down-for", o.DownFor, "how long a stop/start keeps its VM stopped")
	c.Flags().DurationVar(&o.Every, "every", 0, "start a round this often (with --for or --times)")
	c.Flags().DurationVar(&o.For, "for", 0, "start rounds --every this long (excludes --times)")
	c.Flags().IntVar(&o.Times, "times", 0, "run this many rounds, --every apart (default 1)")
	c.Flags().Uint64Var(&o.Seed, "seed", 0, "seed of the choice of VMs (default: derived from the run id)")
	c.Flags().IntVar(&o.MaxConcurrent, "max-concurrent", o.MaxConcurrent, "events running at once at most")
	c.Flags().StringVar(&o.OnFailure, "on-failure", o.OnFailure, "after a failed event: continue, or stop scheduling new ones")
	c.Flags().BoolVar(&o.DryRun, "dry-run", false, "list each round's events and the VMs that cannot migrate, change nothing")
	c.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "look for the run's VMs in every namespace")
	c.Flags().StringVarP(&o.Output, "output", "o", "", "summary format: json (default: a table)")
	o.audit.addFlags(c, true)
}

// Complete resolves --run-id, the namespace, the timeout, the audit
// history and the clients.
func (o *DisruptOptions) Complete([]string) error {
	cfg, err := o.ref.load()
	if err != nil {
		return err
	}
	if cfg.RunID == "" {
		return usageError{errors.New("--run-id is required: disrupt acts on a run applied earlier")}
	}
	o.cfg = cfg
	o.seedSet = o.flags != nil && o.flags("seed")
	if err := o.audit.complete(); err != nil {
		return err
	}
	o.cluster, err = connect(o.ref.configFlags, o.ref.deps.LookupEnv, max(4, o.MaxConcurrent))
	return err
}

// Validate checks the events, the schedule and the formats.
func (o *DisruptOptions) Validate() error {
	o.sched = disrupt.Schedule{Percent: map[disrupt.Kind]float64{}, Every: o.Every, Rounds: 1}
	total := 0.0
	for _, k := range disrupt.Kinds() {
		if *o.Percent[k] == "" {
			continue
		}
		p, err := disrupt.ParsePercent(*o.Percent[k])
		if err != nil {
			return usageError{fmt.Errorf("--%s %w", k, err)}
		}
		o.sched.Percent[k] = p
		total += p
	}
	if len(o.sched.Percent) == 0 {
		return usageError{errors.New("name the events: --migrate P%, --restart P% and/or --stop-start P%")}
	}
	if total > 100 {
		return usageError{fmt.Errorf("--migrate, --restart and --stop-start add up to %s%%; a VM takes one event per round, so give at most 100%% in all", strconv.FormatFloat(total, 'f', -1, 64))}
	}
	if err := o.validateSchedule(); err != nil {
		return usageError{err}
	}
	switch {
	case o.DownFor < 0:
		return usageError{fmt.Errorf("--down-for must not be negative, got %s", o.DownFor)}
	case o.MaxConcurrent < 1:
		return usageError{fmt.Errorf("--max-concurrent must be at least 1, got %d", o.MaxConcurrent)}
	case !slices.Contains([]string{"continue", "stop"}, o.OnFailure):
		return usageError{fmt.Errorf("--on-failure must be continue or stop, got %q", o.OnFailure)}
	case o.Output != "" && o.Output != "json":
		return invalidOutput(o.Output, "json")
	}
	return nil
}

// validateSchedule checks --every, --for and --times and sets the rounds.
func (o *DisruptOptions) validateSchedule() error {
	switch {
	case o.Every < 0:
		return fmt.Errorf("--every must be positive, got %s", o.Every)
	case o.For < 0:
		return fmt.Errorf("--for must be positive, got %s", o.For)
	case o.For > 0 && o.Times > 0:
		return errors.New("--for and --times exclude each other; give one")
	case o.For > 0 && o.Every == 0:
		return errors.New("--for needs --every: how often a round starts within it")
	case o.For > 0:
		o.sched.Rounds = disrupt.RoundsFor(o.For, o.Every)
	case o.Times < 0 || (o.flags != nil && o.flags("times") && o.Times == 0):
		return fmt.Errorf("--times must be at least 1, got %d", o.Times)
	case o.Times > 1 && o.Every == 0:
		return fmt.Errorf("--times %d needs --every: how long between rounds", o.Times)
	case o.Times > 0:
		o.sched.Rounds = o.Times
	case o.Every > 0:
		return errors.New("--every needs --for DURATION or --times N: how long to go on")
	}
	return nil
}

// Run disrupts the run, or with --dry-run shows how it would.
func (o *DisruptOptions) Run(ctx context.Context) error {
	opts, err := o.options(ctx)
	if err != nil {
		return err
	}
	if o.DryRun {
		p, err := disrupt.Plan(ctx, opts)
		if err != nil {
			return noRun(err)
		}
		return p.Print(o.Out, o.Output)
	}
	sum, err := disrupt.Run(ctx, opts)
	if sum == nil {
		return noRun(err)
	}
	if perr := sum.Print(o.Out, o.Output); perr != nil {
		return perr
	}
	return err
}

// noRun makes a run the cluster does not hold a usage error: nothing was
// done, and the run id (or namespace) is what to fix.
func noRun(err error) error {
	if errors.Is(err, disrupt.ErrNoRun) {
		return usageError{fmt.Errorf("--run-id: %w; check the id and -n (or -A)", err)}
	}
	return err
}

// options builds the library's options: the run's namespaces, the seed,
// and the restart subresource when the cluster serves it.
func (o *DisruptOptions) options(ctx context.Context) (disrupt.Options, error) {
	ns := o.cfg.Namespace
	if o.AllNamespaces {
		ns = ""
	}
	spread, err := o.audit.spread(ctx, o.cfg.RunID)
	if err != nil {
		return disrupt.Options{}, err
	}
	seed := o.Seed
	if !o.seedSet {
		seed = disrupt.DefaultSeed(o.cfg.RunID)
	}
	settings := map[string]string{"seed": strconv.FormatUint(seed, 10), "rounds": strconv.Itoa(o.sched.Rounds),
		"every": o.Every.String(), "down-for": o.DownFor.String(), "max-concurrent": strconv.Itoa(o.MaxConcurrent),
		"on-failure": o.OnFailure, "timeout": o.cfg.Timeout.String()}
	for k, p := range o.sched.Percent {
		settings[string(k)] = strconv.FormatFloat(p, 'f', -1, 64) + "%"
	}
	auditDB := o.audit.path
	if o.DryRun {
		auditDB = ""
	}
	return disrupt.Options{
		Client: o.cluster.client, RestartVM: o.restartSubresource(),
		Target:   disrupt.Target{RunID: o.cfg.RunID, Namespace: ns, Namespaces: spread},
		Schedule: o.sched, DownFor: o.DownFor, Seed: seed, MaxConcurrent: o.MaxConcurrent,
		StopOnFailure: o.OnFailure == "stop", Timeout: o.cfg.Timeout,
		AuditDB: auditDB, Server: o.cluster.server, KubeContext: o.cluster.context, Settings: settings, Log: o.ErrOut,
	}, nil
}

// restartGroupVersion serves KubeVirt's VM subresources (virt-api).
const restartGroupVersion = "subresources.kubevirt.io/v1"

// restartSubresource returns a restart through virtualmachines/restart
// when discovery says the cluster serves it, nil otherwise (a cluster
// without virt-api: the VMI is deleted instead).
func (o *DisruptOptions) restartSubresource() func(context.Context, string, string) error {
	if !restartServed(o.cluster) {
		return nil
	}
	disc := o.cluster.kube.Discovery()
	return func(ctx context.Context, ns, name string) error {
		return disc.RESTClient().Put().AbsPath("/apis", restartGroupVersion, "namespaces", ns, "virtualmachines", name, "restart").
			Body([]byte("{}")).SetHeader("Content-Type", "application/json").Do(ctx).Error()
	}
}

// restartServed asks discovery whether the cluster serves
// virtualmachines/restart.
func restartServed(c *cluster) bool {
	list, err := c.kube.Discovery().ServerResourcesForGroupVersion(restartGroupVersion)
	return err == nil && slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == "virtualmachines/restart" })
}
