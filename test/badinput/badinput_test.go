// Package badinput holds the table of bad inputs: every one must be
// refused before anything reaches the cluster.
package badinput

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/cmd"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/faultproxy"
)

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

const privateKey = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
-----END OPENSSH PRIVATE KEY-----
`

// customWorkload is a valid custom workload directory's files; cases
// break one thing in a copy.
var customWorkload = map[string]string{
	"workload.yaml": "name: echo\nroles:\n- name: worker\n  unit: virtwork-echo.service\n" +
		"params:\n- {name: word, type: string, default: hello}\n- {name: times, type: int, default: \"3\", min: 1, max: 10}\n",
	"virtwork-echo.service": "[Service]\nExecStart=/usr/bin/echo {{ word }} {{ times }}\n",
}

func customDir(change func(files map[string]string)) map[string]string {
	files := map[string]string{}
	for k, v := range customWorkload {
		files["wl/echo/"+k] = v
	}
	if change != nil {
		change(files)
	}
	return files
}

type badInput struct {
	name string
	// args follow the command; "apply" when cmd is empty.
	cmd   string
	args  []string
	env   map[string]string
	files map[string]string // relative to the case's directory
	// want is part of the one stderr line: it names the source and the fix.
	want string
}

func cases() []badInput {
	cfg := func(name, yaml, want string) badInput {
		return badInput{name: name, args: []string{"--config", "c.yaml"}, files: map[string]string{"c.yaml": yaml}, want: want}
	}
	custom := func(name string, change func(map[string]string), want string, extra ...string) badInput {
		return badInput{name: name, args: append([]string{"--workload-dir", "wl", "--workloads", "echo"}, extra...), files: customDir(change), want: want}
	}
	// customCfg is a config file that adds the custom workload's directory
	// (its first line) and selects only that workload.
	customCfg := func(name, yaml, want string) badInput {
		files := customDir(nil)
		files["c.yaml"] = "workload_dirs: [wl]\n" + yaml
		return badInput{name: name, args: []string{"--config", "c.yaml", "--workloads", "echo"}, files: files, want: want}
	}
	kc := func(name, kubeconfig, want string, extra ...string) badInput {
		return badInput{name: name, args: append([]string{"--kubeconfig", "kc.yaml"}, extra...), files: map[string]string{"kc.yaml": kubeconfig}, want: want}
	}
	const goodKC = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"http://127.0.0.1:1\"}\n" +
		"contexts:\n- name: a\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {}\n"
	return []badInput{
		// Flags.
		{name: "unknown workload", args: []string{"--workloads", "cpux"}, want: `--workloads: unknown workload "cpux" (did you mean "cpu"?)`},
		{name: "empty workload entry", args: []string{"--workloads", "cpu,,memory"}, want: "--workloads has an empty entry"},
		{name: "workload twice", args: []string{"--workloads", "cpu,cpu"}, want: `--workloads lists "cpu" twice`},
		{name: "vm count zero", args: []string{"--vm-count", "0"}, want: "--vm-count must be between 1 and 10000, got 0"},
		{name: "vm count too high", args: []string{"--vm-count", "10001"}, want: "--vm-count must be between 1 and 10000, got 10001"},
		{name: "vm count text", args: []string{"--vm-count", "three"}, want: "--vm-count must be an integer"},
		{name: "cpu cores zero", args: []string{"--cpu-cores", "0"}, want: "--cpu-cores must be between 1 and 128"},
		{name: "cpu cores too high", args: []string{"--cpu-cores", "129"}, want: "--cpu-cores must be between 1 and 128"},
		{name: "memory too small", args: []string{"--memory", "1Mi"}, want: "--memory must be between 256Mi and 1Ti"},
		{name: "memory not a quantity", args: []string{"--memory", "lots"}, want: "--memory must be a quantity"},
		{name: "disk too small", args: []string{"--disk-size", "10Mi"}, want: "--disk-size must be between 1Gi and 64Ti"},
		{name: "storage class", args: []string{"--storage-class", "Fast_SSD"}, want: "--storage-class"},
		{name: "image", args: []string{"--image", "not an image!"}, want: "--image"},
		{name: "namespace", args: []string{"-n", "NOPE"}, want: "--namespace must be a valid namespace name"},
		{name: "run id", args: []string{"--run-id", "run-1"}, want: "--run-id must be a UUID"},
		// Tenants (--namespaces, --namespace-prefix).
		{name: "namespaces zero", args: []string{"--namespaces", "0"}, want: "--namespaces must be between 1 and 1000, got 0"},
		{name: "namespaces too many", args: []string{"--namespaces", "1001"}, want: "--namespaces must be between 1 and 1000, got 1001"},
		{name: "namespaces above the instances", args: []string{"--namespaces", "3", "--workloads", "network", "--vm-count", "2"},
			want: "--namespaces 3 is more than the run's 2 instances (a server/client pair counts once), which would leave namespaces empty; lower it or raise --vm-count"},
		{name: "namespace prefix without namespaces", args: []string{"--namespace-prefix", "tenant"},
			want: "--namespace-prefix names the namespaces of --namespaces above 1; give --namespaces N, or name the one namespace with -n"},
		{name: "namespace prefix invalid", args: []string{"--namespaces", "2", "--namespace-prefix", "Tenant_A"}, want: "--namespace-prefix must be a valid namespace name"},
		{name: "namespace prefix too long", args: []string{"--namespaces", "10", "--vm-count", "10", "--workloads", "cpu", "--namespace-prefix", strings.Repeat("t", 62)},
			want: "is too long for 10 namespaces: \"" + strings.Repeat("t", 62) + "-9\" is over 63 characters; use a prefix of at most 61"},
		{name: "env namespaces", env: map[string]string{"VIRTWORK_NAMESPACES": "many"}, want: "VIRTWORK_NAMESPACES must be an integer"},
		cfg("config namespaces", "namespaces: 0\n", "namespaces must be between 1 and 1000"),
		{name: "monitoring of a spread run", cmd: "monitoring", args: []string{"--namespaces", "2", "--workloads", "cpu", "--vm-count", "2"},
			want: "--namespaces: monitoring writes the rules of a run in one namespace; leave --namespaces at 1"},
		{name: "timeout too short", args: []string{"--timeout", "1s"}, want: "--timeout must be between 10s and 24h"},
		{name: "timeout not a duration", args: []string{"--timeout", "forever"}, want: "--timeout must be a duration"},
		{name: "threshold unknown quantile", args: []string{"--threshold", "running:p90=3m"}, want: `--threshold: "running:p90=3m" names an unknown quantile "p90"`},
		{name: "threshold second of a list", args: []string{"--threshold", "running:p95=3m,booted:p99=8m"}, want: `--threshold: "booted:p99=8m" names an unknown phase "booted"`},
		{name: "threshold repeated, bad limit", args: []string{"--threshold", "running:p95=3m", "--threshold", "ready:p99=8"}, want: `--threshold: "ready:p99=8" has "8" for a limit`},
		{name: "threshold variable", env: map[string]string{"VIRTWORK_THRESHOLD": "ready=8m"}, want: `VIRTWORK_THRESHOLD: "ready=8m" has no PHASE:`},
		{name: "threshold on ready, waiting for running", args: []string{"--threshold", "ready:p99=8m", "--for", "running"}, want: "--threshold ready:p99=8m0s needs --for=ready"},
		{name: "threshold without a wait", args: []string{"--threshold", "running:p95=3m", "--no-wait"}, want: "--threshold judges the wait: not with --no-wait"},
		cfg("config threshold", "thresholds: [running:p95]\n", `c.yaml:1: thresholds: "running:p95" has no =DURATION`),
		{name: "concurrency zero", args: []string{"--concurrency", "0"}, want: "--concurrency must be between 1 and 256"},
		{name: "dry run", args: []string{"--dry-run=maybe"}, want: `--dry-run must be "none", "client" or "server", got "maybe"`},
		{name: "output", args: []string{"-o", "xml"}, want: `--output must be json`},
		{name: "ssh key", args: []string{"--ssh-key", "not a key"}, want: "--ssh-key"},
		{name: "ssh key file missing", args: []string{"--ssh-key-file", "nope.pub"}, want: "--ssh-key-file: cannot read SSH key file"},
		{name: "ssh private key", args: []string{"--ssh-key-file", "id"}, files: map[string]string{"id": privateKey}, want: "private key"},
		{name: "password without user", args: []string{"--ssh-password-file", "pw"}, files: map[string]string{"pw": "hunter2\n"}, want: "--ssh-password-file needs --ssh-user"},
		{name: "password file missing", args: []string{"--ssh-user", "ops", "--ssh-password-file", "nope"}, want: "--ssh-password-file"},
		{name: "ssh user", args: []string{"--ssh-user", "root;reboot"}, want: "--ssh-user"},
		{name: "unknown flag", args: []string{"--vm-cnt", "2"}, want: "unknown flag: --vm-cnt"},
		{name: "extra argument", args: []string{"cpu"}, want: `takes no arguments, got "cpu"`},
		{name: "guest unknown", args: []string{"--guest", "debain"}, want: `--guest must be one of fedora, centos-stream, ubuntu, debian, rhel, got "debain" (did you mean "debian"?)`},
		{name: "guest contradicts image", args: []string{"--guest", "debian", "--image", "quay.io/containerdisks/fedora:44"}, want: "--guest is debian, but the image quay.io/containerdisks/fedora:44 is a fedora image"},
		{name: "workload the guest cannot run", args: []string{"--guest", "debian", "--workloads", "tps"}, want: "workload tps cannot run on a debian guest"},
		// Boot sources.
		{name: "boot source unknown scheme", args: []string{"--boot-source", "s3:bucket/fedora.qcow2"}, want: `--boot-source: unknown scheme "s3"; use containerdisk:IMAGE, datasource:NAMESPACE/NAME`},
		{name: "boot source without scheme", args: []string{"--boot-source", "fedora"}, want: `--boot-source must be one of containerdisk:IMAGE`},
		{name: "boot source malformed image", args: []string{"--boot-source", "containerdisk:Fedora Latest"}, want: "--boot-source containerdisk: must be an image reference"},
		{name: "boot source missing namespace", args: []string{"--boot-source", "datasource:fedora"}, want: "--boot-source datasource: needs a namespace, as datasource:NAMESPACE/NAME"},
		{name: "boot source empty namespace", args: []string{"--boot-source", "pvc:/golden"}, want: "--boot-source pvc: needs a namespace, as pvc:NAMESPACE/NAME"},
		{name: "boot source bad pvc name", args: []string{"--boot-source", "pvc:golden/Root_Disk"}, want: `--boot-source pvc: "Root_Disk" is not an object name`},
		{name: "boot source url not http", args: []string{"--boot-source", "http:ftp://mirror/fedora.qcow2"}, want: "--boot-source http: must be an http:// or https:// URL"},
		{name: "boot source with image", args: []string{"--boot-source", "datasource:os/fedora", "--image", "quay.io/containerdisks/fedora:44"}, want: "--image and --boot-source both choose the root disk; keep one"},
		{name: "boot source guest contradiction", args: []string{"--boot-source", "datasource:os/centos-stream9", "--guest", "ubuntu"}, want: "--guest is ubuntu, but the DataSource centos-stream9 is a centos-stream image"},
		{name: "rhel without a boot source", args: []string{"--guest", "rhel"}, want: "--guest is rhel, which has no public containerDisk; give --boot-source datasource:NAMESPACE/NAME"},
		{name: "root disk too small", args: []string{"--boot-source", "pvc:golden/fedora", "--root-disk-size", "1Gi"}, want: "--root-disk-size must be between 2Gi and 64Ti, got 1Gi"},
		{name: "root disk size for a containerDisk", args: []string{"--root-disk-size", "40Gi"}, want: "--root-disk-size sizes a cloned or imported root disk, but the VMs boot the containerDisk"},
		{name: "instance type bad name", args: []string{"--instancetype", "U1.Medium"}, want: `--instancetype: "U1.Medium" is not a valid instance type name`},
		{name: "instance type unknown kind", args: []string{"--instancetype", "vmi/u1.medium"}, want: `--instancetype: unknown kind "vmi"; give NAME for a VirtualMachineClusterInstancetype or virtualmachineinstancetype/NAME`},
		{name: "instance type empty name", args: []string{"--instancetype", "virtualmachineinstancetype/"}, want: "--instancetype: empty instance type name"},
		{name: "preference bad name", args: []string{"--preference", "Fedora_44"}, want: `--preference: "Fedora_44" is not a valid preference name`},
		{name: "preference unknown kind", args: []string{"--preference", "virtualmachineinstancetype/fedora"}, want: `--preference: unknown kind "virtualmachineinstancetype"`},
		{name: "instance type with cpu cores", args: []string{"--instancetype", "u1.medium", "--cpu-cores", "4"}, want: "--cpu-cores and --instancetype both size the VMs of"},
		{name: "instance type with memory variable", args: []string{"--instancetype", "u1.medium"}, env: map[string]string{"VIRTWORK_MEMORY": "4Gi"}, want: "VIRTWORK_MEMORY and --instancetype both size the VMs of"},
		cfg("instance type per workload with file cores", "cpu_cores: 4\nworkloads:\n  cpu:\n    instancetype: u1.medium\n",
			"c.yaml:1: cpu_cores and c.yaml:4: workloads.cpu.instancetype both size the VMs of cpu; drop c.yaml:1: cpu_cores"),
		// Placement.
		{name: "node selector without value", args: []string{"--node-selector", "zone"}, want: `--node-selector: "zone" must be KEY=VALUE, a node label such as topology.kubernetes.io/zone=zone-a`},
		{name: "node selector bad key", args: []string{"--node-selector", "-zone=a"}, want: `--node-selector: "-zone" is not a label key`},
		{name: "node selector bad value", args: []string{"--node-selector", "zone=a/b"}, want: `--node-selector: "a/b" is not a label value for zone`},
		{name: "node selector key twice", args: []string{"--node-selector", "zone=a,zone=b"}, want: `--node-selector gives zone twice ("a" and "b"); a node has one value per label, give the key once`},
		{name: "toleration unknown effect", args: []string{"--tolerate", "dedicated=virt:NoExec"}, want: `--tolerate: "dedicated=virt:NoExec" has the unknown effect "NoExec"; use NoSchedule, PreferNoSchedule, NoExecute`},
		{name: "toleration without effect", env: map[string]string{"VIRTWORK_TOLERATE": "dedicated=virt"}, want: `VIRTWORK_TOLERATE: "dedicated=virt" has no :EFFECT; write KEY[=VALUE]:EFFECT`},
		{name: "toleration bad key", args: []string{"--tolerate", "a b:NoSchedule"}, want: `--tolerate: "a b" is not a taint key`},
		{name: "toleration twice", args: []string{"--tolerate", "a:NoSchedule", "--tolerate", "a:NoSchedule"}, want: "--tolerate gives a:NoSchedule twice; give each toleration once"},
		{name: "spread unknown", args: []string{"--spread", "rack"}, want: `--spread must be hostname (evenly over nodes) or zone (evenly over topology.kubernetes.io/zone), got "rack"`},
		{name: "vms per node zero", args: []string{"--vms-per-node", "0"}, want: "--vms-per-node must be between 1 and 10000, got 0"},
		{name: "vms per node text", args: []string{"--vms-per-node", "many"}, want: `--vms-per-node must be an integer between 1 and 10000, got "many"`},
		{name: "eviction strategy unknown", args: []string{"--eviction-strategy", "Migrate"}, want: `--eviction-strategy must be LiveMigrate (move the VM off a draining node) or None (stop it), got "Migrate"`},
		cfg("config node selector not a list", "node_selector: zone=a\n", "c.yaml:1: node_selector must be a list"),
		cfg("config per-workload spread", "workloads:\n  cpu:\n    spread: racks\n", `c.yaml:3: workloads.cpu.spread must be hostname (evenly over nodes) or zone`),
		cfg("config per-workload cap", "workloads:\n  cpu:\n    vms_per_node: 0\n", "c.yaml:3: workloads.cpu.vms_per_node must be between 1 and 10000, got 0"),
		{name: "env boot source", env: map[string]string{"VIRTWORK_BOOT_SOURCE": "datasource:"}, want: "VIRTWORK_BOOT_SOURCE must be one of containerdisk:IMAGE"},
		{name: "preinstalled not a bool", args: []string{"--preinstalled=maybe"}, want: `--preinstalled must be true or false, got "maybe"`},
		{name: "env preinstalled", env: map[string]string{"VIRTWORK_PREINSTALLED": "yes"}, want: `VIRTWORK_PREINSTALLED must be true or false, got "yes"`},
		{name: "env root disk size", env: map[string]string{"VIRTWORK_BOOT_SOURCE": "pvc:golden/fedora", "VIRTWORK_ROOT_DISK_SIZE": "big"}, want: "VIRTWORK_ROOT_DISK_SIZE must be a quantity"},
		// Params.
		{name: "param below range", args: []string{"--params", "cpu.load-percent=0"}, want: "--params cpu.load-percent=0: load-percent must be between 1 and 100"},
		{name: "param not an integer", args: []string{"--params", "cpu.load-percent=most"}, want: "load-percent must be an integer"},
		{name: "param unknown", args: []string{"--params", "cpu.load=50"}, want: `workload cpu has no param "load"`},
		{name: "param of unknown workload", args: []string{"--params", "cpux.load-percent=50"}, want: `unknown workload "cpux"`},
		{name: "param without value", args: []string{"--params", "cpu.load-percent"}, want: "--params"},
		{name: "param command substitution", args: []string{"--params", "cpu.method=$(reboot)"}, want: "method must be one of"},
		{name: "param enum", args: []string{"--params", "network.protocol=sctp"}, want: "protocol must be one of tcp, udp"},
		{name: "param size", args: []string{"--params", "tps.file-size=lots"}, want: "file-size must be a size"},
		{name: "param disk too small for its file", args: []string{"--workloads", "disk", "--disk-size", "1Gi", "--params", "disk.file-size=4Gi"}, want: "disk"},
		// Environment variables.
		{name: "env vm count", env: map[string]string{"VIRTWORK_VM_COUNT": "-1"}, want: "VIRTWORK_VM_COUNT must be between 1 and 10000"},
		{name: "env memory", env: map[string]string{"VIRTWORK_MEMORY": "lots"}, want: "VIRTWORK_MEMORY must be a quantity"},
		{name: "env workloads empty", env: map[string]string{"VIRTWORK_WORKLOADS": " , "}, want: "VIRTWORK_WORKLOADS is set but empty"},
		{name: "env timeout", env: map[string]string{"VIRTWORK_TIMEOUT": "5"}, want: "VIRTWORK_TIMEOUT must be a duration"},
		{name: "env run id", env: map[string]string{"VIRTWORK_RUN_ID": "xyz"}, want: "VIRTWORK_RUN_ID must be a UUID"},
		{name: "env password without user", env: map[string]string{"VIRTWORK_SSH_PASSWORD": "hunter2"}, want: "VIRTWORK_SSH_PASSWORD needs --ssh-user"},
		{name: "env namespace", env: map[string]string{"VIRTWORK_NAMESPACE": "Bad"}, want: "VIRTWORK_NAMESPACE must be a valid namespace name"},
		{name: "env guest", env: map[string]string{"VIRTWORK_GUEST": "windows"}, want: "VIRTWORK_GUEST must be one of"},
		{name: "env params", env: map[string]string{"VIRTWORK_PARAMS": "cpu.load-percent=101"}, want: "VIRTWORK_PARAMS cpu.load-percent=101: load-percent must be between 1 and 100"},
		{name: "env overridden but bad", args: []string{"--vm-count", "2"}, env: map[string]string{"VIRTWORK_VM_COUNT": "lots"}, want: "VIRTWORK_VM_COUNT must be an integer"},
		// Load shapes (--profile, --start-at, --duration).
		{name: "profile unknown shape", args: []string{"--profile", "cpu=squar"}, want: `--profile cpu=squar: unknown shape "squar" (did you mean "square"?)`},
		{name: "profile level out of range", args: []string{"--profile", "cpu=square:high=120"}, want: "--profile cpu=square:high=120: high must be a level between 0 and 100"},
		{name: "profile level below the param's min", args: []string{"--profile", "cpu=constant:level=-5"}, want: "--profile cpu=constant:level=-5: level"},
		{name: "profile period 0", args: []string{"--profile", "cpu=square:period=0"}, want: "--profile cpu=square:period=0: period must be between 10s and 7d"},
		{name: "profile duty 120", args: []string{"--profile", "cpu=square:duty=120"}, want: "--profile cpu=square:duty=120: duty must be"},
		{name: "profile low above high", args: []string{"--profile", "cpu=square:high=20,low=50"}, want: "low (50) must not be above high (20)"},
		{name: "profile unknown key", args: []string{"--profile", "cpu=square:hihg=80"}, want: `--profile cpu=square:hihg=80: hihg: unknown key for shape square (did you mean "high"?)`},
		{name: "profile steps without levels", args: []string{"--profile", "cpu=steps"}, want: "levels is required"},
		{name: "profile random spread on a ramp", args: []string{"--profile", "cpu=ramp:spread=random"}, want: "spread must not be random for ramp"},
		custom("profile for a workload without a level", nil, "--profile echo=square: workload echo has no level to shape or time (workloads with one: chaos-disk, chaos-network, chaos-process, cpu, database, disk, memory, network, tps)", "--profile", "echo=square"),
		{name: "profile memory level above its max", args: []string{"--profile", "memory=square:high=96"}, want: "--profile memory=square:high=96: high must be a level between 0 and 95"},
		{name: "profile chaos level 2", args: []string{"--profile", "chaos-disk=square:high=2,low=0"}, want: "--profile chaos-disk=square:high=2,low=0: high must be a level between 0 and 1"},
		{name: "profile for an unknown workload", args: []string{"--profile", "cpux=square"}, want: `--profile cpux=square: unknown workload "cpux" (did you mean "cpu"?)`},
		{name: "profile malformed WORKLOAD=", args: []string{"--profile", "cpu"}, want: `--profile: "cpu" must look like WORKLOAD=SHAPE[:KEY=VALUE,...]`},
		{name: "profile with a newline", args: []string{"--profile", "cpu=square:high=80\nExecStart=/bin/evil"}, want: `--profile: "cpu=square:high=80\nExecStart=/bin/evil" must not hold control characters`},
		{name: "profile empty shape", args: []string{"--profile", "cpu="}, want: `--profile: "cpu=" must look like WORKLOAD=SHAPE`},
		{name: "profile twice for a workload", args: []string{"--profile", "cpu=square", "--profile", "cpu=ramp"}, want: "--profile cpu=ramp: workload cpu already has a profile"},
		{name: "env profile", env: map[string]string{"VIRTWORK_PROFILE": "cpu=square:period=2m;cpu=sine:period=1s"}, want: "VIRTWORK_PROFILE cpu=sine:period=1s: period must be between 10s and 7d"},
		{name: "start-at in the past beyond the grace", args: []string{"--start-at", "2020-01-01T00:00:00Z"}, want: "--start-at is "},
		{name: "start-at not a time", args: []string{"--start-at", "tomorrow"}, want: "--start-at must be an RFC 3339 time such as 2026-01-02T15:04:05Z, or +DURATION from now"},
		{name: "start-at too far ahead", args: []string{"--start-at", "+40d"}, want: "--start-at"},
		{name: "duration too short", args: []string{"--duration", "5s"}, want: "--duration must be between 10s and 30d"},
		{name: "duration shorter than a period", args: []string{"--profile", "cpu=square:period=10m", "--duration", "5m"}, want: "--duration (5m) is shorter than one cycle (10m) of --profile cpu=square:period=10m"},
		custom("start-at for workloads without a level", nil, "--start-at: none of the selected workloads has a level to time (workloads with one: chaos-disk, chaos-network, chaos-process, cpu, database, disk, memory, network, tps)", "--start-at", "+10m"),
		// A level param at 0 (unlimited) is no level to hold: a profile gives the level.
		{name: "profile constant at an unlimited level", args: []string{"--profile", "disk=constant"},
			want: "--profile disk=constant: level is required: the workload's level param is 0 (unlimited), not a level to hold; give level=N with N from 1 to 1000000"},
		{name: "profile square without high at an unlimited level", args: []string{"--profile", "database=square:low=50"},
			want: "--profile database=square:low=50: high is required: the workload's level param is 0 (unlimited)"},
		{name: "profile ramp without to at an unlimited level", args: []string{"--profile", "network=ramp:from=10"},
			want: "--profile network=ramp:from=10: to is required"},
		{name: "timing for an unlimited workload alone", args: []string{"--workloads", "database", "--duration", "1h"},
			want: "--duration: none of the selected workloads has a level to time"},
		{name: "profile tps without high at an unlimited rate", args: []string{"--profile", "tps=square:low=20"},
			want: "--profile tps=square:low=20: high is required: the workload's level param is 0 (unlimited)"},
		{name: "profile tps level above rate's max", args: []string{"--profile", "tps=constant:level=20000"},
			want: "--profile tps=constant:level=20000: level must be a level between 0 and 10000"},
		{name: "param tps rate above its max", args: []string{"--params", "tps.rate=10001"}, want: "--params tps.rate=10001: rate must be between 0 and 10000"},
		{name: "param tps rate negative", args: []string{"--params", "tps.rate=-1"}, want: "--params tps.rate=-1: rate must be between 0 and 10000"},
		cfg("config tps spike without peak at an unlimited rate", "workloads:\n  tps:\n    profile: {shape: spike, base: 10}\n",
			"c.yaml:3: workloads.tps.profile.peak is required: the workload's level param is 0 (unlimited), not a level to hold; give peak=N with N from 1 to 10000"),
		cfg("config timing for tps at an unlimited rate", "workloads:\n  tps:\n    duration: 1h\n",
			"workload tps has no level to time: its level param is 0 (unlimited)"),
		cfg("config timing for an unlimited workload", "workloads:\n  disk:\n    duration: 1h\n",
			"workload disk has no level to time: its level param is 0 (unlimited)"),
		{name: "env duration", env: map[string]string{"VIRTWORK_DURATION": "forever"}, want: "VIRTWORK_DURATION"},
		cfg("config boot source", "boot_source: datasource:fedora\n", "boot_source datasource: needs a namespace"),
		cfg("config preinstalled per workload", "workloads:\n  cpu:\n    preinstalled: sometimes\n", `c.yaml:3: workloads.cpu.preinstalled must be true or false, got "sometimes"`),
		cfg("config root disk size per workload", "boot_source: pvc:golden/fedora\nworkloads:\n  cpu:\n    root_disk_size: 100Mi\n", "workloads.cpu.root_disk_size must be between 2Gi and 64Ti"),
		cfg("config profile unknown shape", "workloads:\n  cpu:\n    profile: {shape: squar}\n", `c.yaml:3: workloads.cpu.profile.shape: unknown shape "squar"`),
		cfg("config profile period 0", "workloads:\n  cpu:\n    profile: {shape: square, period: 0s}\n", "c.yaml:3: workloads.cpu.profile.period must be between 10s and 7d"),
		cfg("config profile as a bad string", "workloads:\n  cpu:\n    profile: square:duty=0\n", "c.yaml:3: workloads.cpu.profile: duty must be"),
		customCfg("config profile without a level", "workloads:\n  echo:\n    profile: {shape: square}\n", "c.yaml:4: workloads.echo.profile: workload echo has no level"),
		customCfg("config start_at for a workload without a level", "workloads:\n  echo:\n    start_at: +10m\n", "c.yaml:4: workloads.echo.start_at: workload echo has no level"),
		cfg("config duration shorter than the profile's cycle", "workloads:\n  cpu:\n    duration: 1m\n    profile: {shape: sine, period: 5m}\n", "c.yaml:3: workloads.cpu.duration (1m) is shorter than one cycle (5m)"),
		cfg("config start_at a list", "start_at: [+1m]\n", "c.yaml:1: start_at must be a single value, not a list"),
		// The config file.
		{name: "config missing", args: []string{"--config", "nope.yaml"}, want: "--config: cannot read config file"},
		{name: "config from env missing", env: map[string]string{"VIRTWORK_CONFIG": "nope.yaml"}, want: "VIRTWORK_CONFIG: cannot read config file"},
		cfg("config not yaml", "vm_count: [1\n", "c.yaml: not valid YAML"),
		cfg("config unknown key", "vm_cont: 2\n", `c.yaml:1: vm_cont: unknown key (did you mean "vm_count"?)`),
		cfg("config unknown workload key", "workloads:\n  cpu:\n    vm_cont: 1\n", "c.yaml:3: workloads.cpu.vm_cont: unknown key"),
		cfg("config list for a value", "vm_count: [1, 2]\n", "c.yaml:1: vm_count must be a single value, not a list"),
		cfg("config unknown workload", "workloads:\n  cpux: {}\n", `c.yaml:2: workloads.cpux: unknown workload "cpux"`),
		cfg("config two documents", "vm_count: 1\n---\nvm_count: 2\n", "c.yaml: must hold one YAML document"),
		cfg("config enabled not bool", "workloads:\n  cpu:\n    enabled: yes please\n", "c.yaml:3: workloads.cpu.enabled must be true or false"),
		cfg("config disables everything", "workloads:\n  cpu: {enabled: false}\n  memory: {enabled: false}\n  database: {enabled: false}\n  disk: {enabled: false}\n  network: {enabled: false}\n  tps: {enabled: false}\n", "the config file disables every workload"),
		cfg("config bad value", "memory: 1Mi\n", "c.yaml:1: memory must be between 256Mi and 1Ti"),
		cfg("config bad param", "workloads:\n  cpu:\n    params:\n      load-percent: 500\n", "c.yaml:4: workloads.cpu.params.load-percent: load-percent must be between 1 and 100"),
		cfg("config workload dir missing", "workload_dirs: [nope]\n", "c.yaml:1: workload_dirs: "),
		// Custom workload directories.
		{name: "workload dir missing", args: []string{"--workload-dir", "nope"}, want: "--workload-dir: nope: cannot read the workload directory"},
		{name: "workload dir env empty", env: map[string]string{"VIRTWORK_WORKLOAD_DIR": "wl"}, files: map[string]string{"wl/README.md": "no workloads here"}, want: "VIRTWORK_WORKLOAD_DIR: wl: no workloads"},
		custom("custom name clash", func(f map[string]string) {
			f["wl/echo/workload.yaml"] = strings.Replace(f["wl/echo/workload.yaml"], "name: echo", "name: cpu", 1)
		}, `wl/echo/workload.yaml:1: name: "cpu" is a built-in workload; choose another name`),
		custom("custom unknown placeholder", func(f map[string]string) {
			f["wl/echo/virtwork-echo.service"] = "[Service]\nExecStart=/usr/bin/echo {{ wrd }}\n"
		}, `wl/echo/virtwork-echo.service:2: placeholder {{ wrd }} names no param of the workload (did you mean "word"?)`),
		custom("custom system unit", func(f map[string]string) { f["wl/echo/sshd.service"] = "[Service]\n" },
			"wl/echo/sshd.service: file name must be virtwork-<name>.service"),
		custom("custom not yaml", func(f map[string]string) { f["wl/echo/workload.yaml"] = "name: [echo\n" },
			"wl/echo/workload.yaml: not valid YAML"),
		custom("custom mount over etc", func(f map[string]string) {
			f["wl/echo/workload.yaml"] = strings.Replace(f["wl/echo/workload.yaml"], "  unit: virtwork-echo.service\n", "  unit: virtwork-echo.service\n  data_disk: {mount_point: /etc}\n", 1)
		}, "wl/echo/workload.yaml:5: roles[0].data_disk.mount_point: \"/etc\" must be an absolute path of plain names, not a system directory"),
		custom("custom param out of range", nil, "--params echo.times=11: times must be between 1 and 10", "--params", "echo.times=11"),
		custom("custom param injection", nil, "--params echo.word=a;reboot: word must be 1-63 letters", "--params", "echo.word=a;reboot"),
		// Kubeconfig problems.
		{name: "kubeconfig missing", args: []string{"--kubeconfig", "nope"}, want: "loading kubeconfig: stat nope: no such file or directory"},
		kc("kubeconfig not yaml", "clusters: [\n", "loading kubeconfig: error loading config file"),
		kc("kubeconfig empty", "apiVersion: v1\nkind: Config\n", "no cluster to talk to: kc.yaml names none; pass --kubeconfig FILE or --server URL"),
		kc("kubeconfig without current context", goodKC, "the kubeconfig sets no current-context; pass --context NAME (contexts: a)"),
		kc("kubeconfig unknown context", goodKC, `loading kubeconfig: context "nope" does not exist`, "--context", "nope"),
		kc("kubeconfig unknown cluster", goodKC, `loading kubeconfig: cluster "nope" does not exist`, "--context", "a", "--cluster", "nope"),
		kc("kubeconfig unknown user", goodKC, `loading kubeconfig: auth info "nope" does not exist`, "--context", "a", "--user", "nope"),
		kc("server not a url", goodKC, `the API server address "::bad" (from --server or the kubeconfig) is not a URL`, "--server", "::bad"),
		kc("request timeout", goodKC, "Invalid timeout value", "--context", "a", "--request-timeout", "soon"),
		// Every command that talks to a cluster reads the kubeconfig the same way.
		{name: "status kubeconfig empty", cmd: "status", args: []string{"--kubeconfig", "kc.yaml"}, files: map[string]string{"kc.yaml": "apiVersion: v1\nkind: Config\n"},
			want: "no cluster to talk to: kc.yaml names none; pass --kubeconfig FILE or --server URL"},
		{name: "cleanup kubeconfig without current context", cmd: "cleanup", args: []string{"--kubeconfig", "kc.yaml", "--all", "--yes"}, files: map[string]string{"kc.yaml": goodKC},
			want: "the kubeconfig sets no current-context; pass --context NAME (contexts: a)"},
		{name: "preflight kubeconfig without current context", cmd: "preflight", args: []string{"--kubeconfig", "kc.yaml", "--for", "status"}, files: map[string]string{"kc.yaml": goodKC},
			want: "the kubeconfig sets no current-context; pass --context NAME (contexts: a)"},
		{name: "wait kubeconfig empty", cmd: "wait", args: []string{"--kubeconfig", "kc.yaml", "--run-id", uuid.NewString()}, files: map[string]string{"kc.yaml": "apiVersion: v1\nkind: Config\n"},
			want: "no cluster to talk to: kc.yaml names none"},
		// Other commands that write.
		{name: "plan window too short", cmd: "plan", args: []string{"--window", "30s"}, want: `--window must be between 1m and 30d, got "30s"`},
		{name: "plan window too long", cmd: "plan", args: []string{"--window", "31d"}, want: `--window must be between 1m and 30d, got "31d"`},
		{name: "plan window text", cmd: "plan", args: []string{"--window", "an hour"}, want: `--window must be a duration between 1m and 30d such as 10m`},
		{name: "plan output", cmd: "plan", args: []string{"-o", "yaml"}, want: `--output must be json, got "yaml"`},
		{name: "plan bad profile", cmd: "plan", args: []string{"--profile", "cpu=square:duty=120"}, want: "--profile cpu=square:duty=120"},
		{name: "plan too large as json", cmd: "plan", args: []string{"--workloads", "cpu", "--vm-count", "2000", "--profile", "cpu=square:period=10s", "--window", "30d", "-o", "json"},
			want: "change level more than 500000 times in the 30d window; give a shorter window"},
		{name: "monitoring rate window", cmd: "monitoring", args: []string{"--rate-window", "2s"}, want: "--rate-window must be whole seconds between 4s and 1h, got 2s"},
		{name: "monitoring rules without tests", cmd: "monitoring", args: []string{"--rules", "r.yaml", "--alerts-file", "a.yaml"}, want: "--rules is tested with --promtool-tests DIR"},
		{name: "monitoring unknown alert", cmd: "monitoring", args: []string{"--workloads", "cpu", "--profile", "cpu=square:high=90,low=10,period=10m",
			"--promtool-tests", "t", "--rules", "r.yaml", "--alerts-file", "a.yaml"},
			files: map[string]string{"r.yaml": "groups: [{name: g, rules: [{alert: Busy, expr: vector(1)}]}]\n", "a.yaml": "- {alert: Bsy, workload: cpu, fires_above: 70}\n"},
			want:  `a.yaml:1: [0]: alert "Bsy" is not an alerting rule of --rules r.yaml (its alerts: Busy)`},
		{name: "cleanup without target", cmd: "cleanup", want: "name what to delete: --run-id ID for one run, or --all for every run"},
		{name: "cleanup both targets", cmd: "cleanup", args: []string{"--all", "--run-id", uuid.NewString()}, want: "--run-id and --all exclude each other"},
		{name: "cleanup bad run id", cmd: "cleanup", args: []string{"--run-id", "nope"}, want: "--run-id must be a UUID"},
		{name: "disrupt without run", cmd: "disrupt", args: []string{"--migrate", "10%"}, want: "--run-id is required: disrupt acts on a run applied earlier"},
		{name: "disrupt without events", cmd: "disrupt", args: []string{"--run-id", uuid.NewString()}, want: "name the events: --migrate P%, --restart P% and/or --stop-start P%"},
		{name: "disrupt bad percentage", cmd: "disrupt", args: []string{"--run-id", uuid.NewString(), "--migrate", "ten"}, want: `--migrate must be a percentage above 0 and at most 100, like 10%, got "ten"`},
		{name: "disrupt percentage over 100", cmd: "disrupt", args: []string{"--run-id", uuid.NewString(), "--restart", "150%"}, want: `--restart must be a percentage above 0 and at most 100`},
		{name: "disrupt percentages add up over 100", cmd: "disrupt", args: []string{"--run-id", uuid.NewString(), "--migrate", "60%", "--stop-start", "50%"}, want: "--migrate, --restart and --stop-start add up to 110%"},
		{name: "disrupt bad duration", cmd: "disrupt", args: []string{"--run-id", uuid.NewString(), "--migrate", "10%", "--every", "soon"}, want: `invalid argument "soon" for "--every" flag`},
		{name: "disrupt for with times", cmd: "disrupt", args: []string{"--run-id", uuid.NewString(), "--migrate", "10%", "--every", "1m", "--for", "1h", "--times", "3"}, want: "--for and --times exclude each other; give one"},
		{name: "disrupt for without every", cmd: "disrupt", args: []string{"--run-id", uuid.NewString(), "--migrate", "10%", "--for", "1h"}, want: "--for needs --every"},
		{name: "disrupt every without end", cmd: "disrupt", args: []string{"--run-id", uuid.NewString(), "--migrate", "10%", "--every", "1m"}, want: "--every needs --for DURATION or --times N"},
		{name: "disrupt zero times", cmd: "disrupt", args: []string{"--run-id", uuid.NewString(), "--migrate", "10%", "--times", "0"}, want: "--times must be at least 1, got 0"},
		{name: "disrupt negative down-for", cmd: "disrupt", args: []string{"--run-id", uuid.NewString(), "--stop-start", "10%", "--down-for", "-1s"}, want: "--down-for must not be negative"},
		{name: "disrupt zero max-concurrent", cmd: "disrupt", args: []string{"--run-id", uuid.NewString(), "--migrate", "10%", "--max-concurrent", "0"}, want: "--max-concurrent must be at least 1, got 0"},
		{name: "disrupt bad on-failure", cmd: "disrupt", args: []string{"--run-id", uuid.NewString(), "--migrate", "10%", "--on-failure", "retry"}, want: `--on-failure must be continue or stop, got "retry"`},
		{name: "disrupt run that does not exist", cmd: "disrupt", args: []string{"--run-id", uuid.NewString(), "--migrate", "10%", "-n", "default"}, want: "--run-id: no VM of the run found"},
		{name: "preflight unknown event kind", cmd: "preflight", args: []string{"--for", "disrupt", "--events", "reboot"}, want: `--events: unknown kind "reboot" (known: migrate, restart, stop-start)`},
		{name: "wait bad timeout", cmd: "wait", args: []string{"--run-id", uuid.NewString(), "--timeout", "1ms"}, want: "--timeout must be between 10s and 24h"},
		{name: "wait bad threshold", cmd: "wait", args: []string{"--run-id", uuid.NewString(), "--threshold", "running:p95=soon"}, want: `--threshold: "running:p95=soon" has "soon" for a limit`},
		{name: "verify report in a missing directory", cmd: "verify", args: []string{"--prometheus", "http://127.0.0.1:1", "--report", "no/such/r.html"},
			want: "--report no/such/r.html: directory no/such does not exist"},
		{name: "verify max gap", cmd: "verify", args: []string{"--prometheus", "http://127.0.0.1:1", "--max-gap", "1.5s"},
			want: "--max-gap must be whole seconds, at least 1s, got 1.5s"},
	}
}

// TestBadInputReachesNothing runs every bad input against a real API server
// behind a counting proxy: exit 2, one line on stderr naming where the
// value came from, nothing on stdout, no write request, and nothing in the
// audit history.
func TestBadInputReachesNothing(t *testing.T) {
	c := cluster.Shared(t)
	proxy, err := faultproxy.New(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Stop)
	all := cases()
	if len(all) < 60 {
		t.Errorf("%d bad inputs; the table must hold at least 60", len(all))
	}
	seen := map[string]bool{}
	for _, tc := range all {
		if seen[tc.name] {
			t.Fatalf("two cases named %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			kubeconfig := filepath.Join(dir, "proxy-kubeconfig")
			if err := proxy.WriteKubeconfig(kubeconfig, "default"); err != nil {
				t.Fatal(err)
			}
			for name, content := range tc.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			t.Chdir(dir)
			audit := filepath.Join(dir, "audit.db")
			env := map[string]string{"VIRTWORK_AUDIT_DB": audit}
			for k, v := range tc.env {
				env[k] = v
			}
			command := tc.cmd
			if command == "" {
				command = "apply"
			}
			args := append([]string{command}, tc.args...)
			if !hasFlag(tc.args, "--kubeconfig") {
				args = append(args, "--kubeconfig", kubeconfig)
			}
			before := len(proxy.Requests())
			var out, errOut bytes.Buffer
			streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
			deps := cmd.Deps{
				Registry:  workloads.Builtin(),
				LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
				ReadFile:  os.ReadFile,
				NewRunID:  uuid.NewString,
				OpenDir:   os.DirFS,
			}
			code := cmd.Execute(context.Background(), streams, deps, args)

			t.Logf("%s", strings.TrimSpace(errOut.String()))
			if code != cmd.ExitUsage {
				t.Errorf("exit %d, want %d", code, cmd.ExitUsage)
			}
			if out.Len() != 0 {
				t.Errorf("stdout is not empty:\n%s", out.String())
			}
			lines := strings.Split(strings.TrimSuffix(errOut.String(), "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "error: ") || !strings.Contains(lines[0], tc.want) {
				t.Errorf("stderr %q\nwant one line \"error: ...\" containing %q", errOut.String(), tc.want)
			}
			for _, r := range proxy.Requests()[before:] {
				if r.Write() {
					t.Errorf("a write reached the API server: %s", r)
				}
			}
			if _, err := os.Stat(audit); err == nil {
				t.Error("the bad input was recorded in the audit history")
			}
		})
	}
}

func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}
