package simulator

import (
	"math"
	"strconv"
)

// This file is the simulator's stand-in for the guest: what each built-in
// workload's load does to the numbers virt-handler reads from libvirt and
// the guest agent. Its figures are rough, round values for a small Fedora
// guest on a pod network (an idle guest's fraction of a vCPU, TCP's headers
// on the wire, what a virtio disk does unthrottled), in one place so they
// are easy to argue with. They are not what verify expects: verify's
// expectations come from the workloads' declared signals and the plan, and
// must hold against these numbers as against a real cluster's.

const (
	mib = 1 << 20
	gib = 1 << 30
)

// A guest with no workload: a few tenths of a percent of each vCPU and the
// hypervisor's emulator threads, systemd and journald writing to the root
// disk, some ARP and NTP, the page cache of a booted Fedora.
const (
	idleVCPU        = 0.005 // share of each vCPU
	hypervisorBase  = 0.01  // vCPUs' worth, plus hypervisorShare of the vCPUs' work
	hypervisorShare = 0.01
	idleMemory      = 230 * mib
	pageCache       = 400 * mib // shrinks when the workloads need the memory
	kernelReserved  = 0.05      // of guest memory, not in MemTotal
	qemuOverhead    = 180 * mib // the QEMU process beyond guest memory (RSS)
	rootReadIOPS    = 0.2
	rootWriteIOPS   = 1.5
	rootIOSize      = 8 << 10
	idleRx, idleTx  = 300.0, 200.0 // bytes/s
	idleFrame       = 100.0        // bytes, the idle traffic's frames
	rootFSCapacity  = 4.6 * gib    // btrfs on the containerDisk image's root partition
	rootFSUsed      = 1.7 * gib
	dataFSShare     = 0.93 // of the data disk, as used+avail (ext4 metadata and the 5% root reserve left out)
	// Reading the cloud-init disk at boot, then never again.
	cloudInitReads, cloudInitBytes = 90, 370 << 10
	// Receiving costs the server this many vCPUs per Gbit/s.
	receiveCoresPerGbit = 0.1
)

// Figures for workloads whose level param is 0 ("unlimited") and runs with
// no schedule: as fast as such a guest goes.
const (
	unlimitedIOPS = 2500 // fio random 4K at iodepth 16 on a virtio disk
	unlimitedTPS  = 700  // pgbench, 10 clients, scale 10, 2 vCPUs
	unlimitedMbps = 4000 // iperf3 TCP over the pod network, per client
	// Bytes on the wire per byte of iperf3 payload: 1514-byte frames
	// carrying 1448 (TCP with timestamps) or 1470 (UDP) bytes; the TCP
	// receiver sends a 66-byte ACK for every two frames.
	tcpWire, udpWire = 1514.0 / 1448, 1512.0 / 1470
	tcpACK           = 66.0 / (2 * 1514)
)

// load is what one workload adds to its VM per second while it runs.
type load struct {
	busyEach  float64 // share of every vCPU busy (stress-ng --cpu 0)
	busyCores float64 // vCPUs' worth of work spread over them
	memory    float64 // bytes held, not reclaimable
	// Data disk I/O per second, and bytes the workload keeps on it.
	readIOPS, writeIOPS, readBytes, writeBytes float64
	dataUsed                                   float64
	// fill is the share of the data disk's file system filled
	// (used/capacity as the guest agent reports it), 0 for none.
	fill float64
	// toServer and fromServer are a pair's client traffic, bytes/s on
	// the wire: what it sends to its server and gets back; toFrames and
	// fromFrames the same in frames (packets) a second.
	toServer, fromServer float64
	toFrames, fromFrames float64
}

// loadInput is what a workload's load depends on at one second.
type loadInput struct {
	// level is the schedule's level, or the level param's value without
	// a schedule; unlimited is set for a 0 param without a schedule.
	level     float64
	unlimited bool
	env       map[string]string
	vcpus     int
	memTotal  float64
	data      float64 // data file system capacity, bytes; 0 without one
	// active is how many seconds the level has been above 0.
	active int64
}

// workloadModel ties a built-in workload to its load.
type workloadModel struct {
	// levelEnv is the EnvironmentFile variable of the level param (a
	// test holds it to the workload's definition); empty: no level.
	levelEnv string
	// serverEnv names the variable that holds a pair client's server.
	serverEnv string
	load      func(in loadInput) load
}

// workloadModels is the table: one row per built-in workload.
func workloadModels() map[string]workloadModel {
	return map[string]workloadModel{
		"cpu": {levelEnv: "VIRTWORK_CPU_LOAD", load: func(in loadInput) load {
			return load{busyEach: in.level / 100, memory: 20 * mib}
		}},
		"memory": {levelEnv: "VIRTWORK_MEMORY_PERCENT", load: func(in loadInput) load {
			l := load{memory: in.level / 100 * in.memTotal}
			if in.env["VIRTWORK_MEMORY_MODE"] == "touch" && in.level > 0 {
				l.busyCores = 1
			}
			return l
		}},
		"disk":       {levelEnv: "VIRTWORK_DISK_IOPS", load: diskLoad},
		"database":   {levelEnv: "VIRTWORK_DB_RATE", load: databaseLoad},
		"network":    {levelEnv: "VIRTWORK_NETWORK_CLIENT_MBPS", serverEnv: "VIRTWORK_IPERF3_SERVER", load: networkLoad},
		"tps":        {levelEnv: "VIRTWORK_TPS_RATE", serverEnv: "VIRTWORK_TPS_SERVER", load: tpsLoad},
		"chaos-disk": {levelEnv: "VIRTWORK_CHAOS_ACTIVE", load: chaosDiskLoad},
		// Signals to processes and netem on egress: nothing KubeVirt counts.
		"chaos-process": {levelEnv: "VIRTWORK_CHAOS_ACTIVE", load: func(loadInput) load { return load{} }},
		"chaos-network": {levelEnv: "VIRTWORK_CHAOS_ACTIVE", load: func(loadInput) load { return load{} }},
	}
}

// diskLoad: fio's random profile at the level's IOPS split by
// read-percent, capped by mibps as virtwork-fio.sh does.
func diskLoad(in loadInput) load {
	bs := float64(max(envInt(in.env, "VIRTWORK_DISK_BLOCK_SIZE"), 512))
	iops := in.level
	if in.unlimited {
		iops = unlimitedIOPS
	}
	if mibps := float64(envInt(in.env, "VIRTWORK_DISK_MIBPS")); mibps > 0 && (iops == 0 || mibps*mib < iops*bs) {
		iops = mibps * mib / bs
	}
	reads := iops * float64(envInt(in.env, "VIRTWORK_DISK_READ_PERCENT")) / 100
	return load{
		busyCores: 0.02 + iops/25000, memory: 40 * mib,
		readIOPS: reads, writeIOPS: iops - reads, readBytes: reads * bs, writeBytes: (iops - reads) * bs,
		dataUsed: 2 * float64(envInt(in.env, "VIRTWORK_DISK_FILE_SIZE")),
	}
}

// databaseLoad: pgbench at the level's transactions a second against
// PostgreSQL on the data disk. Every commit writes WAL, and checkpoints
// write pages; the tables fit in the page cache, so reads are few.
func databaseLoad(in loadInput) load {
	tps := in.level
	if in.unlimited {
		tps = unlimitedTPS
	}
	reads, writes := 1+0.02*tps, 4+1.5*tps
	return load{
		busyCores: math.Min(tps/600, float64(in.vcpus)), memory: 150 * mib,
		readIOPS: reads, writeIOPS: writes, readBytes: reads * 8192, writeBytes: writes * 8192,
		dataUsed: float64(envInt(in.env, "VIRTWORK_DB_SCALE"))*16*mib + 64*mib,
	}
}

// networkLoad: an iperf3 client sending the level's Mbit/s (capped per
// stream by bitrate-mbps) to its server, as virtwork-iperf3-client.sh
// sets --bitrate.
func networkLoad(in loadInput) load {
	streams := float64(max(envInt(in.env, "VIRTWORK_NETWORK_PARALLEL"), 1))
	stream := float64(envInt(in.env, "VIRTWORK_NETWORK_BITRATE_MBPS"))
	if in.level > 0 && (stream == 0 || in.level/streams < stream) {
		stream = in.level / streams
	}
	mbps := stream * streams
	if mbps == 0 && in.unlimited {
		mbps = unlimitedMbps
	}
	wire, ack := tcpWire, tcpACK
	if in.env["VIRTWORK_NETWORK_PROTOCOL"] == "udp" {
		wire, ack = udpWire, 0
	}
	sent := mbps * 1e6 / 8 * wire
	return load{busyCores: 0.12 * mbps / 1000, memory: 10 * mib, toServer: sent, fromServer: sent * ack,
		toFrames: sent / 1514, fromFrames: sent * ack / 66}
}

// tpsLoad: at a rate, paced GETs of response-size bytes, each on a
// connection of its own (SYN, ACK, GET, ACK, FIN-ACK to the server; SYN-ACK,
// the response's frames, FIN, ACK back); unlimited, netperf TCP_RR's
// ~15,000 one-byte transactions a second, a frame of headers each way,
// then downloads of file-size.
func tpsLoad(in loadInput) load {
	if !in.unlimited {
		resp := float64(envInt(in.env, "VIRTWORK_TPS_RESPONSE_SIZE"))
		frames := math.Ceil(resp / 1448)
		return load{busyCores: 0.0002 * in.level, memory: 30 * mib,
			toServer: in.level * (5*66 + 120), toFrames: 5 * in.level,
			fromServer: in.level * (3*66 + 200 + resp*tcpWire), fromFrames: in.level * (3 + frames)}
	}
	rr := 15000 * 67.0
	dl := float64(envInt(in.env, "VIRTWORK_TPS_DOWNLOADS")*envInt(in.env, "VIRTWORK_TPS_FILE_SIZE")) / 35
	return load{busyCores: 0.3, memory: 30 * mib, toServer: rr + dl*tcpACK, fromServer: rr + dl*tcpWire,
		toFrames: 15000 + dl*tcpACK/66, fromFrames: 15000 + dl/1448}
}

// chaosDiskLoad: while active, fill the data disk's file system to
// fill-percent for hold seconds, release it for pause seconds, repeat.
// The guest agent's total-bytes is used+avail, so used/capacity is df's
// Use%, the figure the script fills to.
func chaosDiskLoad(in loadInput) load {
	if in.level <= 0 {
		return load{}
	}
	hold, pause := int64(envInt(in.env, "VIRTWORK_CHAOS_HOLD")), int64(envInt(in.env, "VIRTWORK_CHAOS_PAUSE"))
	if hold > 0 && in.active%(hold+pause) < hold {
		return load{fill: float64(envInt(in.env, "VIRTWORK_CHAOS_FILL_PERCENT")) / 100}
	}
	return load{}
}

// envInt reads an integer variable; 0 when it is missing or not a number
// (the guest's script would refuse to start; the model runs nothing).
func envInt(env map[string]string, name string) int {
	n, _ := strconv.Atoi(env[name])
	return n
}
