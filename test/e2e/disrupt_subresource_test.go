package e2e

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/virtwork/kubectl-virtwork/pkg/disrupt"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// TestDisruptRestartSubresource: where the API server serves virt-api's
// restart subresource, disrupt --restart restarts every VM through it, not
// by deleting the VMI: the simulator counts one restart for each VM the
// summary and the audit history say was restarted, and each came back
// with a new VMI. Not parallel: while its simulator serves the
// cluster-wide APIService, the restarts of every other test on the shared
// API server would go through it, and fail when it stops.
func TestDisruptRestartSubresource(t *testing.T) {
	e := newEnv(t)
	sub := &simulator.Subresources{}
	opts := simulatorOptions()
	opts.Subresources = sub
	e.simulate(t, opts)
	kube, err := kubernetes.NewForConfig(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	var seen string
	eventually(t, 30*time.Second, func() string { return "discovery to list virtualmachines/restart, last: " + seen }, func(context.Context) (bool, error) {
		list, err := kube.Discovery().ServerResourcesForGroupVersion(simulator.SubresourceGroupVersion.String())
		if err != nil {
			seen = err.Error()
			return false, nil
		}
		return slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == "virtualmachines/restart" }), nil
	})

	p := newPlugin(t)
	runID := "d15a0005-5555-4555-8555-555555555555"
	const n = 3
	applyRun(t, p, e.ns, runID, "cpu", n)
	before := map[string]string{}
	for i := range n {
		vmi, err := e.get(t.Context(), vmiGVR, cpuVM(runID, i))
		if err != nil || vmi == nil {
			t.Fatalf("VMI %s: %v, %v", cpuVM(runID, i), vmi, err)
		}
		before[vmi.GetName()] = string(vmi.GetUID())
	}

	o := p.run(t.Context(), "disrupt", "-n", e.ns, "--run-id", runID, "--restart", "100%", "--timeout", "1m", "-o", "json")
	if o.code != 0 {
		t.Fatalf("disrupt: exit %d\n%s%s", o.code, o.stdout, o.stderr)
	}
	s := disruptSummary(t, o)
	restarted := map[string]int{}
	for _, ev := range s.Events {
		if ev.Kind != string(disrupt.Restart) || ev.Outcome != disrupt.OutcomeSucceeded {
			t.Errorf("event %+v, want a succeeded restart", ev)
		}
		restarted[ev.VM]++
	}
	if len(restarted) != n {
		t.Errorf("restarted %v, want each of the %d VMs once", restarted, n)
	}
	if got := sub.Restarts(e.ns); !maps.Equal(got, restarted) {
		t.Errorf("restarts through the subresource %v, want the summary's %v: the plugin restarted some another way", got, restarted)
	}
	if ds := recorded(t, p, runID); len(ds) != n {
		t.Errorf("the audit history holds %d events, want %d", len(ds), n)
	}
	for name, uid := range before {
		vmi, err := e.get(t.Context(), vmiGVR, name)
		switch {
		case err != nil:
			t.Errorf("VMI %s after the restart: %v", name, err)
		case vmi == nil:
			t.Errorf("VMI %s is gone after the restart", name)
		case string(vmi.GetUID()) == uid:
			t.Errorf("VMI %s kept its UID %s: not restarted", name, uid)
		}
	}
}
