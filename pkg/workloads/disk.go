package workloads

import "fmt"

// Disk runs fio profiles on a dedicated data disk.
type Disk struct{}

// Spec implements Workload.
func (Disk) Spec() Spec {
	return Spec{
		Name:        "disk",
		Description: "fio mixed random read/write and sequential write on a dedicated data disk",
		Roles: []Role{{Name: "worker", Unit: "virtwork-disk.service",
			DataDisk: &DataDisk{Serial: dataDiskSerial, MountPoint: "/var/lib/virtwork/disk"}}},
		Packages: []string{"fio", "e2fsprogs"},
		Params: []ParamSpec{
			{Name: "runtime", Type: Int, Min: 10, Max: 86400, Default: "300", Env: "VIRTWORK_DISK_RUNTIME",
				Description: "seconds each fio profile runs; the pair repeats for ever"},
			{Name: "block-size", Type: Size, Min: 512, Max: 16 << 20, Default: "4K", Env: "VIRTWORK_DISK_BLOCK_SIZE",
				Description: "block size of the random read/write profile"},
			{Name: "read-percent", Type: Int, Min: 0, Max: 100, Default: "70", Env: "VIRTWORK_DISK_READ_PERCENT",
				Description: "share of reads in the random profile, in percent"},
			{Name: "iodepth", Type: Int, Min: 1, Max: 1024, Default: "16", Env: "VIRTWORK_DISK_IODEPTH",
				Description: "I/O queue depth"},
			{Name: "file-size", Type: Size, Min: 1 << 20, Max: 1 << 40, Default: "1G", Env: "VIRTWORK_DISK_FILE_SIZE",
				Description: "size of each profile's test file (two files share the data disk)"},
		},
	}
}

// CheckDisk reports whether the profiles' files fit on a data disk of
// diskBytes, leaving room for the file system.
func (Disk) CheckDisk(v Values, diskBytes int64) error {
	need := 2 * v.Int("file-size")
	if need > diskBytes*9/10 {
		return fmt.Errorf("two fio files of %s need %s, more than 90%% of the %s data disk; lower disk.file-size or raise the disk size",
			FormatSize(v.Int("file-size")), FormatSize(need), FormatSize(diskBytes))
	}
	return nil
}

// CloudConfig implements Workload.
func (w Disk) CloudConfig(in Instance) (CloudConfig, error) {
	s := w.Spec()
	env := append(paramEnv(s, in.Params), s.Roles[0].DataDisk.env()...)
	return assemble(s.Name, s.Packages, env, "virtwork-disk.service",
		mountDataDisk,
		script("disk/virtwork-fio.sh"),
		data("disk/virtwork-disk.fio", "/etc/virtwork/fio"),
		unit("disk/virtwork-disk.service"))
}

// DiskChecker is implemented by workloads whose params must fit the data
// disk they are given.
type DiskChecker interface {
	CheckDisk(v Values, diskBytes int64) error
}
