package render

import (
	"runtime"
	"testing"
)

// heapSampler is an io.Writer that discards what it is given and, every
// step bytes, collects garbage and records the live heap: what the
// encoder holds at that point of the stream.
type heapSampler struct {
	step, since int
	maxLive     int64
}

func (h *heapSampler) Write(p []byte) (int, error) {
	h.since += len(p)
	if h.since >= h.step {
		h.since = 0
		h.maxLive = max(h.maxLive, liveHeap())
	}
	return len(p), nil
}

func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestRenderMemoryDoesNotGrowWithVMs renders cpu and network (three VMs
// per instance) at 30 and at 10,000 instances, and measures the live heap
// after garbage collection (not RSS, not time): what a rendered bundle
// keeps, and the most held at any point while it is written as YAML and
// as JSON. Both must be the same at 30,000 VMs as at 90, within 512 KiB;
// a bundle that kept even one small value per VM would hold megabytes
// more.
func TestRenderMemoryDoesNotGrowWithVMs(t *testing.T) {
	if testing.Short() {
		t.Skip("renders 30,000 VMs")
	}
	const slack = 512 << 10
	type usage struct{ bundle, yaml, json int64 }
	// Sampled every 64 KiB (each buffered write) for the small run, every
	// MiB for the large one.
	measure := func(vmCount, step int) usage {
		cfg := testConfig(t, vmCount, "cpu", "network")
		base := liveHeap()
		b := mustRender(t, cfg)
		u := usage{bundle: liveHeap() - base}
		for _, enc := range []struct {
			write func(*heapSampler) error
			peak  *int64
		}{
			{func(h *heapSampler) error { return b.WriteYAML(h) }, &u.yaml},
			{func(h *heapSampler) error { return b.WriteJSON(h) }, &u.json},
		} {
			h := &heapSampler{step: step, maxLive: -1}
			if err := enc.write(h); err != nil {
				t.Fatal(err)
			}
			if h.maxLive < 0 {
				t.Fatalf("%d instances: the heap was never sampled", vmCount)
			}
			*enc.peak = h.maxLive - base
		}
		runtime.KeepAlive(b)
		return u
	}
	small, large := measure(30, 64<<10), measure(10000, 1<<20)
	t.Logf("live heap above the start: 90 VMs %+v, 30,000 VMs %+v", small, large)
	if large.bundle > small.bundle+slack {
		t.Errorf("a bundle of 30,000 VMs holds %d bytes, one of 90 holds %d: the plan grows with the VMs", large.bundle, small.bundle)
	}
	if large.yaml > max(small.yaml, small.bundle)+slack || large.json > max(small.json, small.bundle)+slack {
		t.Errorf("writing 30,000 VMs held up to %d (YAML) and %d (JSON) bytes, 90 VMs %d and %d: the encoders hold objects", large.yaml, large.json, small.yaml, small.json)
	}
}
