package verify

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// sample is one point of a VM's series.
type sample struct {
	t time.Time
	v float64
}

// queryRange runs a signal's query over the window and returns each VM's
// samples by its name label. One query serves every VM of the workload.
func queryRange(ctx context.Context, o Options, query string) (map[string][]sample, error) {
	return queryRangeBy(ctx, o, query, func(m model.Metric) (string, bool) { return string(m["name"]), true })
}

// queryRangeBy runs a range query over the window and returns the samples
// of each series by key; a series key refuses is dropped.
func queryRangeBy(ctx context.Context, o Options, query string, key func(model.Metric) (string, bool)) (map[string][]sample, error) {
	val, _, _, err := o.API.QueryRange(ctx, query, promv1.Range{Start: o.From, End: o.To, Step: o.Step})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrQuery, query, err)
	}
	m, ok := val.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("%w: %s: got a %s, want a range vector", ErrQuery, query, val.Type())
	}
	out := map[string][]sample{}
	for _, s := range m {
		name, ok := key(s.Metric)
		if !ok {
			continue
		}
		for _, p := range s.Values {
			if v := float64(p.Value); !math.IsNaN(v) && !math.IsInf(v, 0) {
				out[name] = append(out[name], sample{p.Timestamp.Time(), v})
			}
		}
	}
	return out, nil
}

// BaseEnv is what an expectation reads of a workload's VMs, but levels:
// their resources (the same for every VM of a workload) and params.
func BaseEnv(wc config.Workload, spec workloads.Spec) workloads.Env {
	env := workloads.Env{VCPUs: float64(wc.CPUCores), MemoryBytes: wc.Memory.AsApproximateFloat64(), Params: map[string]float64{}}
	if spec.NeedsDataDisk() {
		env.DiskBytes = wc.DiskSize.AsApproximateFloat64()
	}
	for _, p := range spec.Params {
		if p.Type == workloads.Int || p.Type == workloads.Size {
			env.Params[p.Name] = float64(wc.Params.Int(p.Name))
		}
	}
	return env
}

// checkVM checks one VM's signal over each stretch of the window, and,
// for a signal that rises with the level, across them.
// The samples in skip (the stretches around the VM's disruptions) are left
// out of the stretches' means.
func checkVM(o Options, lv *levels, sig workloads.Signal, env workloads.Env, vm render.VMRef, peers []render.VMRef, got []sample, skip []eventSpan, workload, query string) []Check {
	base := Check{Workload: workload, Signal: sig.Name, VM: vm.Name, Unit: sig.Unit}
	if len(got) == 0 {
		base.From, base.To, base.Outcome = o.From, o.To, NoSeries
		base.Why = fmt.Sprintf("no series for the VM from %s; is its namespace scraped (a ServiceMonitor for virt-handler), and do the series keep KubeVirt's namespace and name labels?", query)
		return []Check{base}
	}
	var out []Check
	kept := without(got, skip)
	for _, st := range stretches(lv, vm, peers, o.From, o.To) {
		c := base
		c.From, c.To, c.Level, c.Peers = st.From, st.To, st.Level, st.PeersLevel
		env.Level, env.PeersLevel = float64(st.Level), float64(st.PeersLevel)
		if sig.AtLeast.IsZero() {
			c.Expected = sig.Expect.Eval(env)
			lo, hi := sig.Tolerance.Band(c.Expected)
			c.Low, c.High = lo, &hi
		} else {
			c.Expected = sig.AtLeast.Eval(env)
			c.Low = c.Expected
		}
		judge(&c, kept, st.From.Add(o.RateWindow+o.Settle), st.To)
		if c.Outcome == TooShort && slices.ContainsFunc(skip, func(sp eventSpan) bool { return sp.From.Before(st.To) && sp.To.After(st.From) }) {
			c.Why += ", a disruption's stretch left out"
		}
		out = append(out, c)
	}
	if sig.Rises {
		out = append(out, rises(base, out))
	}
	return out
}

// judge averages the samples in [from, to] and compares the mean with the
// band.
func judge(c *Check, got []sample, from, to time.Time) {
	var sum float64
	for _, s := range got {
		if !s.t.Before(from) && !s.t.After(to) {
			sum += s.v
			c.Samples++
		}
	}
	if c.Samples < MinSamples {
		c.Outcome = TooShort
		c.Why = fmt.Sprintf("%d samples after the settle margin, fewer than %d", c.Samples, MinSamples)
		return
	}
	mean := sum / float64(c.Samples)
	c.Observed = &mean
	c.Outcome = Passed
	switch {
	case mean < c.Low:
		c.Outcome, c.Why = Failed, "below the band"
	case c.High != nil && mean > *c.High:
		c.Outcome, c.Why = Failed, "above the band"
	}
}

// rises checks, over a VM's measured stretches, that a higher level shows
// a higher mean value than every lower one.
func rises(base Check, stretches []Check) Check {
	byLevel := map[int][]float64{}
	for _, c := range stretches {
		if c.Observed != nil {
			byLevel[c.Level+c.Peers] = append(byLevel[c.Level+c.Peers], *c.Observed)
		}
	}
	var lvls []int
	for l := range byLevel {
		lvls = append(lvls, l)
	}
	sort.Ints(lvls)
	base.Rises = true
	if len(stretches) > 0 {
		base.From, base.To = stretches[0].From, stretches[len(stretches)-1].To
	}
	if len(lvls) < 2 {
		base.Outcome, base.Why = TooShort, "fewer than two levels measured, so nothing to compare"
		return base
	}
	means := make([]float64, len(lvls))
	for i, l := range lvls {
		for _, v := range byLevel[l] {
			means[i] += v / float64(len(byLevel[l]))
		}
	}
	base.Outcome = Passed
	for i := 1; i < len(lvls); i++ {
		if means[i] <= means[i-1] {
			base.Outcome = Failed
			base.Why = fmt.Sprintf("level %d shows %.3g, not more than level %d's %.3g", lvls[i], means[i], lvls[i-1], means[i-1])
			break
		}
	}
	base.Level, base.Samples = lvls[len(lvls)-1], len(lvls)
	return base
}
