package render

import (
	"encoding/base64"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
)

// TestTenantsRoundRobin spreads 3 cpu and 2 network instances over three
// namespaces: instances are dealt round-robin across the workloads (cpu 0,
// 1, 2 to tenant-0, -1, -2; network 0, 1 to tenant-0, -1), a network
// instance's server, client and Service share a namespace, each namespace
// a role reaches has that role's Secret, and a client's user-data names the
// Service in its own namespace.
func TestTenantsRoundRobin(t *testing.T) {
	cfg := testConfig(t, 3, "cpu", "network")
	cfg.Workloads[1].VMCount = 2
	cfg.Namespaces = config.NamespaceNames("tenant", 3)
	b := mustRender(t, cfg)
	if b.Namespace != "tenant-0" || len(b.Namespaces) != 3 {
		t.Fatalf("bundle namespaces %s %v", b.Namespace, b.Namespaces)
	}
	perNS := map[string]map[string]int{} // namespace -> kind -> count
	instanceNS := map[string]string{}    // workload/instance -> namespace
	for obj := range b.Objects() {
		if obj.GetLabels()[labels.RunID] != testRunID {
			t.Errorf("%s %s has no run-id label", obj.GetKind(), obj.GetName())
		}
		ns := obj.GetNamespace()
		if obj.GetKind() == "Namespace" {
			ns = obj.GetName()
		}
		if perNS[ns] == nil {
			perNS[ns] = map[string]int{}
		}
		perNS[ns][obj.GetKind()]++
		if inst, ok := obj.GetLabels()[labels.Instance]; ok {
			key := obj.GetLabels()[labels.Component] + "/" + inst
			if prev, seen := instanceNS[key]; seen && prev != ns {
				t.Errorf("instance %s is split over %s and %s (%s %s)", key, prev, ns, obj.GetKind(), obj.GetName())
			}
			instanceNS[key] = ns
		}
		if obj.GetKind() == "Secret" && obj.GetLabels()[labels.Role] == "client" {
			enc, _, _ := unstructured.NestedString(obj.Object, "data", userDataKey)
			ud, _ := base64.StdEncoding.DecodeString(enc)
			if !strings.Contains(string(ud), "."+ns+".svc") {
				t.Errorf("client Secret in %s does not reach Services in %s", ns, ns)
			}
		}
	}
	wantInstances := map[string]string{
		"cpu/0": "tenant-0", "cpu/1": "tenant-1", "cpu/2": "tenant-2",
		"network/0": "tenant-0", "network/1": "tenant-1",
	}
	for k, want := range wantInstances {
		if instanceNS[k] != want {
			t.Errorf("instance %s in %q, want %s", k, instanceNS[k], want)
		}
	}
	want := map[string]map[string]int{
		// cpu 0 and network 0 (server, client, Service); the cpu Secret
		// and the network server and client Secrets.
		"tenant-0": {"Namespace": 1, "VirtualMachine": 3, "Service": 1, "Secret": 3},
		"tenant-1": {"Namespace": 1, "VirtualMachine": 3, "Service": 1, "Secret": 3},
		"tenant-2": {"Namespace": 1, "VirtualMachine": 1, "Secret": 1},
	}
	for ns, kinds := range want {
		for kind, n := range kinds {
			if perNS[ns][kind] != n {
				t.Errorf("%s has %d %s, want %d (all: %v)", ns, perNS[ns][kind], kind, n, perNS[ns])
			}
		}
	}
	if len(perNS) != 3 {
		t.Errorf("objects in %d namespaces, want 3: %v", len(perNS), perNS)
	}
	if b.Len() != 3+2+7+7 {
		t.Errorf("Len %d, want 19", b.Len())
	}
}

// TestOneNamespaceIsTheNamespace: without --namespaces the run lives in the
// namespace alone, whether Namespaces is empty or that one name.
func TestOneNamespaceIsTheNamespace(t *testing.T) {
	cfg := testConfig(t, 2, "network")
	plain := yamlOf(t, mustRender(t, cfg))
	cfg.Namespaces = []string{"virtwork"}
	if got := yamlOf(t, mustRender(t, cfg)); string(got) != string(plain) {
		t.Error("Namespaces [virtwork] renders other bytes than Namespace virtwork alone")
	}
}
