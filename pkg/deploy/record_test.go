package deploy

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
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

// TestRecordMakesTheRunAgain: what the history records of a run's settings
// is enough for config.FromRecord to make the same run again, profiles,
// timing, params and preinstalled included, so verify models what apply
// applied. The record is read back an hour after the run was made, when
// its start-at is in the past.
func TestRecordMakesTheRunAgain(t *testing.T) {
	args := []string{"--run-id", "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93", "--workloads", "cpu,network,disk",
		"--vm-count", "2", "--cpu-cores", "3", "--memory", "3Gi", "--start-at", "+5m", "--duration", "1h",
		"--profile", "cpu=square:high=80,low=10,period=2m,spread=random", "--params", "disk.iops=50,network.client-mbps=30"}
	recordMakesTheRunAgain(t, args)
	// A cloned root disk of its own size and class.
	recordMakesTheRunAgain(t, append(args, "--boot-source", "datasource:openshift-virtualization-os-images/centos-stream9",
		"--root-disk-size", "25Gi", "--storage-class", "fast"))
	// A golden image: the user-data installs no packages.
	recordMakesTheRunAgain(t, append(args, "--boot-source", "datasource:images/golden", "--preinstalled"))
	// An instance type and preference of the namespace in place of the
	// run's cores and memory.
	recordMakesTheRunAgain(t, []string{"--run-id", "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93", "--workloads", "cpu,disk",
		"--instancetype", "virtualmachineinstancetype/small", "--preference", "fedora"})
	// Spread over namespaces, named after -n or after a prefix.
	recordMakesTheRunAgain(t, append(args, "--namespaces", "3"))
	recordMakesTheRunAgain(t, append(args, "--namespaces", "4", "--namespace-prefix", "tenant"))
}

func recordMakesTheRunAgain(t *testing.T, args []string) {
	t.Helper()
	made := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	f := config.NewFlags()
	fs := pflag.NewFlagSet("apply", pflag.ContinueOnError)
	f.AddFlags(fs)
	err := fs.Parse(args)
	if err != nil {
		t.Fatal(err)
	}
	none := func(string) (string, bool) { return "", false }
	cfg, err := config.Load(workloads.Builtin(), config.Sources{Flags: f, Namespace: "load", LookupEnv: none,
		NewRunID: func() string { return "x" }, Now: func() time.Time { return made }})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, w := range cfg.Workloads {
		names = append(names, w.Name)
	}
	a, err := render.Render(render.Input{Config: cfg, Registry: cfg.Registry})
	if err != nil {
		t.Fatal(err)
	}
	// As invocation records the run and verify.Recorded reads it back.
	inv := invocation(Options{Config: cfg, Bundle: a})
	rec := config.Record{RunID: cfg.RunID, Namespace: inv.Namespace, Namespaces: inv.Namespaces, Image: cfg.RootDisk(), Workloads: names,
		Options: runOptions(cfg), At: made}
	again, err := config.FromRecord(workloads.Builtin(), rec, config.Sources{LookupEnv: none,
		NewRunID: func() string { t.Fatal("no run id asked for"); return "" }})
	if err != nil {
		t.Fatal(err)
	}
	b, err := render.Render(render.Input{Config: again, Registry: again.Registry})
	if err != nil {
		t.Fatal(err)
	}
	var ya, yb strings.Builder
	if err := a.WriteYAML(&ya); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteYAML(&yb); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ya.String(), yb.String()); diff != "" {
		t.Errorf("the run made again from its record renders differently (-applied +again):\n%s", diff)
	}
}
