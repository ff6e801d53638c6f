package render

import (
	"io"
	"testing"
)

// BenchmarkRender12000 renders and encodes 12,000 VMs (cpu, memory, disk,
// database at 2000 instances each, network at 2000 pairs) as YAML. Run it
// on one core: go test -bench Render12000 -cpu 1 ./pkg/render
func BenchmarkRender12000(b *testing.B) {
	cfg := testConfig(b, 2000, "cpu", "database", "disk", "memory", "network")
	b.ReportAllocs()
	for b.Loop() {
		bundle := mustRender(b, cfg)
		if err := bundle.WriteYAML(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(12000*b.N)/b.Elapsed().Seconds(), "VMs/s")
}
