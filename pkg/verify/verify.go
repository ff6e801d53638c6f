package verify

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// ErrFailed: a check failed (a value out of its band, a VM without
// series, a signal whose metrics the Prometheus lacks).
var ErrFailed = errors.New("verify: a check failed")

// ErrQuery: the Prometheus could not be queried.
var ErrQuery = errors.New("verify: cannot query Prometheus")

// Options is what a verification needs.
type Options struct {
	Config *config.Config
	// Bundle is render's output for Config: it names the VMs.
	Bundle *render.Bundle
	API    promv1.API
	// From and To bound the checks: the run's apply and now, by default.
	From, To time.Time
	// RateWindow is the range of rate() in the signals' queries ($window).
	RateWindow time.Duration
	// Settle is skipped at the start of each stretch, on top of
	// RateWindow: the guest's reaction and the scrape that sees it.
	Settle time.Duration
	// Step is the resolution of the range queries.
	Step time.Duration
	// Progress, when set, hears about each signal as it is queried.
	Progress func(msg string)
	// Alerts are the alert rules to time against the levels (--alert,
	// --alerts-file); one known only by name has an empty Workload.
	Alerts []Alert
	// KeepSeries keeps each VM's observed series and each alert's firing
	// spans in the result, for the HTML report.
	KeepSeries bool
	// Sizes are the VMs' sizes by name (ReadSizes), for the workloads an
	// instance type sizes (NeedsSizes).
	Sizes map[string]Size
	// Disruptions are the run's day-2 events (disrupt's, from the audit
	// history): each VM's signals are judged around them, and the level
	// checks skip from each one's start to its end plus the settle margin.
	Disruptions []Disruption
	// MaxGap is the longest a migrated VM's series may go without a
	// sample (DefaultMaxGap; --max-gap).
	MaxGap time.Duration
}

// MinSamples is how many samples a stretch needs to be measured.
const MinSamples = 3

// Result is a verification's outcome.
type Result struct {
	RunID     string `json:"runID"`
	Namespace string `json:"namespace"`
	// Namespaces are those of a run spread over several, Namespace the
	// first.
	Namespaces []string  `json:"namespaces,omitempty"`
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	// Signals says, per workload and signal, which metric names were used
	// or which were tried.
	Signals []SignalNames `json:"signals"`
	Checks  []Check       `json:"checks"`
	Alerts  []AlertCheck  `json:"alerts,omitempty"`
	// Series and Firing are kept with Options.KeepSeries.
	Series []Series `json:"series,omitempty"`
	Firing []Firing `json:"firing,omitempty"`
	// Continuity judges each VM's signals around each disruption.
	Continuity []ContinuityCheck `json:"continuity,omitempty"`
	// Notes are workloads with nothing to check, and why.
	Notes   []Note  `json:"notes,omitempty"`
	Summary Summary `json:"summary"`
}

// SignalNames is the query a signal was checked with.
type SignalNames struct {
	Workload string `json:"workload"`
	Signal   string `json:"signal"`
	Unit     string `json:"unit"`
	// Names is the chosen query's names; empty with Tried when none of the
	// signal's queries has every metric it needs in the Prometheus.
	Names   string   `json:"names,omitempty"`
	Query   string   `json:"query,omitempty"`
	Tried   []string `json:"tried,omitempty"`
	Missing bool     `json:"missing,omitempty"`
}

// Note is a workload verify cannot check, and why.
type Note struct {
	Workload string `json:"workload"`
	Why      string `json:"why"`
}

// Outcome of one check.
type Outcome string

// Outcomes.
const (
	Passed   Outcome = "passed"
	Failed   Outcome = "failed"
	NoSeries Outcome = "no-series"
	TooShort Outcome = "too-short"
)

// Check is one VM's signal over one stretch, or (Rises) over all of them.
type Check struct {
	Workload string    `json:"workload"`
	Signal   string    `json:"signal"`
	VM       string    `json:"vm"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Level    int       `json:"level"`
	Peers    int       `json:"peersLevel"`
	// Low and High bound the expected value (High is +Inf for a floor).
	Expected float64  `json:"expected"`
	Low      float64  `json:"low"`
	High     *float64 `json:"high,omitempty"`
	Observed *float64 `json:"observed,omitempty"`
	Samples  int      `json:"samples"`
	Rises    bool     `json:"rises,omitempty"`
	Outcome  Outcome  `json:"outcome"`
	Why      string   `json:"why,omitempty"`
	Unit     string   `json:"unit"`
}

// Summary counts the checks by outcome.
type Summary struct {
	Passed, Failed, NoSeries, TooShort int
	// MissingNames counts signals none of whose queries the Prometheus can
	// answer.
	MissingNames int
	// AlertsPassed and AlertsFailed count the alert checks.
	AlertsPassed, AlertsFailed int
	// ContinuityPassed, ContinuityFailed and ContinuityUnjudged count the
	// continuity checks (unjudged: too short, no series, not followed).
	ContinuityPassed, ContinuityFailed, ContinuityUnjudged int
}

// Run verifies every signal of every workload of the run.
func Run(ctx context.Context, o Options) (*Result, error) {
	if !o.From.Before(o.To) {
		return nil, fmt.Errorf("verify: the window from %s to %s is empty", o.From.Format(time.RFC3339), o.To.Format(time.RFC3339))
	}
	res := &Result{RunID: o.Config.RunID, Namespace: o.Bundle.Namespace, From: o.From, To: o.To}
	if len(o.Bundle.Namespaces) > 1 {
		res.Namespaces = o.Bundle.Namespaces
	}
	// The names the run's namespaces have: another namespace's (or
	// cluster's, behind one Thanos) KubeVirt version does not count.
	names, _, _, err := o.API.LabelValues(ctx, "__name__", []string{"{" + NamespaceMatcher(o.Bundle.Namespaces) + "}"}, o.From.Add(-time.Hour), o.To)
	if err != nil {
		return nil, fmt.Errorf("%w: listing metric names: %v", ErrQuery, err)
	}
	have := map[string]bool{}
	for _, n := range names {
		have[string(n)] = true
	}
	for _, wc := range o.Config.Workloads {
		w, err := o.Config.Registry.Lookup(wc.Name)
		if err != nil {
			return nil, err
		}
		if err := verifyWorkload(ctx, o, res, wc, w.Spec(), have); err != nil {
			return nil, err
		}
	}
	if len(o.Alerts) > 0 {
		if err := verifyAlerts(ctx, o, res); err != nil {
			return nil, err
		}
	}
	unfollowed(o, res)
	if err := judgeGapAlerts(ctx, o, res); err != nil {
		return nil, err
	}
	res.Summary = summarize(res)
	if res.Summary.Failed+res.Summary.NoSeries+res.Summary.MissingNames+res.Summary.AlertsFailed+res.Summary.ContinuityFailed > 0 {
		return res, ErrFailed
	}
	return res, nil
}

// verifyWorkload checks each signal of one workload.
func verifyWorkload(ctx context.Context, o Options, res *Result, wc config.Workload, spec workloads.Spec, have map[string]bool) error {
	sigs, why := spec.ObservableSignals()
	if len(sigs) == 0 {
		res.Notes = append(res.Notes, Note{Workload: wc.Name, Why: why})
		return nil
	}
	vms := o.Bundle.VMsOf(wc.Name)
	lv, ok := newLevels(o.Config.RunID, wc, spec, vms)
	if ok && !lv.timed() {
		res.Notes = append(res.Notes, Note{Workload: wc.Name, Why: "its profile starts at each guest's boot, so its segments have no times to check: apply with --start-at to verify it"})
		return nil
	}
	for _, sig := range sigs {
		if !ok && usesLevel(sig) {
			res.Notes = append(res.Notes, Note{Workload: wc.Name, Why: fmt.Sprintf("signal %s needs a level, and the workload runs without one (its %s is 0: unlimited); give it a level or a profile", sig.Name, levelParam(spec))})
			continue
		}
		sn := SignalNames{Workload: wc.Name, Signal: sig.Name, Unit: sig.Unit}
		q, found := pickQuery(sig, have)
		if !found {
			for _, q := range sig.Queries {
				sn.Tried = append(sn.Tried, q.Metrics...)
			}
			sn.Missing = true
			res.Signals = append(res.Signals, sn)
			continue
		}
		sn.Names = q.Names
		sn.Query = q.Fill(QueryArgs(o.Bundle.Namespaces, o.Config.RunID, spec, sig, o.RateWindow))
		res.Signals = append(res.Signals, sn)
		if o.Progress != nil {
			o.Progress(fmt.Sprintf("querying %s %s", wc.Name, sig.Name))
		}
		series, err := queryRange(ctx, o, sn.Query)
		if err != nil {
			return err
		}
		sr := signalRun{wc: wc, lv: lv, sig: sig, query: sn.Query, metric: q.Metrics[0], env: BaseEnv(wc, spec), vms: vms, series: series,
			selector: Selector(o.Bundle.Namespaces, spec, o.Config.RunID, sig.Role)}
		if err := checkSignal(ctx, o, res, sr); err != nil {
			return err
		}
	}
	return nil
}

// signalRun is one signal of a workload, queried for all its VMs.
type signalRun struct {
	wc                      config.Workload
	lv                      *levels
	sig                     workloads.Signal
	query, metric, selector string
	env                     workloads.Env
	vms                     []render.VMRef
	series                  map[string][]sample
}

// checkSignal checks the signal of each VM of its role: its stretches
// (less the stretches around its disruptions), and its continuity around
// them.
func checkSignal(ctx context.Context, o Options, res *Result, sr signalRun) error {
	wc, sig := sr.wc, sr.sig
	for _, vm := range sr.vms {
		if vm.Role != sig.Role {
			continue
		}
		got := sr.series[vm.Name]
		if o.KeepSeries {
			res.Series = append(res.Series, Series{Workload: wc.Name, Signal: sig.Name, VM: vm.Name, Unit: sig.Unit, Points: points(got)})
		}
		vmEnv, sized := sizedEnv(o, wc, sig, sr.env, vm.Name)
		if !sized {
			res.Checks = append(res.Checks, Check{Workload: wc.Name, Signal: sig.Name, VM: vm.Name, Unit: sig.Unit, From: o.From, To: o.To, Outcome: NoSeries,
				Why: fmt.Sprintf("no running VMI to read the vCPUs and memory the instance type %s gives the VM", wc.Instancetype)})
			continue
		}
		evs := disruptionsOf(o, vm)
		checks := checkVM(o, sr.lv, sig, vmEnv, vm, peersOf(sr.lv, vm, sr.vms), got, excludedSpans(o, evs), wc.Name, sr.query)
		res.Checks = append(res.Checks, checks...)
		cont, err := checkContinuity(ctx, o, sig, sr.metric, sr.selector, wc.Name, evs, got, checks)
		if err != nil {
			return err
		}
		res.Continuity = append(res.Continuity, cont...)
	}
	return nil
}

func levelParam(spec workloads.Spec) string {
	if spec.Level == nil {
		return "level"
	}
	return spec.Level.Param
}

// usesLevel: a signal whose expectation reads the level.
func usesLevel(sig workloads.Signal) bool {
	return sig.Expect.UsesLevel() || sig.AtLeast.UsesLevel()
}

// pickQuery returns the first of a signal's queries whose metrics all
// exist.
func pickQuery(sig workloads.Signal, have map[string]bool) (workloads.SignalQuery, bool) {
	for _, q := range sig.Queries {
		all := true
		for _, m := range q.Metrics {
			all = all && have[m]
		}
		if all {
			return q, true
		}
	}
	return workloads.SignalQuery{}, false
}

// Selector matches the run's VMs of one role of a workload by KubeVirt's
// namespace and name labels (render's names, render.VMNamePattern) in the
// run's namespaces. verify and monitoring's alert rules select with it.
func Selector(namespaces []string, spec workloads.Spec, runID, role string) string {
	return NamespaceMatcher(namespaces) + fmt.Sprintf(`,name=~"%s"`, render.VMNamePattern(spec, runID, role))
}

// NamespaceMatcher is the PromQL matcher of the run's namespaces:
// namespace="ns" for one, a regular expression of them all for a run
// spread over several.
func NamespaceMatcher(namespaces []string) string {
	if len(namespaces) == 1 {
		return fmt.Sprintf(`namespace=%q`, namespaces[0])
	}
	quoted := make([]string, len(namespaces))
	for i, ns := range namespaces {
		quoted[i] = regexp.QuoteMeta(ns)
	}
	return fmt.Sprintf(`namespace=~%q`, strings.Join(quoted, "|"))
}

// QueryArgs fills a signal's placeholders for the run: its VMs, the rate
// window and the data disk's drive and mount point.
func QueryArgs(namespaces []string, runID string, spec workloads.Spec, sig workloads.Signal, window time.Duration) workloads.QueryArgs {
	args := workloads.QueryArgs{Selector: Selector(namespaces, spec, runID, sig.Role), Window: PromDuration(window), Drive: workloads.DataDiskDrive}
	if r, ok := spec.Role(sig.Role); ok && r.DataDisk != nil {
		args.Mount = r.DataDisk.MountPoint
	}
	return args
}

// PromDuration spells d as PromQL does: whole seconds.
func PromDuration(d time.Duration) string {
	return fmt.Sprintf("%ds", int64(d/time.Second))
}

func summarize(res *Result) Summary {
	var s Summary
	for _, c := range res.Checks {
		switch c.Outcome {
		case Passed:
			s.Passed++
		case Failed:
			s.Failed++
		case NoSeries:
			s.NoSeries++
		case TooShort:
			s.TooShort++
		}
	}
	for _, sn := range res.Signals {
		if sn.Missing {
			s.MissingNames++
		}
	}
	for _, a := range res.Alerts {
		switch a.Outcome {
		case Passed:
			s.AlertsPassed++
		case Failed:
			s.AlertsFailed++
		}
	}
	for _, c := range res.Continuity {
		switch c.Outcome {
		case Passed:
			s.ContinuityPassed++
		case Failed:
			s.ContinuityFailed++
		default:
			s.ContinuityUnjudged++
		}
	}
	return s
}
