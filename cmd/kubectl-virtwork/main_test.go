package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// BenchmarkRenderBinary12000 runs the real binary, as a user would, on one
// core (GOMAXPROCS=1) to render 12,000 VMs as YAML, and reports VMs/s and
// the process's peak resident memory.
func BenchmarkRenderBinary12000(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "kubectl-virtwork")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	var peakKiB int64
	b.ResetTimer()
	for b.Loop() {
		c := exec.Command(bin, "render", "--workloads", "cpu,memory,database,network,disk", "--vm-count", "2000",
			"--run-id", "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93")
		c.Env = append(os.Environ(), "GOMAXPROCS=1")
		c.Stdout = devnull
		var stderr strings.Builder
		c.Stderr = &stderr
		if err := c.Run(); err != nil {
			b.Fatalf("render: %v\n%s", err, stderr.String())
		}
		if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > peakKiB {
			peakKiB = ru.Maxrss
		}
	}
	b.ReportMetric(float64(12000*b.N)/b.Elapsed().Seconds(), "VMs/s")
	b.ReportMetric(float64(peakKiB)/1024, "peak-RSS-MiB")
}
