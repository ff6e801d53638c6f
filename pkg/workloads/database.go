package workloads

// Database runs PostgreSQL with its cluster on a dedicated data disk and
// drives it with pgbench. The disk is mounted at /var/lib/pgsql on every
// guest family (Fedora's home of PostgreSQL, where its SELinux policy
// expects the data); the setup script detects how the family creates a
// cluster.
type Database struct{}

// dataDiskSerial is the serial every built-in data disk carries.
const dataDiskSerial = "virtwork-data"

// Spec implements Workload.
func (Database) Spec() Spec {
	return Spec{
		Name:        "database",
		Description: "PostgreSQL on its own data disk, driven by a pgbench loop",
		Roles: []Role{{Name: "worker", Unit: "virtwork-database.service",
			// PostgreSQL's home on Fedora: the cluster goes in <mount>/data.
			DataDisk: &DataDisk{Serial: dataDiskSerial, MountPoint: "/var/lib/pgsql"}}},
		// pgbench ships in postgresql-contrib, not postgresql-server;
		// e2fsprogs brings mkfs.ext4 for the data disk.
		Packages: []string{"postgresql-server", "postgresql-contrib", "e2fsprogs"},
		Params: []ParamSpec{
			{Name: "scale", Type: Int, Min: 1, Max: 10000, Default: "10", Env: "VIRTWORK_DB_SCALE",
				Description: "pgbench scale factor (about 16 MB of data per unit)"},
			{Name: "clients", Type: Int, Min: 1, Max: 1000, Default: "10", Env: "VIRTWORK_DB_CLIENTS",
				Description: "concurrent pgbench clients"},
			{Name: "jobs", Type: Int, Min: 1, Max: 64, Default: "2", Env: "VIRTWORK_DB_JOBS",
				Description: "pgbench worker threads"},
			{Name: "duration", Type: Int, Min: 10, Max: 86400, Default: "300", Env: "VIRTWORK_DB_DURATION",
				Description: "seconds per pgbench run; runs repeat for ever"},
		},
	}
}

// CloudConfig implements Workload.
func (w Database) CloudConfig(in Instance) (CloudConfig, error) {
	s := w.Spec()
	env := append(paramEnv(s, in.Params), s.Roles[0].DataDisk.env()...)
	return assemble(s.Name, s.Packages, env, "virtwork-database.service",
		mountDataDisk,
		script("database/virtwork-database-setup.sh"),
		script("database/virtwork-pgbench.sh"),
		dropIn("postgresql.service", "database/postgresql-virtwork.conf"),
		dropIn("postgresql@.service", "database/postgresql-virtwork.conf"),
		unit("database/virtwork-database.service"))
}
