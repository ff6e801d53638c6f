package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/audit"
	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/progress"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/report"
	"github.com/virtwork/kubectl-virtwork/pkg/verify"
)

// VerifyOptions checks that a run's load reaches Prometheus, VM by VM.
type VerifyOptions struct {
	genericiooptions.IOStreams

	Output     string
	Endpoint   verify.Endpoint
	RateWindow time.Duration
	Settle     time.Duration
	Step       time.Duration
	MaxGap     time.Duration
	AlertNames []string
	AlertsFile string
	Report     string

	ref    *runRef
	db     *auditFlags
	cfg    *config.Config
	alerts []verify.Alert
	now    func() time.Time
}

// NewVerifyOptions returns VerifyOptions with defaults.
func NewVerifyOptions(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *VerifyOptions {
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	return &VerifyOptions{IOStreams: streams, RateWindow: time.Minute, Settle: 30 * time.Second, MaxGap: verify.DefaultMaxGap,
		ref: newRunRef(deps, configFlags), db: newAuditFlags(deps), now: now}
}

// NewVerifyCmd builds `kubectl virtwork verify`.
func NewVerifyCmd(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *cobra.Command {
	o := NewVerifyOptions(streams, deps, configFlags)
	c := &cobra.Command{
		Use:   "verify",
		Short: "Check that each VM's load reaches Prometheus at the level its profile gives",
		Long: `Verify makes the run's model again from the audit history (the newest apply in the
namespace, or --run-id's), and for every VM and every signal its workload declares (see
'kubectl virtwork workloads') queries the Prometheus over the run's window: one range query
per signal, split where the VM's level changes, a settle margin (--rate-window plus --settle)
skipped after each change, and the mean compared with the expected band. It says which
KubeVirt metric names it found, names each VM without series, and lists workloads whose
load KubeVirt does not export. Around each day-2 event 'kubectl virtwork disrupt' recorded
for the run it judges continuity: a migrated VM's series must go on under its new node label
with no gap over --max-gap, a restarted or stopped and started VM's load must be back in its band
within the event's length plus the settle margin, and no absent() alert may fire in the gap;
those stretches are left out of the level checks. Each --alert must fire within its for: plus
the settle margin of the level rising above its threshold and stay firing, and resolve within
the settle margin of the level dropping; where an event (of the VM, or of a client whose level
a server's adds up) explains the alert's state otherwise (during the event, or within the
rule's for:, evaluation interval and settle margin after it), the check passes and names the
event. Exit 0: every check passed; 3: one failed; 1: the Prometheus could not be queried; 2:
bad input.`,
		Example: `  kubectl virtwork verify -n virtwork --prometheus http://127.0.0.1:9090
  kubectl virtwork verify --prometheus https://thanos-querier-openshift-monitoring.apps.example.com
  kubectl virtwork verify --prometheus-service openshift-monitoring/thanos-querier:web -o json
  kubectl virtwork verify --prometheus http://127.0.0.1:9090 --alert VirtworkCPUHigh --report verify.html`,
		RunE: runE(o),
	}
	o.AddFlags(c)
	return c
}

// AddFlags registers verify's flags.
func (o *VerifyOptions) AddFlags(c *cobra.Command) {
	f := c.Flags()
	o.ref.flags.AddRunIDFlag(f)
	o.db.addFlags(c, false)
	f.StringVar(&o.Endpoint.URL, "prometheus", "", "URL of a Prometheus-compatible query API (Prometheus, Thanos querier)")
	f.StringVar(&o.Endpoint.Service, "prometheus-service", "", "a Prometheus Service as NAMESPACE/NAME:PORT, reached through the API server's proxy")
	f.StringVar(&o.Endpoint.Token, "token", "", "bearer token for --prometheus (default: the kubeconfig's, when the URL is on the cluster's domain)")
	f.StringVar(&o.Endpoint.CAFile, "certificate-authority", "", "CA certificate file for --prometheus")
	f.BoolVar(&o.Endpoint.InsecureSkipVerify, "insecure-skip-tls-verify", false, "do not check --prometheus's certificate")
	f.DurationVar(&o.RateWindow, "rate-window", o.RateWindow, "range of rate() in the signals' queries; at least 4 scrape intervals")
	f.DurationVar(&o.Settle, "settle", o.Settle, "skipped after each level change, on top of --rate-window")
	f.DurationVar(&o.Step, "step", 0, "resolution of the range queries (default: the window / 1000, at least 1s)")
	f.DurationVar(&o.MaxGap, "max-gap", o.MaxGap, "the longest a migrated VM's series may go without a sample across the migration (two scrape intervals by default)")
	f.StringArrayVar(&o.AlertNames, "alert", nil, "an alert rule to time against the levels (repeatable); its rule carries the "+verify.WorkloadLabel+" label and "+verify.FiresAboveAnnotation+" annotation, as monitoring's do")
	f.StringVar(&o.AlertsFile, "alerts-file", "", "YAML list of {alert, workload, fires_above}: alert rules to time, and the level above which each should fire")
	f.StringVar(&o.Report, "report", "", "also write a self-contained HTML page to this file: per workload, each VM's series against its expected band, and the alerts' timelines; written even when a check fails")
	f.StringVarP(&o.Output, "output", "o", "", "output format: json (default: a table)")
}

// Complete resolves the namespace, run id and audit history.
func (o *VerifyOptions) Complete([]string) error {
	cfg, err := o.ref.load()
	if err != nil {
		return err
	}
	o.cfg = cfg
	for _, n := range o.AlertNames {
		o.alerts = append(o.alerts, verify.Alert{Alert: n})
	}
	if o.AlertsFile != "" {
		data, err := o.ref.deps.ReadFile(o.AlertsFile)
		if err != nil {
			return usageError{fmt.Errorf("--alerts-file: %w", err)}
		}
		listed, err := verify.ParseAlertsFile(o.AlertsFile, data)
		if err != nil {
			return usageError{err}
		}
		o.alerts = append(o.alerts, listed...)
	}
	if err := checkReportPath(o.Report); err != nil {
		return usageError{err}
	}
	return o.db.complete()
}

// checkReportPath refuses a --report that cannot be a file before anything
// is queried: a directory, or a file in a directory that does not exist.
func checkReportPath(p string) error {
	if p == "" {
		return nil
	}
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		return fmt.Errorf("--report %s is a directory; give a file name such as %s", p, filepath.Join(p, "verify.html"))
	}
	dir := filepath.Dir(p)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("--report %s: directory %s does not exist; create it or give a file in an existing directory", p, dir)
	case err != nil:
		return fmt.Errorf("--report %s: %w", p, err)
	case !fi.IsDir():
		return fmt.Errorf("--report %s: %s is not a directory; give a file in an existing directory", p, dir)
	}
	return nil
}

// writeReport writes the HTML report, readable by all like any page.
func (o *VerifyOptions) writeReport(res *verify.Result) error {
	var b bytes.Buffer
	if err := verify.WriteHTML(&b, res); err != nil {
		return err
	}
	if err := os.WriteFile(o.Report, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing --report %s: %w", o.Report, err)
	}
	fmt.Fprintf(o.ErrOut, "report: %s\n", o.Report)
	return nil
}

// Validate checks the flags.
func (o *VerifyOptions) Validate() error {
	if o.Output != "" && o.Output != "json" {
		return invalidOutput(o.Output, "json")
	}
	if err := verify.CheckEndpoint(o.Endpoint); err != nil {
		return usageError{err}
	}
	if o.MaxGap <= 0 || o.MaxGap%time.Second != 0 {
		return usageError{fmt.Errorf("--max-gap must be whole seconds, at least 1s, got %s", o.MaxGap)}
	}
	for name, d := range map[string]time.Duration{"--rate-window": o.RateWindow, "--settle": o.Settle, "--step": o.Step} {
		if d < 0 || d%time.Second != 0 || (name == "--rate-window" && d < time.Second) {
			return usageError{fmt.Errorf("%s must be whole seconds (at least 1s for --rate-window), got %s", name, d)}
		}
	}
	return nil
}

// vmiSizes reads the VMIs' vCPUs and memory when an instance type sizes a
// workload whose signals read them; nil otherwise, with no cluster needed.
func (o *VerifyOptions) vmiSizes(ctx context.Context, cfg *config.Config) (map[string]verify.Size, error) {
	if !verify.NeedsSizes(cfg) {
		return nil, nil
	}
	c, err := connect(o.ref.configFlags, o.ref.deps.LookupEnv, 1)
	if err != nil {
		return nil, fmt.Errorf("an instance type sizes the run's VMs, so verify reads their vCPUs and memory from the cluster: %w", err)
	}
	ns := cfg.Namespace
	if len(cfg.Namespaces) > 1 {
		ns = "" // a spread run's VMIs, by its run id in every namespace
	}
	return verify.ReadSizes(ctx, c.client, ns, cfg.RunID)
}

// Run makes the run's model from the history and verifies it.
func (o *VerifyOptions) Run(ctx context.Context) error {
	store, err := audit.Open(ctx, o.db.path)
	if err != nil {
		return err
	}
	defer store.Close()
	rec, err := verify.Recorded(ctx, store, o.cfg.Namespace, o.cfg.RunID)
	if err != nil {
		return usageError{err}
	}
	events, err := store.Disruptions(ctx, rec.RunID)
	if err != nil {
		return err
	}
	deps := o.ref.deps
	cfg, err := config.FromRecord(deps.Registry, rec, config.Sources{LookupEnv: deps.LookupEnv, ReadFile: deps.ReadFile, OpenDir: deps.OpenDir})
	if err != nil {
		return err
	}
	b, err := render.Render(render.Input{Config: cfg, Registry: cfg.Registry})
	if err != nil {
		return err
	}
	if o.Endpoint.Service != "" || o.Endpoint.Token == "" {
		if o.Endpoint.Rest, err = restConfig(o.ref.configFlags, deps.LookupEnv); err != nil && o.Endpoint.Service != "" {
			return err
		}
	}
	promAPI, err := verify.NewAPI(o.Endpoint)
	if err != nil {
		return usageError{err}
	}
	sizes, err := o.vmiSizes(ctx, cfg)
	if err != nil {
		return err
	}
	to := o.now()
	step := o.Step
	if step == 0 {
		step = max(time.Second, to.Sub(rec.At)/1000).Truncate(time.Second)
	}
	line := progress.New(o.ErrOut)
	res, err := verify.Run(ctx, verify.Options{Config: cfg, Bundle: b, API: promAPI, From: rec.At, To: to,
		RateWindow: o.RateWindow, Settle: o.Settle, Step: step, Progress: line.Update, Alerts: o.alerts, KeepSeries: o.Report != "", Sizes: sizes,
		MaxGap: o.MaxGap, Disruptions: disruptions(events)})
	if res != nil {
		line.Finish(fmt.Sprintf("verified run %s: %d checks", res.RunID, len(res.Checks)))
	}
	if res != nil {
		if o.Output == "json" {
			if werr := report.JSON(o.Out, res); werr != nil {
				return werr
			}
		} else if werr := verify.Write(o.Out, res); werr != nil {
			return werr
		}
	}
	if res != nil && o.Report != "" {
		// Written whatever the checks say: a failure is what it shows best.
		if werr := o.writeReport(res); werr != nil {
			return werr
		}
	}
	return err
}

// disruptions hands the run's day-2 events, as disrupt recorded them in
// the audit history, to verify.
func disruptions(events []audit.Disruption) []verify.Disruption {
	out := make([]verify.Disruption, 0, len(events))
	for _, e := range events {
		out = append(out, verify.Disruption{VM: e.VM, Namespace: e.Namespace, Kind: e.Kind, Start: e.Start, End: e.End,
			SourceNode: e.SourceNode, TargetNode: e.TargetNode, Outcome: e.Outcome, Reason: e.Reason})
	}
	return out
}
