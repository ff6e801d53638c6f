package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWorkloadSettings: a workload's settings, as the audit history records
// them, are the values of every row that places one in a Workload, by flag
// name, each workload with its own; a storage class left to the cluster,
// the root disk size of a containerDisk and preinstalled false are left out.
func TestWorkloadSettings(t *testing.T) {
	c := mustLoad(t, in{
		args: []string{"--workloads", "cpu,disk", "--vm-count", "3", "--config", "c.yaml", "--start-at", "+10m"},
		files: map[string]string{"c.yaml": "memory: 1536Mi\nworkloads:\n  disk:\n    storage_class: fast\n    disk_size: 20Gi\n    preinstalled: true\n" +
			"  cpu:\n    storage_class: slow\n    duration: 1h\n"},
	})
	got := map[string]map[string]string{}
	for _, w := range c.Workloads {
		got[w.Name] = w.Settings()
	}
	want := map[string]map[string]string{
		// --start-at and --duration time only workloads that have a level.
		"cpu": {"vm-count": "3", "cpu-cores": "2", "memory": "1536Mi", "disk-size": "10Gi", "storage-class": "slow",
			"start-at": "2026-01-02T15:14:05Z", "duration": "1h0m0s"},
		"disk": {"vm-count": "3", "cpu-cores": "2", "memory": "1536Mi", "disk-size": "20Gi", "storage-class": "fast", "preinstalled": "true"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	// With a cloned root disk and a preference, every per-workload row (--preinstalled too) but
	// the instance type places a value, and an instance type places its
	// own (in place of the CPU and memory it sizes).
	args := []string{"--workloads", "cpu", "--boot-source", "datasource:os-images/fedora", "--storage-class", "slow", "--start-at", "+10m", "--duration", "1h", "--preference", "fedora", "--preinstalled",
		"--node-selector", "zone=a", "--tolerate", "virt:NoSchedule", "--spread", "hostname", "--vms-per-node", "2", "--eviction-strategy", "None"}
	c = mustLoad(t, in{args: args})
	settings := c.Workloads[0].Settings()
	if settings["root-disk-size"] != DefaultRootDiskSize {
		t.Errorf("root-disk-size recorded as %q, want the default %s", settings["root-disk-size"], DefaultRootDiskSize)
	}
	c = mustLoad(t, in{args: append(args, "--instancetype", "u1.medium")})
	settings["instancetype"] = c.Workloads[0].Settings()["instancetype"]
	var perWorkload int
	for _, r := range rows {
		if r.info().perWorkload {
			perWorkload++
		}
	}
	if n := len(settings); n != perWorkload {
		t.Errorf("%d settings recorded, %d per-workload rows: a per-workload row places no value in Workload", n, perWorkload)
	}
}
