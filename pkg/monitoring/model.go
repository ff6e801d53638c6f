package monitoring

import (
	"fmt"
	"slices"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/verify"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// Options is what monitoring works from.
type Options struct {
	Config *config.Config
	// Bundle is render's output for Config: it names the VMs.
	Bundle *render.Bundle
	// Window is how much of each workload's run the tests cover, from its
	// start (--start-at, or each VM's boot).
	Window time.Duration
	// RateWindow fills the signals' $window in the example rules.
	RateWindow time.Duration
	// Tests asks for the promtool tests too.
	Tests bool
	// User, when set, holds the user's own rule file and alerts file: the
	// tests check those rules instead of the examples.
	User *UserFiles
}

// UserFiles are the user's rule file and the alerts file that says what
// each of its alerts should catch, as read from disk.
type UserFiles struct {
	RulesPath, AlertsPath string
	Rules, Alerts         []byte
}

// Limits on the flags.
const (
	// MinRateWindow lets rate() see at least four samples at the finest
	// step.
	MinRateWindow = 4 * time.Second
	// MaxSamples bounds each input series, so promtool's run stays short.
	MaxSamples = 100_000
	// MaxFor caps an example rule's for:, so a long or constant profile
	// still gives an alert that fires within minutes.
	MaxFor = 10 * time.Minute
)

// boot stands for each VM's boot when the run has no --start-at: only
// offsets from it reach the output, as in plan.
var boot = time.Unix(0, 0).UTC()

// span is a stretch of a VM's run over which its level and its peers'
// hold, as offsets from the workload's start.
type span struct {
	from, to     time.Duration
	level, peers int
}

// vmRun is one VM over the window.
type vmRun struct {
	ref render.VMRef
	// follows: the VM's role produces the level; one that does not
	// (network's server) sees its peers' levels.
	follows bool
	spans   []span
}

// levelOf is the level an alerts file's fires_above is compared with:
// the VM's own, or its peers' for a role that does not follow the level.
func (v vmRun) levelOf(s span) int {
	if v.follows {
		return s.level
	}
	return s.peers
}

// workload is one workload of the run, modelled over the window.
type workload struct {
	name    string
	spec    workloads.Spec
	base    workloads.Env
	model   *verify.Model
	profile string
	vms     []vmRun
	// instancetype sizes the VMs, as --instancetype takes it ("" for
	// none): their vCPUs and memory are the cluster's to know.
	instancetype string
}

// env is what the workload's expressions read for v over s.
func (w *workload) env(s span) workloads.Env {
	e := w.base
	e.Level, e.PeersLevel = float64(s.level), float64(s.peers)
	return e
}

// role lists the workload's VMs of one role.
func (w *workload) role(role string) []vmRun {
	return slices.DeleteFunc(slices.Clone(w.vms), func(v vmRun) bool { return v.ref.Role != role })
}

// modelRun models each workload that has a level over the window, and
// says why the others have no alerts or tests.
func modelRun(o Options) ([]*workload, []string, error) {
	var out []*workload
	var notes []string
	for _, wc := range o.Config.Workloads {
		w, err := o.Config.Registry.Lookup(wc.Name)
		if err != nil {
			return nil, nil, err
		}
		spec := w.Spec()
		if sigs, why := spec.ObservableSignals(); len(sigs) == 0 {
			notes = append(notes, fmt.Sprintf("%s: %s", wc.Name, why))
			continue
		}
		if spec.Level == nil {
			notes = append(notes, fmt.Sprintf("%s: declares no level, so no profile moves its load to alert on", wc.Name))
			continue
		}
		timed := wc
		if timed.Timing.Start.IsZero() {
			timed.Timing.Start = boot
		}
		vms := o.Bundle.VMsOf(wc.Name)
		m, ok := verify.NewModel(o.Config.RunID, timed, spec, vms)
		if !ok {
			notes = append(notes, fmt.Sprintf("%s: runs without a level (its %s is 0: unlimited); give it a level or a profile", wc.Name, spec.Level.Param))
			continue
		}
		wl := &workload{name: wc.Name, spec: spec, base: verify.BaseEnv(wc, spec), model: m, profile: profileText(wc, spec),
			instancetype: wc.Instancetype.String()}
		start := timed.Timing.Start
		for _, vm := range vms {
			v := vmRun{ref: vm, follows: spec.Level.Follows(vm.Role)}
			for _, st := range m.Stretches(vm, start, start.Add(o.Window)) {
				v.spans = append(v.spans, span{from: st.From.Sub(start), to: st.To.Sub(start), level: st.Level, peers: st.PeersLevel})
			}
			wl.vms = append(wl.vms, v)
		}
		out = append(out, wl)
	}
	return out, notes, nil
}

// profileText names the workload's load shape for annotations.
func profileText(wc config.Workload, spec workloads.Spec) string {
	if wc.Profile != nil {
		return wc.Profile.String()
	}
	return fmt.Sprintf("constant %s=%d", spec.Level.Param, wc.Params.Int(spec.Level.Param))
}

// run is a stretch of a VM's window over which an alert's condition holds
// (above) or does not.
type run struct {
	from, to time.Duration
	above    bool
}

// runsOf merges a VM's spans into runs of the condition.
func runsOf(v vmRun, above func(span) bool) []run {
	var out []run
	for _, s := range v.spans {
		a := above(s)
		if n := len(out); n > 0 && out[n-1].above == a {
			out[n-1].to = s.to
			continue
		}
		out = append(out, run{from: s.from, to: s.to, above: a})
	}
	return out
}
