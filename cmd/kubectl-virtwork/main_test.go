package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/test/process"
)

// benchWorkloads make ten VMs per instance: six single-VM workloads and
// two server/client pairs (network, tps). So --vm-count 100 renders 1,000
// VMs, 1000 10,000, and 10000, the per-workload cap, 100,000.
const benchWorkloads = "cpu,memory,database,disk,network,tps,chaos-disk,chaos-process"

// BenchmarkRenderBinary runs the real binary, as a user would, on one core
// (GOMAXPROCS=1) to render 1,000, 10,000 and 100,000 VMs as YAML to
// /dev/null, in turn in each iteration. It reports for each size VMs/s by
// wall time and by the process's CPU time, the median and the largest of
// the runs' peak resident memory, and the ratio of the medians: rendering
// streams, so the ratio stays near 1. The peak is the render process's own
// VmHWM, read as it exits (process.StartMeasured), not its rusage maxrss,
// which counts this benchmark's own peak (Go starts a child with vfork).
// The median, because a run now and then peaks several MiB higher at
// either size on this shared machine while its Go heap stays as small as
// the others' (GODEBUG=gctrace=1).
//
//	go test -run '^$' -bench RenderBinary -cpu 1 -benchtime 10x ./cmd/kubectl-virtwork
func BenchmarkRenderBinary(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "kubectl-virtwork")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	sizes := []struct {
		name         string
		vmCount, vms int
	}{{"1k", 100, 1000}, {"10k", 1000, 10000}, {"100k", 10000, 100000}}
	for _, s := range sizes {
		var count vmCounter
		renderRun(b, bin, s.vmCount, &count)
		if count.n != s.vms {
			b.Fatalf("--vm-count %d rendered %d VirtualMachines, want %d", s.vmCount, count.n, s.vms)
		}
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	wall := make([]time.Duration, len(sizes))
	cpu := make([]time.Duration, len(sizes))
	peakKiB := make([][]int64, len(sizes))
	for b.Loop() {
		for k, s := range sizes {
			u := renderRun(b, bin, s.vmCount, devnull)
			wall[k] += u.Wall
			cpu[k] += u.User + u.System
			peakKiB[k] = append(peakKiB[k], u.PeakRSS/1024)
		}
	}
	median := make([]float64, len(sizes))
	for k, s := range sizes {
		n := float64(s.vms * b.N)
		slices.Sort(peakKiB[k])
		median[k] = float64(peakKiB[k][len(peakKiB[k])/2]) / 1024
		b.ReportMetric(n/wall[k].Seconds(), "VMs/s-"+s.name)
		b.ReportMetric(n/cpu[k].Seconds(), "VMs/cpu-s-"+s.name)
		b.ReportMetric(median[k], "peak-RSS-MiB-median-"+s.name)
		b.ReportMetric(float64(slices.Max(peakKiB[k]))/1024, "peak-RSS-MiB-max-"+s.name)
	}
	b.ReportMetric(median[len(sizes)-1]/median[0], "RSS-ratio-100k/1k")
}

// renderRun renders --vm-count n of benchWorkloads to out, with
// GOMAXPROCS=1, and returns what the process used.
func renderRun(b *testing.B, bin string, n int, out io.Writer) process.Usage {
	c := exec.Command(bin, "render", "--workloads", benchWorkloads, "--vm-count", strconv.Itoa(n),
		"--run-id", "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93")
	c.Env = append(os.Environ(), "GOMAXPROCS=1")
	c.Stdout = out
	var stderr strings.Builder
	c.Stderr = &stderr
	u, err := process.RunMeasured(c)
	if err != nil {
		b.Fatalf("render: %v\n%s", err, stderr.String())
	}
	return u
}

// vmCounter counts the VirtualMachine documents of a YAML stream written
// through it (a document's kind line is never split: it counts across
// writes).
type vmCounter struct {
	n    int
	tail []byte
}

var vmKindLine = []byte("\nkind: VirtualMachine\n")

func (c *vmCounter) Write(p []byte) (int, error) {
	buf := append(c.tail, p...)
	c.n += bytes.Count(buf, vmKindLine)
	// Keep what could be the start of a kind line cut by this write.
	keep := min(len(buf), len(vmKindLine)-1)
	c.tail = append(c.tail[:0], buf[len(buf)-keep:]...)
	return len(p), nil
}
