package workloads

// ChaosDisk fills a dedicated data disk to a set percentage, holds it full,
// releases it and repeats: the guest's disk-full paths under test, without
// ever risking its root disk.
type ChaosDisk struct{}

// Spec implements Workload.
func (ChaosDisk) Spec() Spec {
	return Spec{
		Name:        "chaos-disk",
		Description: "fills a dedicated data disk to a percentage, holds, releases, repeats",
		Roles: []Role{{Name: "worker", Unit: "virtwork-chaos-disk.service",
			DataDisk: &DataDisk{Serial: dataDiskSerial, MountPoint: "/var/lib/virtwork/chaos-disk"}}},
		// e2fsprogs brings mkfs.ext4 for the data disk; fallocate,
		// mountpoint and df are in every Fedora image.
		Packages: []string{"e2fsprogs"},
		Chaos:    true,
		Params: []ParamSpec{
			{Name: "fill-percent", Type: Int, Min: 1, Max: 100, Default: "95", Env: "VIRTWORK_CHAOS_FILL_PERCENT",
				Description: "how full to make the data disk's file system, in percent (as df's Use%)"},
			{Name: "hold", Type: Int, Min: 1, Max: 86400, Default: "300", Env: "VIRTWORK_CHAOS_HOLD",
				Description: "seconds the disk stays full before it is released"},
			{Name: "pause", Type: Int, Min: 0, Max: 86400, Default: "60", Env: "VIRTWORK_CHAOS_PAUSE",
				Description: "seconds between a release and the next fill"},
		},
	}
}

// CloudConfig implements Workload.
func (w ChaosDisk) CloudConfig(in Instance) (CloudConfig, error) {
	s := w.Spec()
	env := append(paramEnv(s, in.Params), s.Roles[0].DataDisk.env()...)
	return assemble(s.Name, s.Packages, env, "virtwork-chaos-disk.service",
		mountDataDisk,
		script("chaos-disk/virtwork-chaos-disk.sh"),
		unit("chaos-disk/virtwork-chaos-disk.service"))
}
