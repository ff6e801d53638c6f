package config

// key names one setting.
type key int

const (
	kWorkloads key = iota
	kVMCount
	kCPUCores
	kMemory
	kDiskSize
	kStorageClass
	kImage
	kNamespace
	kParams
	kSSHUser
	kSSHKey
	kSSHKeyFile
	kSSHPassword
	kSSHPasswordFile
	kRunID
	kTimeout
	kConfig
	kWorkloadDir
	kGuest
)

// Setting documents one setting and where each source spells it.
type Setting struct {
	key key
	// Flag is the command-line flag ("" when there is none).
	Flag string
	// Env is the environment variable.
	Env string
	// File is the key in the config file ("" when there is none); keys
	// under ssh are written ssh.<key>.
	File string
	// PerWorkload reports whether workloads.<name>.<File> overrides it.
	PerWorkload bool
	// List reports whether the setting takes several values: a repeatable
	// flag, a comma-separated variable (newline-separated for
	// VIRTWORK_SSH_KEY), a YAML list.
	List bool
	Doc  string
}

// Settings lists every setting a user can give, in documentation order.
// The README's configuration reference is checked against it.
func Settings() []Setting {
	return []Setting{
		{key: kWorkloads, Flag: "workloads", Env: "VIRTWORK_WORKLOADS", List: true,
			Doc: "workloads to run, comma-separated; `all` means every built-in one (default: all, minus those the config file disables)"},
		{key: kVMCount, Flag: "vm-count", Env: "VIRTWORK_VM_COUNT", File: "vm_count", PerWorkload: true,
			Doc: "instances per workload (1-2000); a server/client workload makes one pair per instance"},
		{key: kCPUCores, Flag: "cpu-cores", Env: "VIRTWORK_CPU_CORES", File: "cpu_cores", PerWorkload: true,
			Doc: "vCPUs per VM (1-128)"},
		{key: kMemory, Flag: "memory", Env: "VIRTWORK_MEMORY", File: "memory", PerWorkload: true,
			Doc: "guest memory per VM, a Kubernetes quantity (256Mi-1Ti)"},
		{key: kDiskSize, Flag: "disk-size", Env: "VIRTWORK_DISK_SIZE", File: "disk_size", PerWorkload: true,
			Doc: "data disk size for workloads that have one (1Gi-64Ti)"},
		{key: kStorageClass, Flag: "storage-class", Env: "VIRTWORK_STORAGE_CLASS", File: "storage_class", PerWorkload: true,
			Doc: "StorageClass for data disks (default: the cluster's default class)"},
		{key: kImage, Flag: "image", Env: "VIRTWORK_IMAGE", File: "image",
			Doc: "containerDisk image of every VM (--container-disk-image is accepted too)"},
		{key: kGuest, Flag: "guest", Env: "VIRTWORK_GUEST", File: "guest",
			Doc: "OS family of the image: fedora, centos-stream, ubuntu or debian; it decides package names (default: from a well-known --image repository, else fedora)"},
		{key: kNamespace, Flag: "namespace", Env: "VIRTWORK_NAMESPACE", File: "namespace",
			Doc: "namespace of the run (-n; the kubeconfig context's namespace is not used)"},
		{key: kParams, Flag: "params", Env: "VIRTWORK_PARAMS", List: true,
			Doc: "workload params as WORKLOAD.PARAM=VALUE, comma-separated; in the file, workloads.<name>.params"},
		{key: kWorkloadDir, Flag: "workload-dir", Env: "VIRTWORK_WORKLOAD_DIR", File: "workload_dirs", List: true,
			Doc: "directory of custom workloads, each in a subdirectory with a workload.yaml (repeatable; comma-separated in the variable; relative to the config file in it)"},
		{key: kSSHUser, Flag: "ssh-user", Env: "VIRTWORK_SSH_USER", File: "ssh.user",
			Doc: "create this user in every VM, with the keys and password below"},
		{key: kSSHKey, Flag: "ssh-key", Env: "VIRTWORK_SSH_KEY", File: "ssh.authorized_keys", List: true,
			Doc: "public key to authorize (repeatable; newline-separated in the variable)"},
		{key: kSSHKeyFile, Flag: "ssh-key-file", Env: "VIRTWORK_SSH_KEY_FILE", File: "ssh.authorized_key_files", List: true,
			Doc: "file of public keys to authorize (repeatable; comma-separated in the variable)"},
		{key: kSSHPassword, Env: "VIRTWORK_SSH_PASSWORD",
			Doc: "password for --ssh-user; stored only as a SHA-512 crypt hash"},
		{key: kSSHPasswordFile, Flag: "ssh-password-file", Env: "VIRTWORK_SSH_PASSWORD_FILE", File: "ssh.password_file",
			Doc: "file whose first line is the password for --ssh-user"},
		{key: kRunID, Flag: "run-id", Env: "VIRTWORK_RUN_ID", File: "run_id",
			Doc: "run id, a UUID (default: a new random one); the same id and inputs render the same bytes"},
		{key: kTimeout, Flag: "timeout", Env: "VIRTWORK_TIMEOUT", File: "readiness_timeout",
			Doc: "how long to wait for VMs to become ready (10s-24h)"},
		{key: kConfig, Flag: "config", Env: "VIRTWORK_CONFIG",
			Doc: "YAML config file"},
	}
}

func settingFor(k key) Setting {
	for _, s := range Settings() {
		if s.key == k {
			return s
		}
	}
	panic("config: no setting for key")
}
