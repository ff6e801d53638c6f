package simulator

import (
	"math"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// The series a virt-handler exports for a running VMI, as KubeVirt v1.1.0
// named them and its main branch still does (checked against
// pkg/monitoring/metrics/virt-handler/domainstats in kubevirt/kubevirt):
// every series has node, namespace, name and kubernetes_vmi_label_* for
// each VMI label; vcpu series add id and state (the vCPU's state now, its
// time in all states), storage series drive (the spec's disk name),
// network series interface (the spec's interface name), filesystem series
// disk_name, mount_point and file_system_type (from the guest agent).

const (
	counter = prometheus.CounterValue
	gauge   = prometheus.GaugeValue
	// trafficHelp is shared by both name sets: one family, one help.
	trafficHelp = "Bytes received (type rx) and sent (type tx)."
)

// currentNames emits g's series under today's names.
func (e *emitter) currentNames(g *guest, v values) {
	e.add("kubevirt_vmi_cpu_usage_seconds_total", "CPU time of the domain, vCPUs and hypervisor.", counter, v.acc.cpu)
	for i, busy := range v.acc.vcpu {
		e.add("kubevirt_vmi_vcpu_seconds_total", "CPU time of each vCPU.", counter, busy, "id", strconv.Itoa(i), "state", "running")
	}
	e.add("kubevirt_vmi_memory_available_bytes", "Memory the guest sees (MemTotal).", gauge, v.memAvailable)
	e.add("kubevirt_vmi_memory_usable_bytes", "Memory the guest could free without swapping (MemAvailable).", gauge, v.memUsable)
	e.add("kubevirt_vmi_memory_unused_bytes", "Memory the guest leaves unused (MemFree).", gauge, v.memUnused)
	e.add("kubevirt_vmi_memory_cached_bytes", "Memory the guest uses as cache.", gauge, v.memCached)
	e.add("kubevirt_vmi_memory_domain_bytes", "Memory of the domain.", gauge, g.memory)
	e.add("kubevirt_vmi_memory_resident_bytes", "Resident memory of the QEMU process.", gauge, v.memResident)
	for _, d := range g.disks {
		t := g.driveTotals(v, d)
		e.add("kubevirt_vmi_storage_iops_read_total", "Read requests.", counter, t.reads, "drive", d)
		e.add("kubevirt_vmi_storage_iops_write_total", "Write requests.", counter, t.writes, "drive", d)
		e.add("kubevirt_vmi_storage_read_traffic_bytes_total", "Bytes read.", counter, t.readBytes, "drive", d)
		e.add("kubevirt_vmi_storage_write_traffic_bytes_total", "Bytes written.", counter, t.writeBytes, "drive", d)
	}
	for i, iface := range g.interfaces {
		rx, tx := v.acc.rx, v.acc.tx
		if i > 0 {
			rx, tx = 0, 0
		}
		rxp, txp := v.acc.rxp, v.acc.txp
		if i > 0 {
			rxp, txp = 0, 0
		}
		e.add("kubevirt_vmi_network_receive_bytes_total", "Bytes received.", counter, rx, "interface", iface)
		e.add("kubevirt_vmi_network_transmit_bytes_total", "Bytes sent.", counter, tx, "interface", iface)
		e.add("kubevirt_vmi_network_receive_packets_total", "Frames received.", counter, rxp, "interface", iface)
		e.add("kubevirt_vmi_network_transmit_packets_total", "Frames sent.", counter, txp, "interface", iface)
		// Deprecated since v0.41.0 and still exported.
		e.add("kubevirt_vmi_network_traffic_bytes_total", trafficHelp, counter, rx, "interface", iface, "type", "rx")
		e.add("kubevirt_vmi_network_traffic_bytes_total", trafficHelp, counter, tx, "interface", iface, "type", "tx")
	}
	for _, fs := range g.filesystems(v) {
		e.add("kubevirt_vmi_filesystem_capacity_bytes", "File system size as the guest agent reports it (used+avail).", gauge, fs.capacity, fs.labels()...)
		e.add("kubevirt_vmi_filesystem_used_bytes", "File system bytes used.", gauge, fs.used, fs.labels()...)
	}
}

// oldNames emits g's series as KubeVirt v0.40.0's virt-handler named them
// (pkg/monitoring/vms/prometheus/prometheus.go at tag v0.40.0): no
// kubevirt_vmi_cpu_usage_seconds* (added in v0.59 without _total, renamed
// in v1.1.0); kubevirt_vmi_vcpu_seconds without _total, in whole seconds;
// no usable or domain memory (usable came in v0.41.0, and the domain's
// size as kubevirt_vmi_memory_used_total_bytes in v0.41.0-v0.49, a name
// that never meant used memory); storage and network as one counter each
// with type read/write and rx/tx (split into _read_total, _write_total,
// receive_ and transmit_ in v0.41.0); no filesystem series (v0.56.0).
func (e *emitter) oldNames(g *guest, v values) {
	for i, busy := range v.acc.vcpu {
		e.add("kubevirt_vmi_vcpu_seconds", "Vcpu elapsed time.", counter, math.Floor(busy), "id", strconv.Itoa(i), "state", "running")
	}
	e.add("kubevirt_vmi_memory_available_bytes", "Memory the guest sees (MemTotal).", gauge, v.memAvailable)
	e.add("kubevirt_vmi_memory_unused_bytes", "Memory the guest leaves unused (MemFree).", gauge, v.memUnused)
	e.add("kubevirt_vmi_memory_resident_bytes", "Resident memory of the QEMU process.", gauge, v.memResident)
	for _, d := range g.disks {
		t := g.driveTotals(v, d)
		e.add("kubevirt_vmi_storage_iops_total", "I/O requests.", counter, t.reads, "drive", d, "type", "read")
		e.add("kubevirt_vmi_storage_iops_total", "I/O requests.", counter, t.writes, "drive", d, "type", "write")
		e.add("kubevirt_vmi_storage_traffic_bytes_total", "I/O bytes.", counter, t.readBytes, "drive", d, "type", "read")
		e.add("kubevirt_vmi_storage_traffic_bytes_total", "I/O bytes.", counter, t.writeBytes, "drive", d, "type", "write")
	}
	for i, iface := range g.interfaces {
		rx, tx := v.acc.rx, v.acc.tx
		if i > 0 {
			rx, tx = 0, 0
		}
		e.add("kubevirt_vmi_network_traffic_bytes_total", trafficHelp, counter, rx, "interface", iface, "type", "rx")
		e.add("kubevirt_vmi_network_traffic_bytes_total", trafficHelp, counter, tx, "interface", iface, "type", "tx")
	}
}

// driveTotals is drive d's counters: the workloads' and the root disk's
// from the samples, cloud-init's reads from boot.
func (g *guest) driveTotals(v values, d string) diskIO {
	t := v.acc.drives[d]
	if d == g.cloudInit {
		t.reads, t.readBytes = cloudInitReads, cloudInitBytes
	}
	return t
}

// filesystem is one file system the guest agent reports.
type filesystem struct {
	disk, mount, fsType string
	capacity, used      float64
}

func (f filesystem) labels() []string {
	return []string{"disk_name", f.disk, "mount_point", f.mount, "file_system_type", f.fsType}
}

// filesystems are the root file system (btrfs on the image's fifth
// partition, as Fedora Cloud lays it out) and the data disk's ext4, made
// on the whole disk by virtwork-mount-data-disk.
func (g *guest) filesystems(v values) []filesystem {
	out := []filesystem{{disk: "vda5", mount: "/", fsType: "btrfs", capacity: rootFSCapacity, used: rootFSUsed}}
	if g.data == nil || g.data.mount == "" {
		return out
	}
	for i, d := range g.disks {
		if d == g.data.drive {
			out = append(out, filesystem{disk: guestDevice(i), mount: g.data.mount, fsType: "ext4",
				capacity: g.data.size * dataFSShare, used: v.dataUsed})
		}
	}
	return out
}
