package simulator

import (
	"testing"
	"time"
)

// TestMigratePausesTheSeries: from the switch-over until the pause ends,
// no node exports the guest's series; then the target node does, labelled
// with it, its counters starting again from zero as a new QEMU process's
// do.
func TestMigratePausesTheSeries(t *testing.T) {
	m := newMetrics(1)
	boot := time.Unix(1_000_000, 0)
	m.put(&guest{uid: "u", namespace: "ns", name: "vm", node: "a", boot: boot, vcpus: 1, memory: 1 << 30, disks: []string{"rootdisk"}})
	// cpu returns the node label and value of the guest's CPU counter as
	// node exports it d after boot, ok false when node exports none.
	cpu := func(node string, d time.Duration) (label string, value float64, ok bool) {
		m.now = func() time.Time { return boot.Add(d) }
		for _, mt := range gather(t, m, node)["kubevirt_vmi_cpu_usage_seconds_total"] {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "node" {
					label = l.GetValue()
				}
			}
			return label, mt.GetCounter().GetValue(), true
		}
		return "", 0, false
	}
	label, before, ok := cpu("a", 100*time.Second)
	if !ok || label != "a" || before <= 0 {
		t.Fatalf("before the migration: series on a labelled %q, CPU %g (%v); want labelled a, CPU > 0", label, before, ok)
	}
	m.migrate("u", "b", boot.Add(105*time.Second))
	for _, node := range []string{"a", "b"} {
		if _, _, ok := cpu(node, 102*time.Second); ok {
			t.Errorf("during the pause node %s exports the guest's series", node)
		}
	}
	if _, _, ok := cpu("a", 105*time.Second); ok {
		t.Errorf("after the pause the source node still exports the series")
	}
	label, atEnd, ok := cpu("b", 105*time.Second)
	if !ok || label != "b" || atEnd != 0 {
		t.Errorf("at the pause's end: series on b labelled %q, CPU %g (%v); want labelled b, CPU 0", label, atEnd, ok)
	}
	if _, later, _ := cpu("b", 115*time.Second); later <= 0 || later >= before {
		t.Errorf("CPU seconds 10s after the migration = %g; want above 0 and below the %g of 100s from boot", later, before)
	}
}
