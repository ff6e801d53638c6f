package render

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	vwlabels "github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// placementConfig is a cpu and network run with every placement setting:
// the run's spread and cap on cpu, the network workload's own on network
// (as a workloads.network section gives them).
func placementConfig(t *testing.T, cpuVMs int) *config.Config {
	cfg := testConfig(t, cpuVMs, "cpu")
	cfg.Workloads = append(cfg.Workloads, testConfig(t, 2, "network").Workloads...)
	run := config.Placement{
		NodeSelector:     config.NodeSelector{{Key: "topology.kubernetes.io/region", Value: "r1"}, {Key: "node-role.kubernetes.io/worker", Value: ""}},
		Tolerations:      config.Tolerations{{Key: "dedicated", Value: "virt", Effect: "NoSchedule"}, {Key: "example.com/maintenance", Effect: "NoExecute"}},
		Spread:           config.SpreadHostname,
		VMsPerNode:       2,
		EvictionStrategy: "LiveMigrate",
	}
	cfg.Workloads[0].Placement = run
	own := run
	own.Spread, own.SpreadScope, own.VMsPerNode, own.CapScope, own.EvictionStrategy = config.SpreadZone, config.ScopeWorkload, 1, config.ScopeWorkload, "None"
	cfg.Workloads[1].Placement = own
	return cfg
}

// TestGoldenPlacement: what each placement setting renders.
func TestGoldenPlacement(t *testing.T) {
	tools.Golden(t, filepath.Join("testdata", "placement.yaml"), yamlOf(t, mustRender(t, placementConfig(t, 3))), *update, "./pkg/render")
}

// vmsOf decodes the bundle's VirtualMachines into KubeVirt's types,
// refusing a field they do not have.
func vmsOf(t *testing.T, b *Bundle) []*kubevirtv1.VirtualMachine {
	t.Helper()
	var out []*kubevirtv1.VirtualMachine
	for obj := range b.Objects() {
		if obj.GetKind() != "VirtualMachine" {
			continue
		}
		vm := &kubevirtv1.VirtualMachine{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(obj.Object, vm, true); err != nil {
			t.Fatalf("VirtualMachine %s: %v", obj.GetName(), err)
		}
		out = append(out, vm)
	}
	return out
}

// TestVMsPerNodeGroups: the cap's anti-affinity of each VM selects, among
// the template labels of every VM of the run (what KubeVirt puts on the
// virt-launcher pods the scheduler counts), exactly the VMs of its own
// slot within its scope, itself included; the slots are filled evenly, so
// every group fits on as many nodes as the cap allows. The spread selects
// the run's VMs, or the workload's for a workload's own spread.
func TestVMsPerNodeGroups(t *testing.T) {
	vms := vmsOf(t, mustRender(t, placementConfig(t, 7)))
	group := map[string]string{} // VM -> scope/slot
	for _, vm := range vms {
		l := vm.Spec.Template.ObjectMeta.Labels
		if s, ok := l[vwlabels.RunSlot]; ok {
			group[vm.Name] = "run/" + s
		} else {
			group[vm.Name] = l[vwlabels.Component] + "/" + l[vwlabels.WorkloadSlot]
		}
	}
	sizes := map[string]int{}
	for _, g := range group {
		sizes[g]++
	}
	// 7 cpu VMs in 2 slots; 2 network instances (4 VMs) capped at 1.
	if want := map[string]int{"run/0": 4, "run/1": 3, "network/0": 4}; !cmp.Equal(sizes, want) {
		t.Errorf("groups %v, want %v", sizes, want)
	}
	for _, vm := range vms {
		spec := vm.Spec.Template.Spec
		terms := spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution
		if len(terms) != 1 || terms[0].TopologyKey != "kubernetes.io/hostname" {
			t.Fatalf("%s: anti-affinity %+v", vm.Name, terms)
		}
		capSel := labels.SelectorFromSet(terms[0].LabelSelector.MatchLabels)
		spreadSel := labels.SelectorFromSet(spec.TopologySpreadConstraints[0].LabelSelector.MatchLabels)
		own := vm.Spec.Template.ObjectMeta.Labels[vwlabels.Component]
		for _, other := range vms {
			ol := labels.Set(other.Spec.Template.ObjectMeta.Labels)
			if got, want := capSel.Matches(ol), group[other.Name] == group[vm.Name]; got != want {
				t.Errorf("%s's anti-affinity selects %s: %v, want %v (%s, %s)", vm.Name, other.Name, got, want, group[vm.Name], group[other.Name])
			}
			wantSpread := own == "cpu" || ol[vwlabels.Component] == own
			if got := spreadSel.Matches(ol); got != wantSpread {
				t.Errorf("%s's spread selects %s: %v, want %v", vm.Name, other.Name, got, wantSpread)
			}
		}
	}
}

// TestVMsPerNodeSlotsSpanWorkloads: a run's cap numbers its VMs over the
// whole run, in the order of workloads, roles and instances, so the slots
// of the second workload start where the first's ended (numbering each
// workload from 0 would put cpu's last VM and network's first server in
// the same slot). The streamed bundle keeps a role's first slot, not a
// slot per VM, so this checks that offset.
func TestVMsPerNodeSlotsSpanWorkloads(t *testing.T) {
	cfg := testConfig(t, 3, "cpu")
	cfg.Workloads = append(cfg.Workloads, testConfig(t, 2, "network").Workloads...)
	for i := range cfg.Workloads {
		cfg.Workloads[i].Placement = config.Placement{VMsPerNode: 2}
	}
	got := map[string]string{}
	for _, vm := range vmsOf(t, mustRender(t, cfg)) {
		l := vm.Spec.Template.ObjectMeta.Labels
		got[l[vwlabels.Component]+"/"+l[vwlabels.Role]+"/"+l[vwlabels.Instance]] += l[vwlabels.RunSlot]
	}
	// cpu (role worker) 0,1,2 take slots 0,1,0; network's servers 1,0; its clients
	// (after the servers: roles in order) 1,0.
	want := map[string]string{
		"cpu/worker/0": "0", "cpu/worker/1": "1", "cpu/worker/2": "0",
		"network/server/0": "1", "network/server/1": "0",
		"network/client/0": "1", "network/client/1": "0",
	}
	if !cmp.Equal(got, want) {
		t.Errorf("slots by workload/role/instance:\n%v\nwant\n%v", got, want)
	}
}

// TestPlacementFields: the KubeVirt fields each setting fills, per VM.
func TestPlacementFields(t *testing.T) {
	vms := vmsOf(t, mustRender(t, placementConfig(t, 1)))
	for _, vm := range vms {
		spec := vm.Spec.Template.Spec
		wantSel := map[string]string{"topology.kubernetes.io/region": "r1", "node-role.kubernetes.io/worker": ""}
		if !cmp.Equal(spec.NodeSelector, wantSel) {
			t.Errorf("%s: nodeSelector %v", vm.Name, spec.NodeSelector)
		}
		tol := fmt.Sprint(spec.Tolerations)
		if want := "[{dedicated Equal virt NoSchedule <nil>} {example.com/maintenance Exists  NoExecute <nil>}]"; tol != want {
			t.Errorf("%s: tolerations %s, want %s", vm.Name, tol, want)
		}
		tsc := spec.TopologySpreadConstraints[0]
		key, strategy := "kubernetes.io/hostname", kubevirtv1.EvictionStrategyLiveMigrate
		if vm.Labels[vwlabels.Component] == "network" {
			key, strategy = "topology.kubernetes.io/zone", kubevirtv1.EvictionStrategyNone
		}
		if tsc.MaxSkew != 1 || tsc.TopologyKey != key || tsc.WhenUnsatisfiable != "DoNotSchedule" || *tsc.NodeTaintsPolicy != "Honor" {
			t.Errorf("%s: spread %+v", vm.Name, tsc)
		}
		if *spec.EvictionStrategy != strategy {
			t.Errorf("%s: evictionStrategy %s, want %s", vm.Name, *spec.EvictionStrategy, strategy)
		}
	}
	// Without placement, none of the fields is there (the golden files
	// of every workload say so byte for byte).
	for _, vm := range vmsOf(t, mustRender(t, testConfig(t, 1, "cpu"))) {
		s := vm.Spec.Template.Spec
		if s.NodeSelector != nil || s.Tolerations != nil || s.TopologySpreadConstraints != nil || s.Affinity != nil || s.EvictionStrategy != nil {
			t.Errorf("%s: placement without settings: %+v", vm.Name, s)
		}
	}
}
