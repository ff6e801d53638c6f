package config

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

const testRunID = "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93"

// builtin lists the built-in workloads that run when none are named, and
// every built-in workload's name: tests derive their lists from the
// registry, so that a new built-in workload needs no edit here.
var (
	implicit = workloads.Builtin().Implicit()
	allNames = workloads.Builtin().Names()
)

// without returns names less the ones given.
func without(names []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return slices.Contains(drop, n) })
}

const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host"

// in describes one Load call: command-line args, environment and files.
type in struct {
	args  []string
	ns    string
	env   map[string]string
	files map[string]string
}

func load(t *testing.T, i in) (*Config, error) {
	t.Helper()
	flagSet := pflag.NewFlagSet("test", pflag.ContinueOnError)
	f := NewFlags()
	f.AddFlags(flagSet)
	f.AddTimeoutFlag(flagSet)
	f.AddThresholdFlag(flagSet)
	if err := flagSet.Parse(i.args); err != nil {
		t.Fatalf("parsing %v: %v", i.args, err)
	}
	return Load(workloads.Builtin(), Sources{
		Flags:     f,
		Namespace: i.ns,
		LookupEnv: func(k string) (string, bool) { v, ok := i.env[k]; return v, ok },
		ReadFile: func(p string) ([]byte, error) {
			if s, ok := i.files[p]; ok {
				return []byte(s), nil
			}
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		},
		NewRunID: func() string { return testRunID },
		OpenDir:  func(dir string) fs.FS { return dirFS(i.files, dir) },
		Now:      func() time.Time { return testNow },
	})
}

// testNow is the clock of every Load in these tests.
var testNow = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

// dirFS is the directory dir of files, whose keys are slash-separated paths.
func dirFS(files map[string]string, dir string) fs.FS {
	out := fstest.MapFS{}
	for p, content := range files {
		if rest, ok := strings.CutPrefix(p, dir+"/"); ok {
			out[rest] = &fstest.MapFile{Data: []byte(content), Mode: 0o644}
		}
	}
	return out
}

// A minimal custom workload, in the directory "wl".
var customFiles = map[string]string{
	"wl/echo/workload.yaml": "name: echo\nroles:\n- name: worker\n  unit: virtwork-echo.service\n" +
		"  data_disk: {mount_point: /srv/echo, size: 3Gi}\n" +
		"params:\n- {name: word, type: string, default: hello}\n",
	"wl/echo/virtwork-echo.service": "[Service]\nExecStart=/usr/bin/echo {{ word }}\n",
}

// cmpConfig compares Configs: quantities by value, registries by names.
var cmpConfig = cmp.Options{
	cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 }),
	cmp.Comparer(func(a, b *workloads.Registry) bool { return slices.Equal(a.Names(), b.Names()) }),
}

func mustLoad(t *testing.T, i in) *Config {
	t.Helper()
	c, err := load(t, i)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func workload(c *Config, name string) Workload {
	for _, w := range c.Workloads {
		if w.Name == name {
			return w
		}
	}
	return Workload{}
}

func TestDefaults(t *testing.T) {
	c := mustLoad(t, in{})
	var names []string
	for _, w := range c.Workloads {
		names = append(names, w.Name)
	}
	if diff := cmp.Diff(implicit, names); diff != "" {
		t.Errorf("default selection (-want +got):\n%s", diff)
	}
	if c.Namespace != "virtwork" || c.Image != "quay.io/containerdisks/fedora:44" || c.Timeout != 10*time.Minute || c.RunID != testRunID {
		t.Errorf("defaults: namespace %q image %q timeout %s run id %q", c.Namespace, c.Image, c.Timeout, c.RunID)
	}
	cpu := workload(c, "cpu")
	if cpu.VMCount != 1 || cpu.CPUCores != 2 || cpu.Memory.String() != "2Gi" || cpu.DiskSize.String() != "10Gi" || cpu.StorageClass != "" {
		t.Errorf("cpu defaults: %+v", cpu)
	}
	if diff := cmp.Diff(workloads.Values{"load-percent": "100", "method": "all"}, cpu.Params); diff != "" {
		t.Errorf("cpu params (-want +got):\n%s", diff)
	}
	if c.SSH.Enabled() {
		t.Errorf("SSH enabled without being asked: %+v", c.SSH)
	}
}

// TestPrecedence checks every level of flags > env > file (per-workload >
// top level) > defaults for each kind of setting.
func TestPrecedence(t *testing.T) {
	file := `
namespace: from-file
image: registry.example/file:1
vm_count: 4
cpu_cores: 3
memory: 3Gi
disk_size: 30Gi
storage_class: file-class
readiness_timeout: 3m
run_id: 11111111-1111-4111-8111-111111111111
workloads:
  cpu:
    vm_count: 5
    cpu_cores: 5
    memory: 5Gi
    storage_class: cpu-class
    params:
      load-percent: 55
  disk:
    disk_size: 50Gi
    params:
      runtime: 555
`
	env := map[string]string{
		"VIRTWORK_CONFIG":        "c.yaml",
		"VIRTWORK_NAMESPACE":     "from-env",
		"VIRTWORK_IMAGE":         "registry.example/env:1",
		"VIRTWORK_VM_COUNT":      "6",
		"VIRTWORK_CPU_CORES":     "6",
		"VIRTWORK_MEMORY":        "6Gi",
		"VIRTWORK_DISK_SIZE":     "60Gi",
		"VIRTWORK_STORAGE_CLASS": "env-class",
		"VIRTWORK_TIMEOUT":       "6m",
		"VIRTWORK_RUN_ID":        "66666666-6666-4666-8666-666666666666",
		"VIRTWORK_PARAMS":        "cpu.load-percent=66,disk.runtime=666",
		"VIRTWORK_WORKLOADS":     "cpu,disk",
	}
	flags := []string{
		"--image", "registry.example/flag:1", "--vm-count", "7", "--cpu-cores", "7", "--memory", "7Gi",
		"--disk-size", "70Gi", "--storage-class", "flag-class", "--timeout", "7m",
		"--run-id", "77777777-7777-4777-8777-777777777777", "--params", "cpu.load-percent=77",
		"--workloads", "cpu,disk",
	}
	files := map[string]string{"c.yaml": file}

	type want struct {
		ns, image, runID   string
		timeout            time.Duration
		names              []string
		cpuCount, cpuCores int
		cpuMem, diskSize   string
		cpuClass           string
		cpuLoad, diskRun   string
	}
	tests := []struct {
		name string
		in   in
		want want
	}{
		{"defaults only", in{},
			want{"virtwork", DefaultImage, testRunID, 10 * time.Minute, implicit, 1, 2, "2Gi", "10Gi", "", "100", "300"}},
		{"file: per-workload beats top level", in{env: map[string]string{"VIRTWORK_CONFIG": "c.yaml"}, files: files},
			want{"from-file", "registry.example/file:1", "11111111-1111-4111-8111-111111111111", 3 * time.Minute, implicit, 5, 5, "5Gi", "50Gi", "cpu-class", "55", "555"}},
		{"env beats file, even per-workload file values", in{env: env, files: files},
			want{"from-env", "registry.example/env:1", "66666666-6666-4666-8666-666666666666", 6 * time.Minute, []string{"cpu", "disk"}, 6, 6, "6Gi", "60Gi", "env-class", "66", "666"}},
		{"flags beat env and file", in{args: flags, ns: "from-flag", env: env, files: files},
			want{"from-flag", "registry.example/flag:1", "77777777-7777-4777-8777-777777777777", 7 * time.Minute, []string{"cpu", "disk"}, 7, 7, "7Gi", "70Gi", "flag-class", "77", "666"}},
		{"a flag beats a per-workload file value", in{args: []string{"--config", "c.yaml", "--vm-count", "2", "--workloads", "cpu,disk"}, files: files},
			want{"from-file", "registry.example/file:1", "11111111-1111-4111-8111-111111111111", 3 * time.Minute, []string{"cpu", "disk"}, 2, 5, "5Gi", "50Gi", "cpu-class", "55", "555"}},
		{"env params merge per key with file params", in{env: map[string]string{"VIRTWORK_CONFIG": "c.yaml", "VIRTWORK_PARAMS": "disk.runtime=120"}, files: files},
			want{"from-file", "registry.example/file:1", "11111111-1111-4111-8111-111111111111", 3 * time.Minute, implicit, 5, 5, "5Gi", "50Gi", "cpu-class", "55", "120"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.in)
			var names []string
			for _, w := range c.Workloads {
				names = append(names, w.Name)
			}
			cpu, disk := workload(c, "cpu"), workload(c, "disk")
			got := want{c.Namespace, c.Image, c.RunID, c.Timeout, names, cpu.VMCount, cpu.CPUCores, cpu.Memory.String(), disk.DiskSize.String(), cpu.StorageClass, cpu.Params["load-percent"], disk.Params["runtime"]}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestEverySettingIsRead sets each documented variable (and flag) alone and
// checks that it changes the result.
func TestEverySettingIsRead(t *testing.T) {
	base := mustLoad(t, in{})
	files := map[string]string{
		"k.pub": testKey + "\n", "pw": "hunter2\n",
		"c.yaml": "namespace: via-config\n",
	}
	maps.Copy(files, customFiles)
	values := map[string]string{
		"VIRTWORK_WORKLOADS": "cpu", "VIRTWORK_VM_COUNT": "3", "VIRTWORK_CPU_CORES": "4", "VIRTWORK_MEMORY": "4Gi",
		"VIRTWORK_DISK_SIZE": "20Gi", "VIRTWORK_STORAGE_CLASS": "fast", "VIRTWORK_IMAGE": "quay.io/containerdisks/centos-stream:9",
		"VIRTWORK_NAMESPACE": "other", "VIRTWORK_PARAMS": "cpu.load-percent=50", "VIRTWORK_SSH_USER": "ops",
		"VIRTWORK_SSH_KEY": testKey, "VIRTWORK_SSH_KEY_FILE": "k.pub", "VIRTWORK_SSH_PASSWORD": "hunter2",
		"VIRTWORK_SSH_PASSWORD_FILE": "pw", "VIRTWORK_RUN_ID": "77777777-7777-4777-8777-777777777777",
		"VIRTWORK_TIMEOUT": "30m", "VIRTWORK_CONFIG": "c.yaml", "VIRTWORK_WORKLOAD_DIR": "wl", "VIRTWORK_GUEST": "ubuntu",
		"VIRTWORK_PROFILE": "cpu=square:high=80,low=10,period=2m", "VIRTWORK_START_AT": "+10m", "VIRTWORK_DURATION": "1h",
		"VIRTWORK_BOOT_SOURCE": "datasource:os-images/fedora", "VIRTWORK_ROOT_DISK_SIZE": "40Gi",
		"VIRTWORK_PREINSTALLED": "true", "VIRTWORK_NAMESPACES": "2", "VIRTWORK_NAMESPACE_PREFIX": "tenant",
		"VIRTWORK_NODE_SELECTOR": "topology.kubernetes.io/zone=zone-a", "VIRTWORK_TOLERATE": "dedicated=virt:NoSchedule",
		"VIRTWORK_SPREAD": "zone", "VIRTWORK_VMS_PER_NODE": "4", "VIRTWORK_EVICTION_STRATEGY": "LiveMigrate",
		"VIRTWORK_INSTANCETYPE": "u1.medium", "VIRTWORK_PREFERENCE": "fedora", "VIRTWORK_THRESHOLD": "running:p95=3m,ready:max=8m",
	}
	for _, s := range Settings() {
		v, ok := values[s.Env]
		if !ok {
			t.Errorf("setting %s has no test value", s.Env)
			continue
		}
		extra := map[string]string{}
		if s.Env == "VIRTWORK_SSH_PASSWORD" || s.Env == "VIRTWORK_SSH_PASSWORD_FILE" {
			extra["VIRTWORK_SSH_USER"] = "ops" // a password needs a user
		}
		if s.Env == "VIRTWORK_ROOT_DISK_SIZE" {
			extra["VIRTWORK_BOOT_SOURCE"] = "pvc:os-images/fedora" // a containerDisk has no size
		}
		if s.Env == "VIRTWORK_NAMESPACE_PREFIX" {
			extra["VIRTWORK_NAMESPACES"] = "2" // a prefix names several namespaces
		}
		want := base // what the setting must change
		if len(extra) > 0 {
			want = mustLoad(t, in{env: extra, files: files})
		}
		sources := []in{{env: merge(extra, map[string]string{s.Env: v}), files: files}}
		if s.Flag != "" {
			flag := "--" + s.Flag
			if s.Short != "" { // kubectl's -n, given to Load as Sources.Namespace
				sources = append(sources, in{ns: v, env: extra, files: files})
			} else {
				// --flag=value: a bool flag takes no separate value.
				sources = append(sources, in{args: []string{flag + "=" + v}, env: extra, files: files})
			}
		}
		for _, src := range sources {
			c, err := load(t, src)
			if err != nil {
				t.Errorf("%s / %v: %v", s.Env, src.args, err)
				continue
			}
			if cmp.Equal(want, c, cmpConfig) {
				t.Errorf("setting %s (args %v) changed nothing", s.Env, src.args)
			}
		}
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func TestSelection(t *testing.T) {
	tests := []struct {
		name string
		in   in
		want []string
	}{
		{"flag keeps registry order", in{args: []string{"--workloads", "network,cpu"}}, []string{"cpu", "network"}},
		{"repeated flag", in{args: []string{"--workloads", "disk", "--workloads", "memory"}}, []string{"disk", "memory"}},
		{"all", in{args: []string{"--workloads", "all"}}, implicit},
		{"file disables one", in{args: []string{"--config", "c"}, files: map[string]string{"c": "workloads:\n  database:\n    enabled: false\n"}}, without(implicit, "database")},
		{"flag overrides file's enabled", in{args: []string{"--config", "c", "--workloads", "database"}, files: map[string]string{"c": "workloads:\n  database:\n    enabled: false\n"}}, []string{"database"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.in)
			var got []string
			for _, w := range c.Workloads {
				got = append(got, w.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParamsAreCanonical(t *testing.T) {
	c := mustLoad(t, in{args: []string{"--workloads", "disk", "--params", "disk.block-size=64k,disk.file-size=2GiB", "--params", "disk.runtime=0120"}})
	d := workload(c, "disk")
	want := workloads.Values{"block-size": "65536", "file-size": "2147483648", "runtime": "120", "read-percent": "70", "iodepth": "16", "iops": "0", "mibps": "0"}
	if diff := cmp.Diff(want, d.Params); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSSH(t *testing.T) {
	files := map[string]string{"k.pub": "# my keys\n" + testKey + "\n\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDhJ2P4mTQ7uhj4fzjWlYOMB8lw3a5E5u0kULQW9rmcGBvNkXUM0J2CMnA7A7dvtbj1cBsbZVj0PbdsaCmqbSPvqVgnu4qUPrYRdZIGwGr6Z6yUyUjTfFXMc3Ba/wh8yGtd2nj1qzS8hRrPt2jtqt7szybz6RK2g1H+gsUhTjOjiQ== second\n", "pw": "s3cret pass\n"}
	c := mustLoad(t, in{args: []string{"--ssh-user", "ops", "--ssh-key-file", "k.pub", "--ssh-password-file", "pw"}, files: files})
	if c.SSH.User != "ops" || len(c.SSH.AuthorizedKeys) != 2 {
		t.Fatalf("SSH = %+v", c.SSH)
	}
	if c.SSH.AuthorizedKeys[0] != testKey {
		t.Errorf("key 0 = %q", c.SSH.AuthorizedKeys[0])
	}
	if !strings.HasPrefix(c.SSH.PasswordHash, "$6$") || strings.Contains(c.SSH.PasswordHash, "s3cret") {
		t.Fatalf("PasswordHash = %q", c.SSH.PasswordHash)
	}
	salt := strings.Split(c.SSH.PasswordHash, "$")[2]
	want, _ := sha512Crypt("s3cret pass", salt)
	if c.SSH.PasswordHash != want {
		t.Errorf("hash %s does not verify against the password (want %s)", c.SSH.PasswordHash, want)
	}
	// Same run, same hash (byte-identical renders); another run, another salt.
	again := mustLoad(t, in{args: []string{"--ssh-user", "ops", "--ssh-password-file", "pw"}, files: files})
	other := mustLoad(t, in{args: []string{"--ssh-user", "ops", "--ssh-password-file", "pw", "--run-id", "77777777-7777-4777-8777-777777777777"}, files: files})
	if again.SSH.PasswordHash != c.SSH.PasswordHash || other.SSH.PasswordHash == c.SSH.PasswordHash {
		t.Errorf("salt must follow the run id: same run %v, other run %v", again.SSH.PasswordHash == c.SSH.PasswordHash, other.SSH.PasswordHash == c.SSH.PasswordHash)
	}
	envPw := mustLoad(t, in{env: map[string]string{"VIRTWORK_SSH_USER": "ops", "VIRTWORK_SSH_PASSWORD": "s3cret pass"}})
	if envPw.SSH.PasswordHash != c.SSH.PasswordHash {
		t.Errorf("VIRTWORK_SSH_PASSWORD hashes differently from the same password in a file")
	}
}

// TestBadInput: every mistake is one ErrInvalid line that names its
// source and says what to do.
func TestBadInput(t *testing.T) {
	disableAll := "workloads:\n"
	for _, name := range implicit {
		disableAll += "  " + name + ": {enabled: false}\n"
	}
	cfgFile := func(s string) map[string]string { return map[string]string{"c.yaml": s} }
	withCfg := []string{"--config", "c.yaml"}
	tests := []struct {
		name string
		in   in
		want string
	}{
		{"unknown workload", in{args: []string{"--workloads", "cpux"}}, `--workloads: unknown workload "cpux" (did you mean "cpu"?) (known: ` + strings.Join(allNames, ", ") + ")"},
		{"duplicated workload", in{args: []string{"--workloads", "cpu,cpu"}}, `--workloads lists "cpu" twice`},
		{"empty workload entry", in{args: []string{"--workloads", "cpu,"}}, `--workloads has an empty entry`},
		{"vm count zero", in{args: []string{"--vm-count", "0"}}, `--vm-count must be between 1 and 10000, got 0`},
		{"vm count text", in{args: []string{"--vm-count", "three"}}, `--vm-count must be an integer between 1 and 10000, got "three"`},
		{"vm count env", in{env: map[string]string{"VIRTWORK_VM_COUNT": "50000"}}, `VIRTWORK_VM_COUNT must be between 1 and 10000, got 50000`},
		{"overridden env still checked", in{args: []string{"--vm-count", "2"}, env: map[string]string{"VIRTWORK_VM_COUNT": "x"}}, `VIRTWORK_VM_COUNT must be an integer`},
		{"cores", in{args: []string{"--cpu-cores", "129"}}, `--cpu-cores must be between 1 and 128, got 129`},
		{"memory unparsable", in{args: []string{"--memory", "2GB"}}, `--memory must be a quantity such as 2Gi or 512Mi, got "2GB"`},
		{"memory too small", in{args: []string{"--memory", "64Mi"}}, `--memory must be between 256Mi and 1Ti, got 64Mi`},
		{"disk size", in{args: []string{"--disk-size", "100Mi"}}, `--disk-size must be between 1Gi and 64Ti, got 100Mi`},
		{"fractional bytes", in{args: []string{"--memory", "1.5"}}, `--memory must be between 256Mi and 1Ti`},
		{"namespace", in{ns: "Bad_NS"}, `--namespace must be a valid namespace name`},
		{"namespace env", in{env: map[string]string{"VIRTWORK_NAMESPACE": "-x"}}, `VIRTWORK_NAMESPACE must be a valid namespace name`},
		{"empty image", in{args: []string{"--image", ""}}, `--image must not be empty`},
		{"image with spaces", in{args: []string{"--image", "quay.io/x y"}}, `--image must be an image reference`},
		{"image alias", in{args: []string{"--container-disk-image", "UPPER/case"}}, `--image must be an image reference`},
		{"storage class", in{args: []string{"--storage-class", "Fast_SSD"}}, `--storage-class must be a StorageClass name`},
		{"run id", in{args: []string{"--run-id", "abc"}}, `--run-id must be a UUID`},
		{"timeout", in{env: map[string]string{"VIRTWORK_TIMEOUT": "5"}}, `VIRTWORK_TIMEOUT must be a duration such as 10m or 90s, got "5"`},
		{"timeout range", in{args: []string{"--timeout", "1s"}}, `--timeout must be between 10s and 24h0m0s, got 1s`},
		{"preinstalled env", in{env: map[string]string{"VIRTWORK_PREINSTALLED": "yes"}}, `VIRTWORK_PREINSTALLED must be true or false, got "yes"`},
		{"preinstalled flag", in{args: []string{"--preinstalled=maybe"}}, `--preinstalled must be true or false, got "maybe"`},
		{"preinstalled per workload", in{args: withCfg, files: cfgFile("workloads:\n  cpu:\n    preinstalled: sometimes\n")}, `c.yaml:3: workloads.cpu.preinstalled must be true or false, got "sometimes"`},
		{"param syntax", in{args: []string{"--params", "cpu=80"}}, `--params: "cpu=80" must look like WORKLOAD.PARAM=VALUE`},
		{"param unknown workload", in{args: []string{"--params", "cpux.load-percent=80"}}, `--params cpux.load-percent=80: unknown workload "cpux" (did you mean "cpu"?)`},
		{"param unknown key", in{args: []string{"--params", "cpu.load-percen=80"}}, `--params cpu.load-percen=80: workload cpu has no param "load-percen" (did you mean "load-percent"?) (known: load-percent, method)`},
		{"param out of range", in{args: []string{"--params", "cpu.load-percent=101"}}, `--params cpu.load-percent=101: load-percent must be between 1 and 100, got 101`},
		{"param mistyped", in{env: map[string]string{"VIRTWORK_PARAMS": "disk.runtime=fast"}}, `VIRTWORK_PARAMS disk.runtime=fast: runtime must be an integer between 10 and 86400, got "fast"`},
		{"param enum", in{args: []string{"--params", "network.protocol=sctp"}}, `--params network.protocol=sctp: protocol must be one of tcp, udp, got "sctp"`},
		{"param injection", in{args: []string{"--params", "cpu.method=all;reboot"}}, `--params cpu.method=all;reboot: method must be one of`},
		{"param size", in{args: []string{"--params", "disk.block-size=4X"}}, `--params disk.block-size=4X: block-size must be a size such as 4K, 512Mi or 1G`},
		{"files do not fit the disk", in{args: []string{"--workloads", "disk", "--disk-size", "2Gi"}}, `workload disk (disk size from --disk-size): two fio files of 1G need 2G, more than 90% of the 2G data disk`},
		{"missing config", in{args: withCfg}, `--config: cannot read config file: file does not exist`},
		{"missing config env", in{env: map[string]string{"VIRTWORK_CONFIG": "nope.yaml"}}, `VIRTWORK_CONFIG: cannot read config file`},
		{"invalid yaml", in{args: withCfg, files: cfgFile("vm_count: [1\n")}, `c.yaml: not valid YAML`},
		{"unknown top key", in{args: withCfg, files: cfgFile("vmcount: 3\n")}, `c.yaml:1: vmcount: unknown key (did you mean "vm_count"?)`},
		{"unknown workload key", in{args: withCfg, files: cfgFile("workloads:\n  cpu:\n    vm_cont: 2\n")}, `c.yaml:3: workloads.cpu.vm_cont: unknown key (did you mean "vm_count"?)`},
		{"unknown workload in file", in{args: withCfg, files: cfgFile("workloads:\n  dbase:\n    vm_count: 2\n")}, `c.yaml:2: workloads.dbase: unknown workload "dbase"`},
		{"bad value in file", in{args: withCfg, files: cfgFile("workloads:\n  cpu:\n    vm_count: 0\n")}, `c.yaml:3: workloads.cpu.vm_count must be between 1 and 10000, got 0`},
		{"bad param in file", in{args: withCfg, files: cfgFile("workloads:\n  cpu:\n    params:\n      load-percent: lots\n")}, `c.yaml:4: workloads.cpu.params.load-percent: load-percent must be an integer`},
		{"unknown param in file", in{args: withCfg, files: cfgFile("workloads:\n  cpu:\n    params:\n      loadpercent: 3\n")}, `c.yaml:4: workloads.cpu.params.loadpercent: workload cpu has no param "loadpercent" (did you mean "load-percent"?)`},
		{"list where scalar", in{args: withCfg, files: cfgFile("memory: [2Gi]\n")}, `c.yaml:1: memory must be a single value, not a list`},
		{"enabled not bool", in{args: withCfg, files: cfgFile("workloads:\n  cpu:\n    enabled: maybe\n")}, `c.yaml:3: workloads.cpu.enabled must be true or false`},
		{"top level not a mapping", in{args: withCfg, files: cfgFile("- a\n")}, `c.yaml:1: the top level must be a mapping`},
		{"two documents", in{args: withCfg, files: cfgFile("a: 1\n---\nb: 2\n")}, `c.yaml: must hold one YAML document`},
		{"all disabled", in{args: withCfg, files: cfgFile(disableAll)}, `the config file disables every workload`},
		{"ssh key file missing", in{args: []string{"--ssh-key-file", "none.pub"}}, `--ssh-key-file: cannot read SSH key file: file does not exist`},
		{"ssh private key", in{args: []string{"--ssh-key-file", "id"}, files: map[string]string{"id": "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n"}}, `--ssh-key-file id is a private key; give the public key (the .pub file)`},
		{"ssh garbage key", in{args: []string{"--ssh-key", "not a key"}}, `--ssh-key is not an SSH public key`},
		{"ssh user", in{args: []string{"--ssh-user", "Root Admin"}}, `--ssh-user must be a Linux user name`},
		{"password without user", in{env: map[string]string{"VIRTWORK_SSH_PASSWORD": "x"}}, `VIRTWORK_SSH_PASSWORD needs --ssh-user`},
		{"empty password file", in{args: []string{"--ssh-user", "a", "--ssh-password-file", "pw"}, files: map[string]string{"pw": "\n"}}, `--ssh-password-file: the password file pw is empty`},
		{"empty list env", in{env: map[string]string{"VIRTWORK_WORKLOADS": " , "}}, `VIRTWORK_WORKLOADS is set but empty`},
		// Stricter since every source's value of every row is parsed once,
		// and the file is read with pkg/yamlfile.
		{"overridden ssh key still checked", in{args: []string{"--ssh-key", testKey}, env: map[string]string{"VIRTWORK_SSH_KEY": "not a key"}}, `VIRTWORK_SSH_KEY is not an SSH public key`},
		{"key given twice in file", in{args: withCfg, files: cfgFile("vm_count: 1\nvm_count: 2\n")}, `c.yaml:2: vm_count: given twice`},
		{"ssh section key", in{args: withCfg, files: cfgFile("ssh:\n  usr: ops\n")}, `c.yaml:2: ssh.usr: unknown key (did you mean "user"?)`},
		{"node selector syntax", in{args: []string{"--node-selector", "zone"}}, `--node-selector: "zone" must be KEY=VALUE`},
		{"node selector key", in{args: []string{"--node-selector", "bad key=a"}}, `--node-selector: "bad key" is not a label key`},
		{"node selector value", in{env: map[string]string{"VIRTWORK_NODE_SELECTOR": "zone=a b"}}, `VIRTWORK_NODE_SELECTOR: "a b" is not a label value for zone`},
		{"node selector key twice", in{args: []string{"--node-selector", "zone=a", "--node-selector", "zone=b"}}, `--node-selector gives zone twice ("a" and "b"); a node has one value per label, give the key once`},
		{"toleration effect", in{args: []string{"--tolerate", "dedicated=virt:NoScheduling"}}, `--tolerate: "dedicated=virt:NoScheduling" has the unknown effect "NoScheduling"; use NoSchedule, PreferNoSchedule, NoExecute`},
		{"toleration no effect", in{args: []string{"--tolerate", "dedicated=virt"}}, `--tolerate: "dedicated=virt" has no :EFFECT`},
		{"toleration key", in{args: []string{"--tolerate", "=virt:NoSchedule"}}, `--tolerate: "" is not a taint key`},
		{"spread", in{args: []string{"--spread", "rack"}}, `--spread must be hostname (evenly over nodes) or zone (evenly over topology.kubernetes.io/zone), got "rack"`},
		{"vms per node zero", in{args: []string{"--vms-per-node", "0"}}, `--vms-per-node must be between 1 and 10000, got 0`},
		{"vms per node in file", in{args: withCfg, files: cfgFile("workloads:\n  cpu:\n    vms_per_node: -1\n")}, `c.yaml:3: workloads.cpu.vms_per_node must be between 1 and 10000, got -1`},
		{"eviction strategy", in{args: []string{"--eviction-strategy", "Migrate"}}, `--eviction-strategy must be LiveMigrate (move the VM off a draining node) or None (stop it), got "Migrate"`},
		{"tolerations not a list", in{args: withCfg, files: cfgFile("tolerations: a:NoSchedule\n")}, `c.yaml:1: tolerations must be a list`},
		{"list key given a value", in{args: withCfg, files: cfgFile("workload_dirs: wl\n")}, `c.yaml:1: workload_dirs must be a list`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.in)
			if err == nil {
				t.Fatalf("want error containing %q, got none", tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q is not ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n  %s\nwant it to contain\n  %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

// TestREADMESettingsTable keeps the README's settings table what the rows
// generate: a setting added, renamed or redocumented without `make docs`
// fails here.
func TestREADMESettingsTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ReplaceSettingsTable(readme)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(readme)); diff != "" {
		t.Errorf("README.md's settings table is stale (-generated +README); run make docs:\n%s", diff)
	}
}

// TestRows checks the settings table itself: every name is spelled once,
// every flag is registered by some command, every row says where its value
// goes or which resolver step places it.
func TestRows(t *testing.T) {
	seen := map[string]bool{}
	once := func(kind, name string) {
		if name == "" {
			return
		}
		if seen[kind+" "+name] {
			t.Errorf("%s %q is in two rows", kind, name)
		}
		seen[kind+" "+name] = true
	}
	for _, r := range rows {
		m := r.info()
		once("flag", m.flag)
		once("env", m.env)
		once("file key", m.file)
		if !strings.HasPrefix(m.env, "VIRTWORK_") {
			t.Errorf("%s: variables start with VIRTWORK_", m.env)
		}
		if m.flag != "" && !m.kubectl && (m.groups == 0 || m.typ == "") {
			t.Errorf("%s: a flag needs a type and the commands that register it", m.env)
		}
		if m.perWorkload && m.file == "" {
			t.Errorf("%s: a per-workload setting needs a file key", m.env)
		}
		if m.doc == "" {
			t.Errorf("%s has no doc", m.env)
		}
		if !r.placed() && m.step == "" {
			t.Errorf("%s neither puts its value anywhere nor names the resolver step that does", m.env)
		}
	}
}

// chaosTest is a chaos workload for selection tests.
type chaosTest struct{}

func (chaosTest) Spec() workloads.Spec {
	return workloads.Spec{Name: "chaos-test", Chaos: true, Roles: []workloads.Role{{Name: "worker", Unit: "x.service"}}}
}

func (chaosTest) CloudConfig(workloads.Instance) (workloads.CloudConfig, error) {
	return workloads.CloudConfig{}, nil
}

// TestChaosIsNeverImplicit: chaos workloads run only when named.
func TestChaosIsNeverImplicit(t *testing.T) {
	cpu, _ := workloads.Builtin().Get("cpu")
	reg, err := workloads.NewRegistry(cpu, chaosTest{})
	if err != nil {
		t.Fatal(err)
	}
	load := func(args ...string) []string {
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		f := NewFlags()
		f.AddFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		c, err := Load(reg, Sources{Flags: f, LookupEnv: func(string) (string, bool) { return "", false },
			ReadFile: func(string) ([]byte, error) { return nil, os.ErrNotExist }, NewRunID: func() string { return testRunID }})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, w := range c.Workloads {
			names = append(names, w.Name)
		}
		return names
	}
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"cpu"}},
		{[]string{"--workloads", "all"}, []string{"cpu"}},
		{[]string{"--workloads", "chaos-test"}, []string{"chaos-test"}},
		{[]string{"--workloads", "all,chaos-test"}, []string{"chaos-test", "cpu"}},
	} {
		if diff := cmp.Diff(tt.want, load(tt.args...)); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tt.args, diff)
		}
	}
}

func TestGuest(t *testing.T) {
	cases := []struct {
		name      string
		i         in
		guest     workloads.Guest
		image     string
		wantError string
	}{
		{"default", in{}, workloads.Fedora, DefaultImage, ""},
		{"from a well-known image", in{args: []string{"--image", "quay.io/containerdisks/ubuntu:22.04"}}, workloads.Ubuntu, "quay.io/containerdisks/ubuntu:22.04", ""},
		{"from an image digest", in{args: []string{"--image", "quay.io/containerdisks/debian@sha256:" + strings.Repeat("a", 64)}}, workloads.Debian, "quay.io/containerdisks/debian@sha256:" + strings.Repeat("a", 64), ""},
		{"unknown image", in{args: []string{"--image", "registry.example.com/my/image:1"}}, workloads.Fedora, "registry.example.com/my/image:1", ""},
		{"unknown image, guest given", in{args: []string{"--image", "registry.example.com/my/image:1", "--guest", "centos-stream"}}, workloads.CentOSStream, "registry.example.com/my/image:1", ""},
		{"guest alone picks its image", in{env: map[string]string{"VIRTWORK_GUEST": "debian"}}, workloads.Debian, "quay.io/containerdisks/debian:12", ""},
		{"guest from the file", in{args: []string{"--config", "c.yaml"}, files: map[string]string{"c.yaml": "guest: ubuntu\n"}}, workloads.Ubuntu, "quay.io/containerdisks/ubuntu:24.04", ""},
		{"contradiction", in{args: []string{"--guest", "debian", "--image", "quay.io/containerdisks/fedora:44"}}, "", "", "--guest is debian, but the image quay.io/containerdisks/fedora:44 is a fedora image; drop --guest or use a debian image"},
		{"unknown family", in{args: []string{"--guest", "debain"}}, "", "", `--guest must be one of fedora, centos-stream, ubuntu, debian, rhel, got "debain" (did you mean "debian"?)`},
		{"rhel alone has no image", in{args: []string{"--guest", "rhel"}}, "", "", "--guest is rhel, which has no public containerDisk; give --boot-source datasource:NAMESPACE/NAME"},
		{"tps on rhel", in{args: []string{"--boot-source", "datasource:openshift-virtualization-os-images/rhel9", "--workloads", "tps"}}, "", "", "--boot-source: workload tps cannot run on a rhel guest: netperf is only in EPEL"},
		{"workload the family cannot run", in{args: []string{"--guest", "debian", "--workloads", "tps"}}, "", "", "--guest: workload tps cannot run on a debian guest: netperf is only in Debian's non-free archive"},
		{"tps named on centos", in{args: []string{"--image", "quay.io/containerdisks/centos-stream:9", "--workloads", "all,tps"}}, "", "", "--image: workload tps cannot run on a centos-stream guest: netperf is only in EPEL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := load(t, c.i)
			if c.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantError) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("got %v, want an ErrInvalid containing %q", err, c.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Guest != c.guest || cfg.Image != c.image {
				t.Errorf("guest %s image %s, want %s %s", cfg.Guest, cfg.Image, c.guest, c.image)
			}
		})
	}
}

// TestImplicitSelectionFitsTheGuest: by default and with "all", a guest
// family runs every workload it can; tps needs netperf, which Debian lacks.
func TestImplicitSelectionFitsTheGuest(t *testing.T) {
	for _, args := range [][]string{{"--guest", "debian"}, {"--guest", "debian", "--workloads", "all"}} {
		c := mustLoad(t, in{args: args})
		var names []string
		for _, w := range c.Workloads {
			names = append(names, w.Name)
		}
		if diff := cmp.Diff(without(implicit, "tps"), names); diff != "" {
			t.Errorf("%v (-want +got):\n%s", args, diff)
		}
	}
}
