package simulator

import (
	"testing"
	"time"
)

// TestMigratePausesTheSeries: from the switch-over until the pause ends,
// no node exports the guest's series; then the target node does, labelled
// with it, and the counters carry on from where they were.
func TestMigratePausesTheSeries(t *testing.T) {
	m := newMetrics(1)
	boot := time.Unix(1_000_000, 0)
	m.put(&guest{uid: "u", namespace: "ns", name: "vm", node: "a", boot: boot, vcpus: 1, memory: 1 << 30, disks: []string{"rootdisk"}})
	at := func(d time.Duration) { m.now = func() time.Time { return boot.Add(d) } }
	// cpu reports the node label of the guest's CPU series on node, if
	// node exports one.
	cpu := func(node string) (string, bool) {
		for _, labels := range seriesOf(gather(t, m, node), "vm")["kubevirt_vmi_cpu_usage_seconds_total"] {
			return labels["node"], true
		}
		return "", false
	}
	at(10 * time.Second)
	if label, ok := cpu("a"); !ok || label != "a" {
		t.Fatalf("before the migration: series on a labelled %q (%v), want labelled a", label, ok)
	}
	before := m.valuesAt(m.guests["u"], boot.Add(10*time.Second)).acc.cpu
	m.migrate("u", "b", boot.Add(15*time.Second))
	at(12 * time.Second)
	for _, node := range []string{"a", "b"} {
		if _, ok := cpu(node); ok {
			t.Errorf("during the pause node %s exports the guest's series", node)
		}
	}
	at(15 * time.Second)
	if _, ok := cpu("a"); ok {
		t.Errorf("after the pause the source node still exports the series")
	}
	if label, ok := cpu("b"); !ok || label != "b" {
		t.Errorf("after the pause: series on b labelled %q (%v), want labelled b", label, ok)
	}
	if after := m.valuesAt(m.guests["u"], boot.Add(15*time.Second)).acc.cpu; after <= before {
		t.Errorf("CPU seconds %g after the migration, %g before: want the counter to carry on", after, before)
	}
}
