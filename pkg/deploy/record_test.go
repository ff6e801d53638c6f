package deploy

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// TestRunOptions pins what the history records of a run's settings: each
// workload's settings by flag name, a storage class only when one was
// given, params sorted, and of SSH only whether it was set.
func TestRunOptions(t *testing.T) {
	cfg := &config.Config{
		Timeout: 90 * time.Second,
		SSH:     config.SSH{User: "ops", PasswordHash: "$6$secret"},
		Workloads: []config.Workload{
			{Name: "cpu", VMCount: 3, CPUCores: 2, Memory: resource.MustParse("2Gi"), DiskSize: resource.MustParse("10Gi"),
				Params: workloads.Values{"method": "fft", "load-percent": "80"}},
			{Name: "disk", VMCount: 1, CPUCores: 4, Memory: resource.MustParse("1536Mi"), DiskSize: resource.MustParse("20Gi"),
				StorageClass: "fast", Params: workloads.Values{}},
		},
	}
	want := map[string]string{
		"ssh-auth": "true", "timeout": "1m30s",
		"cpu.vm-count": "3", "cpu.cpu-cores": "2", "cpu.memory": "2Gi", "cpu.disk-size": "10Gi",
		"cpu.params":    "load-percent=80,method=fft",
		"disk.vm-count": "1", "disk.cpu-cores": "4", "disk.memory": "1536Mi", "disk.disk-size": "20Gi",
		"disk.storage-class": "fast", "disk.params": "",
	}
	if diff := cmp.Diff(want, runOptions(cfg)); diff != "" {
		t.Errorf("recorded options (-want +got):\n%s", diff)
	}
	if got := runOptions(&config.Config{})["ssh-auth"]; got != "false" {
		t.Errorf("ssh-auth without SSH: %q", got)
	}
}
