package admission

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// renderCases are renders with the flags that change the VMs: every workload
// (network and tps as server/client pairs), data disks with a size and a
// StorageClass, load profiles with a start and a duration, ssh access, other
// images and sizes, custom workloads, JSON output, every boot source,
// instance types with preferences, and placement.
var renderCases = map[string][]string{
	"all-workloads":   {"--workloads", "all", "--vm-count", "2"},
	"chaos-workloads": {"--workloads", "chaos-disk,chaos-network,chaos-process"},
	"data-disks":      {"--workloads", "disk,database", "--disk-size", "64Gi", "--storage-class", "fast-ssd", "--vm-count", "3"},
	"pairs":           {"--workloads", "network,tps", "--vm-count", "3", "--params", "network.parallel=8"},
	"profiles": {"--workloads", "cpu,memory,disk,network", "--profile", "cpu=square:high=80,low=10,period=2m",
		"--profile", "memory=ramp:from=10,to=90,over=10m", "--start-at", "+10m", "--duration", "1h"},
	"ssh":    {"--workloads", "cpu,network", "--ssh-user", "alice", "--ssh-key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBxUoT5Ny1Qbq6cHBW2pIh6S0dF0kG8mJ3oV1J9XhF1a alice@example"},
	"debian": {"--workloads", "all", "--image", "quay.io/containerdisks/debian:12", "--guest", "debian", "--cpu-cores", "16", "--memory", "64Gi"},
	"small":  {"--workloads", "cpu,disk", "--cpu-cores", "1", "--memory", "256Mi", "--disk-size", "4Gi"},
	"custom": {"--workload-dir", "examples/workloads", "--workloads", "all"},
	"json":   {"--workloads", "all", "-o", "json"},
	// Root disks cloned or imported per VM (dataVolumeTemplates), with and
	// without data disks.
	"datasource": {"--workloads", "cpu,disk,network", "--boot-source", "datasource:openshift-virtualization-os-images/fedora", "--root-disk-size", "40Gi", "--storage-class", "fast"},
	"pvc":        {"--workloads", "database", "--boot-source", "pvc:golden/fedora-44", "--guest", "fedora"},
	"registry":   {"--workloads", "cpu", "--boot-source", "registry:quay.io/containerdisks/fedora:44"},
	"http":       {"--workloads", "memory", "--boot-source", "http:https://download.example.com/Fedora-Cloud-Base-44.qcow2", "--guest", "fedora"},
	// Sized by instance types and preferences (sizingObjects holds them):
	// cluster-wide for every workload; namespaced, per workload, on a
	// DataSource clone.
	"instancetype": {"--workloads", "all", "--instancetype", "u1.medium", "--preference", "fedora"},
	"instancetype-namespaced": {"--workloads", "cpu,disk,network", "--instancetype", "virtualmachineinstancetype/small",
		"--preference", "virtualmachinepreference/fedora", "--boot-source", "datasource:openshift-virtualization-os-images/fedora"},
	"instancetype-per-workload": {"--workloads", "cpu,memory", "--config", "test/admission/testdata/instancetype-per-workload.yaml"},
	// Placement: node selector, tolerations, spread, the per-node cap's
	// anti-affinity and the eviction strategy, for the run and per
	// workload, beside an instance type and a cloned root disk.
	"placement": {"--workloads", "cpu,network", "--vm-count", "4", "--node-selector", "topology.kubernetes.io/region=r1,node-role.kubernetes.io/worker=",
		"--tolerate", "dedicated=virt:NoSchedule", "--tolerate", "example.com/maintenance:NoExecute", "--spread", "zone", "--vms-per-node", "2", "--eviction-strategy", "LiveMigrate"},
	"placement-per-workload": {"--workloads", "cpu,memory,network,disk", "--vm-count", "2", "--config", "test/admission/testdata/placement-per-workload.yaml",
		"--instancetype", "u1.medium", "--boot-source", "datasource:openshift-virtualization-os-images/fedora"},
}

// TestRenderedVMsAdmitted builds the plugin and admits every VirtualMachine
// each render case prints.
func TestRenderedVMsAdmitted(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "kubectl-virtwork")
	build := exec.Command("go", "build", "-o", bin, "./cmd/kubectl-virtwork")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/kubectl-virtwork: %v\n%s", err, out)
	}
	hook := newWebhook(t, sizingObjects()...)
	for name, args := range renderCases {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"render", "--run-id", "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93"}, args...)
			cmd := exec.Command(bin, args...)
			cmd.Dir = repoRoot
			cmd.Env = cleanEnv()
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("kubectl-virtwork %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
			}
			vms, err := virtualMachines(name, out)
			if err != nil {
				t.Fatal(err)
			}
			if len(vms) == 0 {
				t.Fatalf("kubectl-virtwork %s printed no VirtualMachine", strings.Join(args, " "))
			}
			for _, vm := range vms {
				if resp := hook.admit(vm); !resp.Allowed {
					t.Errorf("KubeVirt v1.9.0 refuses VirtualMachine %s: %s", vm.name, refusal(resp))
				}
			}
		})
	}
}

// cleanEnv is the environment without VIRTWORK_* settings, so a developer's
// own settings do not change what the cases render.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VIRTWORK_") {
			env = append(env, kv)
		}
	}
	return env
}
