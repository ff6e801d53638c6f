package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/monitoring"
	"github.com/virtwork/kubectl-virtwork/pkg/plan"
	"github.com/virtwork/kubectl-virtwork/pkg/profile"
)

// MonitoringOptions writes alert rules and promtool tests for a run.
type MonitoringOptions struct {
	genericiooptions.IOStreams

	Output      string
	Window      string
	RateWindow  time.Duration
	TestsDir    string
	RulesFile   string
	AlertsFile  string
	user        *monitoring.UserFiles
	window      time.Duration
	run         *runConfig
	readFile    func(string) ([]byte, error)
	writeResult func(dir string, res *monitoring.Result) error
}

// NewMonitoringOptions returns MonitoringOptions with defaults.
func NewMonitoringOptions(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *MonitoringOptions {
	return &MonitoringOptions{IOStreams: streams, Output: "yaml", RateWindow: time.Minute, run: newRunConfig(deps, configFlags, streams.ErrOut),
		readFile: deps.ReadFile, writeResult: writeTests}
}

// NewMonitoringCmd builds `kubectl virtwork monitoring`.
func NewMonitoringCmd(streams genericiooptions.IOStreams, deps Deps, configFlags *genericclioptions.ConfigFlags) *cobra.Command {
	o := NewMonitoringOptions(streams, deps, configFlags)
	c := &cobra.Command{
		Use:   "monitoring",
		Short: "Print example alert rules for a run, and promtool tests of them or of your own rules (no cluster needed)",
		Long: `Monitoring takes the flags of 'render' and prints a PrometheusRule (monitoring.coreos.com/v1)
named after the run, in its namespace, with one example alert per signal that has an expected
value (see 'kubectl virtwork workloads'): the signal's query over the run's VMs of its role,
compared with the value halfway between the profile's lowest and highest level, for a third
of the shortest stretch beyond it (less --rate-window, at most 10m).

--promtool-tests DIR also writes DIR/rules.yaml (the rules as a Prometheus rule file) and
DIR/tests.yaml: promtool rule unit tests whose input series are each VM's KubeVirt series as
its profile makes them, over --window from the start, and whose expected alerts follow from
the rules. With --rules FILE (your rule file, or a PrometheusRule) and --alerts-file FILE (a
list of {alert: NAME, workload: cpu, fires_above: 70}), the tests check your rules instead:
each alert should fire for a VM once its level has been above fires_above for the rule's
for:, and not otherwise. Run them with 'promtool test rules DIR/tests.yaml'.`,
		Example: `  kubectl virtwork monitoring --workloads cpu --profile cpu=square:high=90,low=10,period=10m \
    --run-id 3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93 | kubectl apply -f -
  kubectl virtwork monitoring --workloads cpu,memory --profile cpu=square:high=90,low=10,period=10m \
    --promtool-tests ./alerts-test && promtool test rules ./alerts-test/tests.yaml
  kubectl virtwork monitoring --config run.yaml --promtool-tests ./t --rules my-rules.yaml --alerts-file alerts.yaml`,
		RunE: runE(o),
	}
	o.AddFlags(c)
	return c
}

// AddFlags registers render's run flags and monitoring's own.
func (o *MonitoringOptions) AddFlags(c *cobra.Command) {
	o.run.addFlags(c)
	f := c.Flags()
	f.StringVarP(&o.Output, "output", "o", o.Output, "output format of the PrometheusRule: yaml or json")
	f.StringVar(&o.Window, "window", "", "how much of each workload's run the tests cover, from its start (1m-30d; default: the run's --duration, or 1h)")
	f.DurationVar(&o.RateWindow, "rate-window", o.RateWindow, "range of rate() in the example rules' queries, whole seconds, at least 4s")
	f.StringVar(&o.TestsDir, "promtool-tests", "", "also write DIR/rules.yaml and DIR/tests.yaml, promtool rule unit tests")
	f.StringVar(&o.RulesFile, "rules", "", "with --promtool-tests: test this Prometheus rule file (or PrometheusRule) instead of the examples")
	f.StringVar(&o.AlertsFile, "alerts-file", "", "with --rules: a YAML list of {alert: NAME, workload: WORKLOAD, fires_above: LEVEL}")
	_ = c.MarkFlagDirname("promtool-tests")
	_ = c.MarkFlagFilename("rules", "yaml", "yml")
	_ = c.MarkFlagFilename("alerts-file", "yaml", "yml")
	_ = c.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"yaml", "json"}, cobra.ShellCompDirectiveNoFileComp
	})
}

// Complete resolves the run configuration and reads the user's files.
func (o *MonitoringOptions) Complete([]string) error {
	if err := o.run.load(); err != nil {
		return err
	}
	if o.RulesFile == "" || o.AlertsFile == "" || o.TestsDir == "" {
		return nil // Validate says which is missing.
	}
	o.user = &monitoring.UserFiles{RulesPath: o.RulesFile, AlertsPath: o.AlertsFile}
	for flag, f := range map[string]struct {
		path string
		data *[]byte
	}{"--rules": {o.RulesFile, &o.user.Rules}, "--alerts-file": {o.AlertsFile, &o.user.Alerts}} {
		data, err := o.readFile(f.path)
		if err != nil {
			return usageError{fmt.Errorf("%s: %w", flag, err)}
		}
		*f.data = data
	}
	return nil
}

// Validate checks the flags and settles the window.
func (o *MonitoringOptions) Validate() error {
	switch {
	case o.Output != "yaml" && o.Output != "json":
		return invalidOutput(o.Output, "yaml", "json")
	case o.RateWindow < monitoring.MinRateWindow || o.RateWindow > time.Hour || o.RateWindow%time.Second != 0:
		return usageError{fmt.Errorf("--rate-window must be whole seconds between 4s and 1h, got %s", o.RateWindow)}
	case (o.RulesFile == "") != (o.AlertsFile == ""):
		return usageError{errors.New("--rules and --alerts-file go together: the alerts file says what each alert of the rules should catch")}
	case o.RulesFile != "" && o.TestsDir == "":
		return usageError{errors.New("--rules is tested with --promtool-tests DIR; give the directory to write the tests to")}
	case len(o.run.cfg.Namespaces) > 1:
		return usageError{errors.New("--namespaces: monitoring writes the rules of a run in one namespace; leave --namespaces at 1")}
	}
	o.window = plan.DefaultWindow
	if o.Window != "" {
		d, err := profile.ParseDurationIn(o.Window, "--window", plan.MinWindow, plan.MaxWindow)
		if err != nil {
			return usageError{err}
		}
		o.window = d
	} else if d := runDuration(o.run); d > 0 {
		o.window = max(d, plan.MinWindow)
	}
	return nil
}

// runDuration is the longest --duration of the run's workloads, or 0 when
// one of them runs for ever.
func runDuration(r *runConfig) time.Duration {
	var d time.Duration
	for _, w := range r.cfg.Workloads {
		if w.Timing.Duration == 0 {
			return 0
		}
		d = max(d, w.Timing.Duration)
	}
	return d
}

// Run builds the rules (and tests) and writes them.
func (o *MonitoringOptions) Run(context.Context) error {
	b, err := o.run.render()
	if err != nil {
		return err
	}
	res, err := monitoring.Build(monitoring.Options{Config: o.run.cfg, Bundle: b, Window: o.window, RateWindow: o.RateWindow,
		Tests: o.TestsDir != "", User: o.user})
	if err != nil {
		return usageError{err}
	}
	for _, n := range res.Notes {
		fmt.Fprintf(o.ErrOut, "note: %s\n", n)
	}
	if o.TestsDir != "" {
		if err := o.writeResult(o.TestsDir, res); err != nil {
			return err
		}
		s := res.Summary
		fmt.Fprintf(o.ErrOut, "wrote %s (%d alert rules) and %s (%d VMs, %d checks, a sample every %s); run: promtool test rules %s\n",
			filepath.Join(o.TestsDir, monitoring.RulesFile), s.Rules, filepath.Join(o.TestsDir, monitoring.TestsFile), s.VMs, s.Checks, s.Step,
			filepath.Join(o.TestsDir, monitoring.TestsFile))
	}
	if res.Rule == nil {
		return nil
	}
	return monitoring.WriteRule(o.Out, res.Rule, o.Output)
}

func writeTests(dir string, res *monitoring.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--promtool-tests: %w", err)
	}
	for name, data := range map[string][]byte{monitoring.RulesFile: res.Rules, monitoring.TestsFile: res.Tests} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("--promtool-tests: %w", err)
		}
	}
	return nil
}
