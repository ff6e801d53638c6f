package simulator

import (
	"hash/fnv"
	"math"
	"slices"
	"time"
)

// sample is a guest's numbers during one second: rates for the counters,
// values for the gauges.
type sample struct {
	vcpu       []float64 // busy share of each vCPU
	hypervisor float64   // vCPUs' worth of QEMU's own work
	drives     map[string]diskIO
	rx, tx     float64 // bytes/s on the first interface
	rxp, txp   float64 // frames/s on it
	memUsed    float64
	cache      float64
	dataUsed   float64 // bytes used on the data disk's file system
}

// diskIO is one drive's requests and bytes per second (or, summed, in all).
type diskIO struct{ reads, writes, readBytes, writeBytes float64 }

func (a diskIO) scaled(k float64) diskIO {
	return diskIO{a.reads * k, a.writes * k, a.readBytes * k, a.writeBytes * k}
}

func (a *diskIO) add(b diskIO, k float64) {
	a.reads += b.reads * k
	a.writes += b.writes * k
	a.readBytes += b.readBytes * k
	a.writeBytes += b.writeBytes * k
}

// accum is a guest's counters summed over its whole seconds from boot up
// to at, and where each workload's current active stretch began.
type accum struct {
	at       int64
	vcpu     []float64
	cpu      float64
	drives   map[string]diskIO
	rx, tx   float64
	rxp, txp float64
	// since[i] is the first second of workload i's current stretch of
	// level above 0, -1 while its level is 0.
	since []int64
}

// Noise channels: each number has its own, so they vary independently.
const (
	chCPU uint64 = iota + 1
	chMemory
	chRoot
	chData
	chRx
	chTx
	chPair
	chVCPU // + vCPU index
)

// Relative noise: small on what a workload drives, larger on the idle
// guest's background.
const (
	loadNoise = 0.03
	idleNoise = 0.2
)

// noise is a factor around 1 with standard deviation sd, the same for the
// same seed, guest, channel and second.
func (m *metrics) noise(g *guest, ch uint64, s int64, sd float64) float64 {
	h := fnv.New64a()
	h.Write([]byte(g.namespace + "/" + g.name))
	x := h.Sum64() ^ m.seed*0x9e3779b97f4a7c15 ^ ch<<40 ^ uint64(s)
	// The sum of four uniforms, centred and scaled: close enough to a
	// normal draw, and bounded.
	var sum float64
	for range 4 {
		x = splitmix(x)
		sum += float64(x>>11) / (1 << 53)
	}
	return math.Max(0, 1+sd*(sum-2)*math.Sqrt(3))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// levelAt is workload w's level at second s: the schedule's, or without
// one the level param's; unlimited for a param of 0 without a schedule.
func levelAt(g *guest, w workloadRun, s int64) (level float64, unlimited bool) {
	if w.sched != nil {
		start := w.sched.Start
		if start.IsZero() {
			start = g.boot
		}
		lvl, _, _ := w.sched.Schedule.At(start, w.sched.Phase.Of(g.name), w.sched.Duration, time.Unix(s, 0))
		return float64(lvl), false
	}
	if w.model.levelEnv == "" {
		return 1, false
	}
	v := envInt(w.env, w.model.levelEnv)
	return float64(v), v == 0
}

// workloadLoad is what workload i of g does at second s. With track set
// it also moves g's record of when the workload's level rose above 0,
// which only the guest's own walk through its seconds may do.
func (m *metrics) workloadLoad(g *guest, i int, s int64, track bool) load {
	w := g.workloads[i]
	if w.model.load == nil {
		return load{}
	}
	level, unlimited := levelAt(g, w, s)
	active := int64(0)
	if track {
		switch {
		case level <= 0:
			g.acc.since[i] = -1
		case g.acc.since[i] < 0:
			g.acc.since[i] = s
		}
		active = s - g.acc.since[i]
	}
	var dataCap float64
	if g.data != nil {
		dataCap = g.data.size * dataFSShare
	}
	l := w.model.load(loadInput{level: level, unlimited: unlimited, env: w.env, vcpus: g.vcpus,
		memTotal: memTotal(g), data: dataCap, active: active})
	if g.fault == MetricsFaultHalf {
		l = l.half()
	}
	return l
}

// half is the load of a guest that runs at half its level.
func (l load) half() load {
	l.busyEach, l.busyCores, l.memory, l.fill = l.busyEach/2, l.busyCores/2, l.memory/2, l.fill/2
	l.readIOPS, l.writeIOPS, l.readBytes, l.writeBytes = l.readIOPS/2, l.writeIOPS/2, l.readBytes/2, l.writeBytes/2
	l.toServer, l.fromServer = l.toServer/2, l.fromServer/2
	return l
}

func memTotal(g *guest) float64 { return g.memory * (1 - kernelReserved) }

// pairTraffic is what client c's workload i sends to its server and gets
// back during second s: nothing unless the server is up.
func (m *metrics) pairTraffic(c *guest, i int, s int64) load {
	w := c.workloads[i]
	if w.server == nil || m.serverOf(w.server, s) == nil {
		return load{}
	}
	l := m.workloadLoad(c, i, s, false)
	n := m.noise(c, chPair+uint64(i)<<8, s, loadNoise)
	return load{toServer: l.toServer * n, fromServer: l.fromServer * n, toFrames: l.toFrames * n, fromFrames: l.fromFrames * n}
}

// serverOf is the guest a Service selects that was running at second s.
func (m *metrics) serverOf(ref *serviceRef, s int64) *guest {
	for _, g := range m.guests {
		if g.namespace == ref.namespace && g.boot.Unix() <= s && selects(ref.selector, g.labels) {
			return g
		}
	}
	return nil
}

func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// sampleAt computes g's numbers during second s (see workloadLoad for
// track).
func (m *metrics) sampleAt(g *guest, s int64, track bool) sample {
	var sum load
	var data diskIO
	for i := range g.workloads {
		l := m.workloadLoad(g, i, s, track)
		sum.busyEach += l.busyEach
		sum.busyCores += l.busyCores
		sum.memory += l.memory
		sum.dataUsed += l.dataUsed
		sum.fill = math.Max(sum.fill, l.fill)
		data.add(diskIO{l.readIOPS, l.writeIOPS, l.readBytes, l.writeBytes}, 1)
	}
	smp := sample{drives: map[string]diskIO{}}
	smp.rx, smp.tx, smp.rxp, smp.txp = m.traffic(g, s)
	sum.busyCores += receiveCoresPerGbit * smp.rx * 8 / 1e9
	m.cpu(g, s, sum, &smp)

	mt := memTotal(g)
	smp.memUsed = math.Min(idleMemory+sum.memory*m.noise(g, chMemory, s, loadNoise/6), mt-64*mib)
	smp.cache = math.Max(0, math.Min(pageCache, mt-smp.memUsed))
	if g.data != nil {
		capacity := g.data.size * dataFSShare
		smp.dataUsed = math.Min(math.Max(24<<10+sum.dataUsed, sum.fill*capacity), capacity)
		smp.drives[g.data.drive] = data.scaled(m.noise(g, chData, s, loadNoise))
	}
	if root := g.rootDrive(); root != "" {
		n := m.noise(g, chRoot, s, idleNoise)
		smp.drives[root] = diskIO{rootReadIOPS * n, rootWriteIOPS * n, rootReadIOPS * rootIOSize * n, rootWriteIOPS * rootIOSize * n}
	}
	return smp
}

// traffic is g's bytes/s received and sent: the idle background, its own
// pair traffic as a client, and its clients' as a server.
func (m *metrics) traffic(g *guest, s int64) (rx, tx, rxp, txp float64) {
	rx, tx = idleRx*m.noise(g, chRx, s, idleNoise), idleTx*m.noise(g, chTx, s, idleNoise)
	rxp, txp = rx/idleFrame, tx/idleFrame
	for i := range g.workloads {
		l := m.pairTraffic(g, i, s)
		rx, tx, rxp, txp = rx+l.fromServer, tx+l.toServer, rxp+l.fromFrames, txp+l.toFrames
	}
	for _, c := range m.guests {
		if c == g || c.boot.Unix() > s {
			continue
		}
		for i, w := range c.workloads {
			if w.server != nil && w.server.namespace == g.namespace && selects(w.server.selector, g.labels) {
				l := m.pairTraffic(c, i, s)
				rx, tx, rxp, txp = rx+l.toServer, tx+l.fromServer, rxp+l.toFrames, txp+l.fromFrames
			}
		}
	}
	return rx, tx, rxp, txp
}

// cpu spreads the workloads' work over the vCPUs, none above 1, and adds
// QEMU's share.
func (m *metrics) cpu(g *guest, s int64, sum load, smp *sample) {
	smp.vcpu = make([]float64, g.vcpus)
	var total float64
	for i := range smp.vcpu {
		busy := idleVCPU*m.noise(g, chVCPU+uint64(i), s, idleNoise) +
			(sum.busyEach+sum.busyCores/float64(g.vcpus))*m.noise(g, chVCPU+uint64(i)+1<<16, s, loadNoise)
		smp.vcpu[i] = math.Min(busy, 1)
		total += smp.vcpu[i]
	}
	smp.hypervisor = (hypervisorBase + hypervisorShare*total) * m.noise(g, chCPU, s, idleNoise)
}

// rootDrive is the first disk that is neither cloud-init's nor the data
// disk: the one the guest boots and logs to.
func (g *guest) rootDrive() string {
	for _, d := range g.disks {
		if d != g.cloudInit && (g.data == nil || d != g.data.drive) {
			return d
		}
	}
	return ""
}

// advance adds g's whole seconds up to (not including) second now to its
// counters.
func (m *metrics) advance(g *guest, now int64) {
	if g.acc.drives == nil {
		g.acc = accum{at: g.boot.Unix(), vcpu: make([]float64, g.vcpus), drives: map[string]diskIO{}, since: make([]int64, len(g.workloads))}
		for i := range g.acc.since {
			g.acc.since[i] = -1
		}
	}
	for ; g.acc.at < now; g.acc.at++ {
		g.acc.add(m.sampleAt(g, g.acc.at, true), 1)
	}
}

// add adds k seconds of smp to the counters.
func (a *accum) add(smp sample, k float64) {
	for i, v := range smp.vcpu {
		a.vcpu[i] += v * k
		a.cpu += v * k
	}
	a.cpu += smp.hypervisor * k
	for d, v := range smp.drives {
		t := a.drives[d]
		t.add(v, k)
		a.drives[d] = t
	}
	a.rx += smp.rx * k
	a.tx += smp.tx * k
	a.rxp += smp.rxp * k
	a.txp += smp.txp * k
}

// from returns a's counters counted from base rather than from boot:
// what a migration's target reports, its QEMU process and tap device new.
func (a accum) from(base accum) accum {
	out := a
	out.vcpu = slices.Clone(a.vcpu)
	for i := range min(len(out.vcpu), len(base.vcpu)) {
		out.vcpu[i] -= base.vcpu[i]
	}
	out.drives = make(map[string]diskIO, len(a.drives))
	for k, d := range a.drives {
		d.add(base.drives[k], -1)
		out.drives[k] = d
	}
	out.cpu -= base.cpu
	out.rx, out.tx, out.rxp, out.txp = a.rx-base.rx, a.tx-base.tx, a.rxp-base.rxp, a.txp-base.txp
	return out
}
