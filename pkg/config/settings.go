package config

import (
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// rows is every setting a user can give, in documentation order. Flags,
// the environment and config file readers, --help, docs/cli and the README's
// settings table all come from it; CONTRIBUTING.md says how to add a row.
// A row whose config/workload func is nil is placed by the resolver step its
// meta.step names (TestRows checks that one of the two is there). The table
// is never modified.
var rows = []row{
	workloadsRow,
	&setting[int]{
		meta: meta{flag: "vm-count", typ: "int", groups: runFlags, env: "VIRTWORK_VM_COUNT", file: "vm_count", perWorkload: true,
			doc: "instances per workload (1-10000); a server/client workload makes one pair per instance"},
		def: DefaultVMCount, parse: one(intIn(MinVMCount, MaxVMCount)),
		workload: func(w *Workload) *int { return &w.VMCount },
	},
	cpuCoresRow,
	memoryRow,
	instancetypeRow,
	preferenceRow,
	diskSizeRow,
	&setting[string]{
		meta: meta{flag: "storage-class", typ: "string", groups: runFlags, env: "VIRTWORK_STORAGE_CLASS", file: "storage_class", perWorkload: true,
			doc: "StorageClass for data disks and a cloned or imported root disk", defDoc: "the cluster's default class"},
		parse:    one(parseStorageClass),
		workload: func(w *Workload) *string { return &w.StorageClass },
	},
	imageRow,
	bootSourceRow,
	rootDiskSizeRow,
	guestRow,
	preinstalledRow,
	nodeSelectorRow,
	tolerateRow,
	spreadRow,
	vmsPerNodeRow,
	evictionStrategyRow,
	namespaceRow,
	namespacesRow,
	namespacePrefixRow,
	paramsRow,
	profileRow,
	startAtRow,
	durationRow,
	workloadDirsRow,
	&setting[string]{
		meta: meta{flag: "ssh-user", typ: "string", groups: runFlags, env: "VIRTWORK_SSH_USER", file: "ssh.user",
			doc: "create this user in every VM, with the keys and password below"},
		parse:  one(parseUser),
		config: func(c *Config, v string) { c.SSH.User = v },
	},
	&setting[[]string]{
		meta: meta{flag: "ssh-key", typ: "stringArray", groups: runFlags, env: "VIRTWORK_SSH_KEY", envSep: "\n", file: "ssh.authorized_keys",
			doc: "public key to authorize (repeatable; newline-separated in the variable)"},
		parse:  each(parseAuthorizedKeys),
		config: func(c *Config, v []string) { c.SSH.AuthorizedKeys = append(c.SSH.AuthorizedKeys, v...) },
	},
	sshKeyFilesRow,
	sshPasswordRow,
	sshPasswordFileRow,
	runIDRow,
	timeoutRow,
	thresholdRow,
	configRow,
}

// The rows below are named because a step of the resolver, or a command
// that reads only some settings, refers to them.

// workloadsRow: selection checks the names against the registry and
// expands "all".
var workloadsRow = &setting[[]string]{
	meta: meta{flag: "workloads", typ: "strings", groups: runFlags, env: "VIRTWORK_WORKLOADS", fileDoc: "workloads.<name>.enabled", step: "selection",
		doc: "workloads to run, comma-separated; `all` means every built-in one except the chaos ones", defDoc: "all, minus those the config file disables"},
	parse: each(func(v, _ string) ([]string, error) { return []string{strings.TrimSpace(v)}, nil }),
}

// cpuCoresRow and memoryRow: workload (selection.go) leaves them to an
// instance type, and refuses them beside one.
var cpuCoresRow = &setting[int]{
	meta: meta{flag: "cpu-cores", typ: "int", groups: runFlags, env: "VIRTWORK_CPU_CORES", file: "cpu_cores", perWorkload: true, step: "workload",
		doc: "vCPUs per VM (1-128); not with `--instancetype`"},
	def: DefaultCPUCores, parse: one(intIn(MinCPUCores, MaxCPUCores)),
	workload: func(w *Workload) *int { return &w.CPUCores },
}

var memoryRow = &setting[resource.Quantity]{
	meta: meta{flag: "memory", typ: "quantity", groups: runFlags, env: "VIRTWORK_MEMORY", file: "memory", perWorkload: true, step: "workload",
		doc: "guest memory per VM, a Kubernetes quantity (256Mi-1Ti); not with `--instancetype`"},
	def: resource.MustParse(DefaultMemory), parse: one(quantityIn(MinMemory, MaxMemory)),
	workload: func(w *Workload) *resource.Quantity { return &w.Memory },
}

// diskSizeRow: a custom workload's declared data disk size beats the
// default (workload, in selection.go).
var diskSizeRow = &setting[resource.Quantity]{
	meta: meta{flag: "disk-size", typ: "quantity", groups: runFlags, env: "VIRTWORK_DISK_SIZE", file: "disk_size", perWorkload: true, step: "workload",
		doc: "data disk size for workloads that have one (1Gi-64Ti)"},
	def: resource.MustParse(DefaultDiskSize), parse: one(quantityIn(MinDiskSize, MaxDiskSize)),
	workload: func(w *Workload) *resource.Quantity { return &w.DiskSize },
}

// imageRow: without it, --guest picks the image (resolveGuest, guest.go).
var imageRow = &setting[string]{
	meta: meta{flag: "image", alias: "container-disk-image", typ: "string", groups: runFlags, env: "VIRTWORK_IMAGE", file: "image", step: "resolveGuest",
		doc: "containerDisk image of every VM (`--container-disk-image` is accepted too)"},
	def: DefaultImage, parse: one(parseImage),
	config: func(c *Config, v string) { c.Image = v },
}

// bootSourceRow: resolveGuest takes it, or --image as its short form, and
// infers the guest family from it.
var bootSourceRow = &setting[BootSource]{
	meta: meta{flag: "boot-source", typ: "string", groups: runFlags, env: "VIRTWORK_BOOT_SOURCE", file: "boot_source", step: "resolveGuest",
		doc:    "root disk of every VM: `containerdisk:IMAGE`, `datasource:NAMESPACE/NAME` or `pvc:NAMESPACE/NAME` (cloned per VM by CDI), `registry:IMAGE` or `http:URL` (imported per VM); not with `--image`",
		defDoc: "`containerdisk:` and the image of `--image`"},
	parse: one(parseBootSource),
}

// rootDiskSizeRow: workload (selection.go) refuses it for a containerDisk,
// which has no size to set, and leaves it zero there.
var rootDiskSizeRow = &setting[resource.Quantity]{
	meta: meta{flag: "root-disk-size", typ: "quantity", groups: runFlags, env: "VIRTWORK_ROOT_DISK_SIZE", file: "root_disk_size", perWorkload: true, step: "workload",
		doc: "size of a cloned or imported root disk (`--boot-source` other than containerdisk), at least the source image's size (2Gi-64Ti)"},
	def: resource.MustParse(DefaultRootDiskSize), parse: one(quantityIn(MinRootDiskSize, MaxDiskSize)),
	workload: func(w *Workload) *resource.Quantity { return &w.RootDiskSize },
}

// guestRow: resolveGuest infers the family from the image when it is not
// given.
var guestRow = &setting[workloads.Guest]{
	meta: meta{flag: "guest", typ: "string", groups: runFlags, env: "VIRTWORK_GUEST", file: "guest", step: "resolveGuest",
		doc:    "OS family of the image: `fedora`, `centos-stream`, `ubuntu`, `debian` or `rhel`; it decides package names",
		defDoc: "from a well-known `--image` repository or DataSource name, else `fedora`"},
	parse: one(parseGuest),
}

// preinstalledRow: the root disk carries every package (a golden image),
// so the user-data installs none; per workload, for an image that carries
// some workloads' packages only.
var preinstalledRow = &setting[bool]{
	meta: meta{flag: "preinstalled", typ: "bool", groups: runFlags, env: "VIRTWORK_PREINSTALLED", file: "preinstalled", perWorkload: true,
		doc:    "the root disk already has the workload's packages (a golden image, see docs/golden-image.md): the user-data installs none and asks no package mirror",
		defDoc: "false"},
	parse:    one(parseBool),
	workload: func(w *Workload) *bool { return &w.Preinstalled },
}

var namespaceRow = &setting[string]{
	meta: meta{flag: "namespace", short: "n", kubectl: true, env: "VIRTWORK_NAMESPACE", file: "namespace",
		doc: "namespace of the run (`-n`; the kubeconfig context's namespace is not used)"},
	def: DefaultNamespace, parse: one(parseNamespace),
	config: func(c *Config, v string) { c.Namespace = v },
}

// paramsRow: params (selection.go) checks each against its workload's
// schema and merges them per key with the file's workloads.<name>.params.
var paramsRow = &setting[[]param]{
	meta: meta{flag: "params", typ: "strings", groups: runFlags, env: "VIRTWORK_PARAMS", fileDoc: "workloads.<name>.params", step: "params",
		doc: "workload params as `WORKLOAD.PARAM=VALUE`, comma-separated; in the file, `workloads.<name>.params`"},
	parse: each(parseParam),
}

// workloadDirsRow: withWorkloadDirs (load.go) reads the directories before
// anything else is parsed, as the file may name their workloads.
var workloadDirsRow = &setting[[]string]{
	meta: meta{flag: "workload-dir", typ: "stringArray", groups: runFlags | registryFlags, env: "VIRTWORK_WORKLOAD_DIR", file: "workload_dirs", step: "withWorkloadDirs",
		doc: "directory of custom workloads, each in a subdirectory with a `workload.yaml` (repeatable; comma-separated in the variable; relative to the config file in it)"},
	parse: asIs,
}

// sshKeyFilesRow, sshPasswordRow, sshPasswordFileRow: ssh (ssh.go) reads
// the files and hashes the password.
var sshKeyFilesRow = &setting[[]string]{
	meta: meta{flag: "ssh-key-file", typ: "strings", groups: runFlags, env: "VIRTWORK_SSH_KEY_FILE", file: "ssh.authorized_key_files", step: "ssh",
		doc: "file of public keys to authorize (repeatable; comma-separated in the variable)"},
	parse: asIs,
}

var sshPasswordRow = &setting[string]{
	meta: meta{env: "VIRTWORK_SSH_PASSWORD", step: "ssh",
		doc: "password for `--ssh-user`; stored only as a SHA-512 crypt hash"},
	parse: one(parsePassword),
}

var sshPasswordFileRow = &setting[string]{
	meta: meta{flag: "ssh-password-file", typ: "string", groups: runFlags, env: "VIRTWORK_SSH_PASSWORD_FILE", file: "ssh.password_file", step: "ssh",
		doc: "file whose first line is the password for `--ssh-user`"},
	parse: one(text),
}

// runIDRow: resolve (load.go) makes a new id when none is given.
var runIDRow = &setting[string]{
	meta: meta{flag: "run-id", typ: "uuid", groups: runFlags | runRefFlags, env: "VIRTWORK_RUN_ID", file: "run_id", step: "resolve",
		doc: "run id, a UUID; the same id and inputs render the same bytes", defDoc: "a new random one"},
	parse:  one(parseRunID),
	config: func(c *Config, v string) { c.RunID = v },
}

var timeoutRow = &setting[time.Duration]{
	meta: meta{flag: "timeout", typ: "duration", groups: waitFlags, env: "VIRTWORK_TIMEOUT", file: "readiness_timeout",
		doc: "how long to wait for VMs to become ready (10s-24h)"},
	def: DefaultTimeout, parse: one(parseTimeout),
	config: func(c *Config, v time.Duration) { c.Timeout = v },
}

// configRow: newResolver (load.go) reads the file it names.
var configRow = &setting[string]{
	meta: meta{flag: "config", typ: "file", groups: runFlags | registryFlags, env: "VIRTWORK_CONFIG", step: "newResolver",
		doc: "YAML config file"},
	parse: one(parseConfigPath),
}
