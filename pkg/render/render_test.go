package render

import (
	"bytes"
	"encoding/base64"
	"flag"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
	kubevirtv1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/lint"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const testRunID = "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93"

// testConfig is a resolved config for the named workloads with defaults.
func testConfig(t testing.TB, vmCount int, names ...string) *config.Config {
	t.Helper()
	reg := workloads.Builtin()
	cfg := &config.Config{RunID: testRunID, Namespace: "virtwork", Image: config.DefaultImage, Timeout: config.DefaultTimeout}
	for _, n := range names {
		w, ok := reg.Get(n)
		if !ok {
			t.Fatalf("no workload %q", n)
		}
		params, err := w.Spec().Defaults()
		if err != nil {
			t.Fatal(err)
		}
		cfg.Workloads = append(cfg.Workloads, config.Workload{
			Name: n, VMCount: vmCount, CPUCores: 2, Memory: resource.MustParse("2Gi"),
			DiskSize: resource.MustParse("10Gi"), Params: params,
		})
	}
	return cfg
}

func mustRender(t testing.TB, cfg *config.Config) *Bundle {
	t.Helper()
	b, err := Render(Input{Config: cfg, Registry: workloads.Builtin()})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return b
}

func yamlOf(t testing.TB, b *Bundle) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := b.WriteYAML(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// secretUserData returns each Secret's decoded user-data by Secret name.
func secretUserData(t testing.TB, b *Bundle) map[string]string {
	t.Helper()
	out := map[string]string{}
	for obj := range b.Objects() {
		if obj.GetKind() != "Secret" {
			continue
		}
		enc, _, _ := unstructured.NestedString(obj.Object, "data", userDataKey)
		data, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			t.Fatalf("secret %s: %v", obj.GetName(), err)
		}
		out[obj.GetName()] = string(data)
	}
	return out
}

// TestGolden renders each workload (two instances, so pairs and shared
// Secrets show) and compares the manifests and the decoded user-data.
func TestGolden(t *testing.T) {
	for _, name := range workloads.Builtin().Names() {
		t.Run(name, func(t *testing.T) {
			b := mustRender(t, testConfig(t, 2, name))
			tools.Golden(t, filepath.Join("testdata", name+".yaml"), yamlOf(t, b), *update, "./pkg/render")
			for secret, ud := range secretUserData(t, b) {
				tools.Golden(t, filepath.Join("testdata", "userdata", secret+".yaml"), []byte(ud), *update, "./pkg/render")
			}
		})
	}
}

func TestGoldenJSONAndSSH(t *testing.T) {
	cfg := testConfig(t, 1, "cpu")
	cfg.Namespace = "load-test"
	cfg.SSH = config.SSH{
		User:           "ops",
		AuthorizedKeys: []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host"},
		PasswordHash:   "$6$saltsaltsaltsalt$hash",
	}
	b := mustRender(t, cfg)
	var buf bytes.Buffer
	if err := b.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	tools.Golden(t, filepath.Join("testdata", "cpu-ssh.json"), buf.Bytes(), *update, "./pkg/render")
	for secret, ud := range secretUserData(t, b) {
		tools.Golden(t, filepath.Join("testdata", "userdata", secret+"-ssh.yaml"), []byte(ud), *update, "./pkg/render")
	}
	// JSON and YAML describe the same objects.
	var list struct{ Items []map[string]any }
	if err := yaml.Unmarshal(buf.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(list.Items, objectsFromYAML(t, yamlOf(t, b))); diff != "" {
		t.Errorf("JSON and YAML disagree (-json +yaml):\n%s", diff)
	}
}

func objectsFromYAML(t testing.TB, data []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, doc := range strings.Split(string(data), "---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var m map[string]any
		if err := yaml.UnmarshalStrict([]byte(doc), &m); err != nil {
			t.Fatalf("output is not valid YAML: %v\n%s", err, doc)
		}
		out = append(out, m)
	}
	return out
}

func TestDeterministic(t *testing.T) {
	cfg := testConfig(t, 3, "cpu", "database", "disk", "memory", "network")
	first := yamlOf(t, mustRender(t, cfg))
	for range 3 {
		if again := yamlOf(t, mustRender(t, cfg)); !bytes.Equal(first, again) {
			t.Fatal("two renders of the same input differ")
		}
	}
	other := testConfig(t, 3, "cpu", "database", "disk", "memory", "network")
	other.RunID = "77777777-7777-4777-8777-777777777777"
	b := mustRender(t, other)
	names := map[string]bool{}
	for obj := range mustRender(t, cfg).Objects() {
		names[obj.GetKind()+"/"+obj.GetName()] = true
	}
	for obj := range b.Objects() {
		if obj.GetKind() != "Namespace" && names[obj.GetKind()+"/"+obj.GetName()] {
			t.Errorf("%s %s is named the same in two runs; the second would overwrite the first", obj.GetKind(), obj.GetName())
		}
	}
}

// TestBundleShape checks order, labels, names, pairing and the VM spec
// against the KubeVirt API types.
func TestBundleShape(t *testing.T) {
	b := mustRender(t, testConfig(t, 12, "cpu", "database", "disk", "memory", "network"))
	kindRank := map[string]int{"Namespace": 0, "Service": 1, "Secret": 2, "VirtualMachine": 3}
	prevRank, prevName := -1, ""
	services := map[string]map[string]string{} // name -> selector
	secrets := map[string]bool{}
	var vms []*kubevirtv1.VirtualMachine
	for obj := range b.Objects() {
		rank := kindRank[obj.GetKind()]
		if rank < prevRank || rank == prevRank && obj.GetName() <= prevName {
			t.Errorf("%s %s out of order after %s", obj.GetKind(), obj.GetName(), prevName)
		}
		prevRank, prevName = rank, obj.GetName()
		l := obj.GetLabels()
		if l[labels.ManagedBy] != "virtwork" || l[labels.RunID] != testRunID {
			t.Errorf("%s %s labels %v lack managed-by/run-id", obj.GetKind(), obj.GetName(), l)
		}
		if obj.GetKind() != "Namespace" && (l[labels.Component] == "" || l[labels.Role] == "") {
			t.Errorf("%s %s labels %v lack component/role", obj.GetKind(), obj.GetName(), l)
		}
		if errs := validation.IsDNS1123Subdomain(obj.GetName()); len(errs) > 0 {
			t.Errorf("name %q: %v", obj.GetName(), errs)
		}
		if _, ok := obj.Object["status"]; ok {
			t.Errorf("%s %s has a status", obj.GetKind(), obj.GetName())
		}
		switch obj.GetKind() {
		case "Service":
			sel, _, _ := unstructured.NestedStringMap(obj.Object, "spec", "selector")
			services[obj.GetName()] = sel
		case "Secret":
			secrets[obj.GetName()] = true
		case "VirtualMachine":
			data, _ := yaml.Marshal(obj.Object)
			vm := &kubevirtv1.VirtualMachine{}
			if err := yaml.UnmarshalStrict(data, vm); err != nil {
				t.Fatalf("VM %s does not match the KubeVirt API: %v", obj.GetName(), err)
			}
			vms = append(vms, vm)
		}
	}
	if len(vms) != 12*6 {
		t.Fatalf("got %d VMs, want %d", len(vms), 12*6)
	}
	// One Secret per role, network's clients included.
	if want := 4 + 1 + 1; len(secrets) != want {
		t.Errorf("got %d Secrets, want %d", len(secrets), want)
	}
	for _, vm := range vms {
		name := vm.Name
		if len(name) > 63 {
			t.Errorf("VM name %s longer than 63", name)
		}
		spec := vm.Spec.Template.Spec
		if *vm.Spec.RunStrategy != kubevirtv1.RunStrategyAlways {
			t.Errorf("%s runStrategy %v", name, *vm.Spec.RunStrategy)
		}
		if diff := cmp.Diff(vm.Labels, vm.Spec.Template.ObjectMeta.Labels); diff != "" {
			t.Errorf("%s template labels differ from the VM's: %s", name, diff)
		}
		var secretRef, dvName string
		for _, v := range spec.Volumes {
			if v.CloudInitNoCloud != nil {
				secretRef = v.CloudInitNoCloud.UserDataSecretRef.Name
			}
			if v.DataVolume != nil {
				dvName = v.DataVolume.Name
			}
		}
		if !secrets[secretRef] {
			t.Errorf("%s refers to missing Secret %q", name, secretRef)
		}
		component := vm.Labels[labels.Component]
		wantDisk := component == "database" || component == "disk"
		if wantDisk != (dvName != "") || wantDisk != (len(vm.Spec.DataVolumeTemplates) == 1) {
			t.Errorf("%s: data volume %q with %d templates", name, dvName, len(vm.Spec.DataVolumeTemplates))
		}
		if wantDisk {
			dvt := vm.Spec.DataVolumeTemplates[0]
			if dvt.Name != dvName || dvt.Labels[labels.RunID] != testRunID || dvt.Spec.Source.Blank == nil ||
				dvt.Spec.Storage.Resources.Requests.Storage().String() != "10Gi" {
				t.Errorf("%s: data volume template %+v", name, dvt)
			}
			serial := ""
			for _, d := range spec.Domain.Devices.Disks {
				if d.Name == dataDisk {
					serial = d.Serial
				}
			}
			if serial != "virtwork-data" {
				t.Errorf("%s: data disk serial %q", name, serial)
			}
		}
		if component == "network" {
			// Every server is selected by exactly one Service, its pair's.
			matches := 0
			for _, sel := range services {
				ok := true
				for k, v := range sel {
					if vm.Spec.Template.ObjectMeta.Labels[k] != v {
						ok = false
					}
				}
				if ok {
					matches++
				}
			}
			want := 0
			if vm.Labels[labels.Role] == "server" {
				want = 1
			}
			if matches != want {
				t.Errorf("%s is selected by %d Services, want %d", name, matches, want)
			}
		}
	}
}

// TestNetworkClientsTargetTheirOwnServer: pair i's client talks to pair i's
// Service and nothing else. All clients share one Secret; each applies its
// runcmd's rule to its own name, as the guest's script does (which
// pkg/workloads holds equal to HostRule.Host).
func TestNetworkClientsTargetTheirOwnServer(t *testing.T) {
	for _, name := range []string{"network", "tps"} {
		b := mustRender(t, testConfig(t, 3, name))
		uds := secretUserData(t, b)
		ud, ok := uds[roleSecretName(name, testRunID, "client")]
		if !ok || len(uds) != 2 {
			t.Fatalf("%s: Secrets %v, want one per role", name, slices.Sorted(maps.Keys(uds)))
		}
		cc, err := lint.Parse([]byte(ud))
		if err != nil {
			t.Fatal(err)
		}
		var steps []workloads.ServiceHostStep
		for _, c := range cc.RunCmd {
			if s, ok := workloads.ParseServiceHostCmd(c); ok {
				steps = append(steps, s)
			}
		}
		if len(steps) != 1 || steps[0].File != workloads.EnvFilePath(name) {
			t.Fatalf("%s: Service host steps %+v", name, steps)
		}
		for _, vm := range b.VMsOf(name) {
			if vm.Role != "client" {
				continue
			}
			host, err := steps[0].Rule.Host(vm.Name)
			if want := serviceName(name, testRunID, vm.Instance) + ".virtwork.svc"; err != nil || host != want {
				t.Errorf("%s: client %s reaches %q (%v), want %s", name, vm.Name, host, err, want)
			}
		}
	}
}

// TestServiceHostRuleCoversRoleCounts: a custom client role with several VMs
// per instance (names ...-<i>-<j>) and a long namespace still maps each VM
// to its own instance's Service.
func TestServiceHostRuleCoversRoleCounts(t *testing.T) {
	spec := workloads.Spec{Name: "echo", Roles: []workloads.Role{{Name: "server"}, {Name: "client", Count: 3}}}
	r := serviceHostRule(spec, testRunID, "client", "load-test-ns")
	for i := range 12 {
		for j := range 3 {
			vm := vmName("echo", testRunID, "client", true, i, j, 3)
			if host, err := r.Host(vm); err != nil || host != serviceName("echo", testRunID, i)+".load-test-ns.svc" {
				t.Errorf("%s: %q, %v", vm, host, err)
			}
		}
	}
	if _, err := r.Host(vmName("echo", testRunID, "server", true, 0, 0, 1)); err == nil {
		t.Error("a server VM's name gave a Service host")
	}
}

func TestUserDataTooLarge(t *testing.T) {
	cfg := testConfig(t, 1, "cpu")
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
	for range 20000 {
		cfg.SSH.AuthorizedKeys = append(cfg.SSH.AuthorizedKeys, key)
	}
	_, err := Render(Input{Config: cfg, Registry: workloads.Builtin()})
	if err == nil || !strings.Contains(err.Error(), "workload cpu: cloud-init user-data for role worker is") {
		t.Fatalf("want a size error naming the workload, got %v", err)
	}
}

func TestObjectsAreCopies(t *testing.T) {
	b := mustRender(t, testConfig(t, 2, "disk"))
	before := yamlOf(t, b)
	for obj := range b.Objects() {
		unstructured.RemoveNestedField(obj.Object, "spec")
		obj.SetLabels(nil)
	}
	if after := yamlOf(t, b); !bytes.Equal(before, after) {
		t.Error("changing yielded objects changed the bundle")
	}
}

func TestCounts(t *testing.T) {
	b := mustRender(t, testConfig(t, 2, "network", "cpu"))
	want := map[string]int{"Namespace": 1, "Service": 2, "Secret": 1 + 1 + 1, "VirtualMachine": 2 + 4}
	if diff := cmp.Diff(want, b.Counts()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	n := 0
	for range b.Objects() {
		n++
	}
	if n != b.Len() {
		t.Errorf("Objects yielded %d, Len says %d", n, b.Len())
	}
}

// exampleConfig loads the shipped custom workload examples the way a run
// does (--workload-dir), with vmCount instances of each named one.
func exampleConfig(t testing.TB, vmCount int, names ...string) *config.Config {
	t.Helper()
	fs := pflag.NewFlagSet("example", pflag.ContinueOnError)
	flags := config.NewFlags()
	flags.AddFlags(fs)
	args := []string{"--workload-dir", "../../examples/workloads", "--workloads", strings.Join(names, ","),
		"--vm-count", strconv.Itoa(vmCount), "--run-id", testRunID}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(workloads.Builtin(), config.Sources{
		Flags: flags, LookupEnv: func(string) (string, bool) { return "", false },
		ReadFile: os.ReadFile, NewRunID: func() string { return testRunID },
	})
	if err != nil {
		t.Fatalf("loading the examples: %v", err)
	}
	return cfg
}

// exampleNames lists the custom workloads under examples/workloads.
func exampleNames(t testing.TB) []string {
	t.Helper()
	entries, err := workloads.LoadDir(os.DirFS("../../examples/workloads"), "examples/workloads")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Err != nil {
			t.Fatal(e.Err)
		}
		names = append(names, e.Workload.Spec().Name)
	}
	if len(names) < 2 {
		t.Fatalf("examples/workloads holds %d workloads, want at least 2", len(names))
	}
	return names
}

// TestGoldenExamples: the custom workload examples render like built-in
// ones, placeholders filled with the params' defaults.
func TestGoldenExamples(t *testing.T) {
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			cfg := exampleConfig(t, 2, name)
			b, err := Render(Input{Config: cfg, Registry: cfg.Registry})
			if err != nil {
				t.Fatal(err)
			}
			out := yamlOf(t, b)
			tools.Golden(t, filepath.Join("testdata", "examples", name+".yaml"), out, *update, "./pkg/render")
			for secret, ud := range secretUserData(t, b) {
				tools.Golden(t, filepath.Join("testdata", "examples", "userdata", secret+".yaml"), []byte(ud), *update, "./pkg/render")
				if strings.Contains(ud, "{{") {
					t.Errorf("%s: a placeholder was left in the user-data", secret)
				}
			}
		})
	}
}

// TestValkeyExampleDisk: only the server gets the data disk, at the size
// its workload.yaml declares unless disk-size says otherwise.
func TestValkeyExampleDisk(t *testing.T) {
	cfg := exampleConfig(t, 1, "valkey")
	b, err := Render(Input{Config: cfg, Registry: cfg.Registry})
	if err != nil {
		t.Fatal(err)
	}
	for obj := range b.Objects() {
		if obj.GetKind() != "VirtualMachine" {
			continue
		}
		dvts, _, _ := unstructured.NestedSlice(obj.Object, "spec", "dataVolumeTemplates")
		server := strings.Contains(obj.GetName(), "-server-")
		if server != (len(dvts) == 1) {
			t.Errorf("%s has %d data volumes", obj.GetName(), len(dvts))
		}
		if server {
			size, _, _ := unstructured.NestedString(dvts[0].(map[string]any), "spec", "storage", "resources", "requests", "storage")
			if size != "4Gi" {
				t.Errorf("server data disk is %q, want the declared 4Gi", size)
			}
		}
	}
}

// TestRoleCount: a custom role with count N gets N VMs per instance, named
// by instance then by index, all behind the instance's Service.
func TestRoleCount(t *testing.T) {
	dir := fstest.MapFS{
		"workload.yaml": {Data: []byte("name: fan\nroles:\n- {name: server, unit: virtwork-fan-server.service}\n" +
			"- {name: client, unit: virtwork-fan-client.service, count: 3}\n" +
			"service: {role: server, clients: [client], ports: [{name: p, port: 80}]}\n")},
		"virtwork-fan-server.service": {Data: []byte("[Service]\nExecStart=/bin/true\n")},
		"virtwork-fan-client.service": {Data: []byte("[Service]\nExecStart=/bin/true\n")},
	}
	set := pflag.NewFlagSet("count", pflag.ContinueOnError)
	flags := config.NewFlags()
	flags.AddFlags(set)
	if err := set.Parse([]string{"--workload-dir", "fan", "--workloads", "fan", "--vm-count", "2", "--run-id", testRunID}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(workloads.Builtin(), config.Sources{Flags: flags, NewRunID: func() string { return testRunID },
		OpenDir: func(string) fs.FS { return dir }})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(Input{Config: cfg, Registry: cfg.Registry})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{}
	for i := range 2 {
		for j := range 3 {
			want = append(want, vmName("fan", testRunID, "client", true, i, j, 3))
		}
	}
	want = append(want, vmName("fan", testRunID, "server", true, 0, 0, 1), vmName("fan", testRunID, "server", true, 1, 0, 1))
	if diff := cmp.Diff(want, b.VMNames()); diff != "" {
		t.Errorf("VM names (-want +got):\n%s", diff)
	}
	refs := b.VMsOf("fan")
	if len(refs) != len(want) || refs[0] != (VMRef{Name: want[0], Namespace: "virtwork", Role: "client"}) || refs[5] != (VMRef{Name: want[5], Namespace: "virtwork", Role: "client", Instance: 1}) || refs[7] != (VMRef{Name: want[7], Namespace: "virtwork", Role: "server", Instance: 1}) || b.VMsOf("cpu") != nil {
		t.Errorf("VMsOf: %v", refs)
	}
	if !strings.HasSuffix(want[5], "-client-1-2") {
		t.Errorf("name scheme: %s", want[5])
	}
	if n := b.Counts()["Service"]; n != 2 {
		t.Errorf("%d Services, want one per instance", n)
	}
	// Each role's name pattern matches its own VMs and no other's.
	fan, _ := cfg.Registry.Get("fan")
	for _, role := range []string{"client", "server"} {
		re := regexp.MustCompile("^(?:" + VMNamePattern(fan.Spec(), testRunID, role) + ")$")
		for _, vm := range refs {
			if re.MatchString(vm.Name) != (vm.Role == role) {
				t.Errorf("%s's pattern %s on %s (%s): %v", role, re, vm.Name, vm.Role, re.MatchString(vm.Name))
			}
		}
	}
	cpu, _ := workloads.Builtin().Get("cpu")
	re := regexp.MustCompile("^(?:" + VMNamePattern(cpu.Spec(), testRunID, "worker") + ")$")
	if !re.MatchString("virtwork-cpu-3f2b6c1e-12") || re.MatchString("virtwork-cpu-3f2b6c1f-0") || re.MatchString("virtwork-cpu-3f2b6c1e-x-0") {
		t.Errorf("cpu's pattern %s", re)
	}
}

// TestReadinessProbeRunsTheRolesUnit: every VM's readiness probe asks the
// guest whether the very unit its user-data starts is active.
func TestReadinessProbeRunsTheRolesUnit(t *testing.T) {
	cfg := testConfig(t, 1, workloads.Builtin().Names()...)
	b := mustRender(t, cfg)
	uds := secretUserData(t, b)
	n := 0
	for obj := range b.Objects() {
		if obj.GetKind() != "VirtualMachine" {
			continue
		}
		n++
		cmd, _, _ := unstructured.NestedStringSlice(obj.Object, "spec", "template", "spec", "readinessProbe", "exec", "command")
		vols, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "volumes")
		var ud string
		for _, v := range vols {
			if name, ok, _ := unstructured.NestedString(v.(map[string]any), "cloudInitNoCloud", "secretRef", "name"); ok {
				ud = uds[name]
			}
		}
		if len(cmd) != 4 || !cmp.Equal(cmd[:3], []string{"systemctl", "is-active", "--quiet"}) {
			t.Fatalf("%s: probe %v", obj.GetName(), cmd)
		}
		if !strings.Contains(ud, "  - [systemctl, enable, --now, --no-block, "+cmd[3]+"]\n") {
			t.Errorf("%s: probes %s, which its user-data does not start", obj.GetName(), cmd[3])
		}
	}
	if n < len(cfg.Workloads) {
		t.Errorf("checked %d VMs", n)
	}
}
