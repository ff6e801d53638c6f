package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// TestValidateCommand: validate prints pkg/validate's verdicts on stdout
// and exits 0 when every directory is valid, or 2 with a count on stderr;
// a built-in workload's directory validates like a custom one.
func TestValidateCommand(t *testing.T) {
	tools.RequireValidators(t)
	const cpuOK = "ok    ../../templates/cpu (cpu)\n      worker: cloud-init schema ok, systemd-analyze verify ok, shellcheck ok\n"
	r := execute(t, nil, nil, "validate", "../../templates/cpu")
	if r.code != ExitOK || r.stderr != "" || r.stdout != cpuOK {
		t.Errorf("validate templates/cpu: exit %d, stderr %q, stdout:\n%s", r.code, r.stderr, r.stdout)
	}

	clash := filepath.Join(t.TempDir(), "clash")
	if err := os.Mkdir(clash, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(clash, "workload.yaml"), []byte("name: memory\nroles: [{name: w, unit: virtwork-m.service}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(clash, "virtwork-m.service"), []byte("[Service]\nExecStart=/bin/true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = execute(t, nil, nil, "validate", "../../templates/cpu", clash)
	want := cpuOK + "FAIL  " + clash + "\n      " + clash + "/workload.yaml:1: name: \"memory\" is a built-in workload; choose another name\n"
	if r.code != ExitUsage || r.stderr != "error: 1 of 2 workload directories are invalid\n" || r.stdout != want {
		t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant:\n%s", r.code, r.stderr, r.stdout, want)
	}
}

// TestWorkloadsListsCustom: built-in and custom workloads in one list, with
// where each comes from; the directory can come from the config file,
// relative to it.
func TestWorkloadsListsCustom(t *testing.T) {
	abs, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(abs, "virtwork-test-config.yaml")
	files := map[string]string{cfg: "workload_dirs: [workloads]\n"}
	r := execute(t, nil, files, "workloads", "--config", cfg, "-o", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var infos []workloads.Info
	if err := json.Unmarshal([]byte(r.stdout), &infos); err != nil {
		t.Fatal(err)
	}
	src := map[string]string{}
	for _, w := range infos {
		src[w.Name] = w.Source
	}
	if src["cpu"] != "built-in" || src["valkey"] != filepath.Join(abs, "workloads", "valkey") || src["sysbench-cpu"] == "" {
		t.Errorf("sources: %v", src)
	}
	table := execute(t, nil, nil, "workloads", "--workload-dir", "../../examples/workloads")
	for _, want := range []string{"SOURCE", "valkey ", "../../examples/workloads/valkey", "chaos-disk "} {
		if !strings.Contains(table.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, table.stdout)
		}
	}
}

// TestCustomWorkloadConfigSection: a config file can configure a custom
// workload in its workloads section, like a built-in one.
func TestCustomWorkloadConfigSection(t *testing.T) {
	files := map[string]string{"c.yaml": "workload_dirs: [../../examples/workloads]\nworkloads:\n  valkey:\n    vm_count: 2\n    params:\n      test: get\n"}
	r := execute(t, nil, files, "render", "--config", "c.yaml", "--workloads", "valkey", "--run-id", runID)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if n := strings.Count(r.stdout, "kind: VirtualMachine\n"); n != 4 {
		t.Errorf("%d VMs, want 2 pairs", n)
	}
	bad := map[string]string{"c.yaml": "workloads:\n  valkey:\n    vm_count: 2\n"}
	r = execute(t, nil, bad, "render", "--config", "c.yaml")
	if r.code != ExitUsage || !strings.Contains(r.stderr, `c.yaml:2: workloads.valkey: unknown workload "valkey"`) {
		t.Errorf("a section for a workload no directory defines: exit %d, %q", r.code, r.stderr)
	}
}

// TestAllStaysBuiltin: a workload directory does not change what the
// default selection or "all" runs; custom workloads run when named, and a
// custom chaos workload is warned about and labelled like a built-in one.
func TestAllStaysBuiltin(t *testing.T) {
	plain := execute(t, nil, nil, "render", "--run-id", runID)
	withDir := execute(t, nil, nil, "render", "--run-id", runID, "--workload-dir", "../../examples/workloads")
	all := execute(t, nil, nil, "render", "--run-id", runID, "--workload-dir", "../../examples/workloads", "--workloads", "all")
	if plain.code != 0 || plain.stdout != withDir.stdout || plain.stdout != all.stdout {
		t.Errorf("a workload directory changed the default run (exit %d %d %d)", plain.code, withDir.code, all.code)
	}
	dir := tools.CopyDir(t, "../../examples/workloads")
	spec := filepath.Join(dir, "sysbench-cpu", "workload.yaml")
	data, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spec, []byte(strings.Replace(string(data), "packages:", "chaos: true\npackages:", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := execute(t, nil, nil, "render", "--run-id", runID, "--workload-dir", dir, "--workloads", "sysbench-cpu")
	if r.code != 0 || !strings.Contains(r.stderr, "warning: workload sysbench-cpu injects failures") || !strings.Contains(r.stdout, "virtwork/chaos: \"true\"") {
		t.Errorf("custom chaos workload: exit %d, stderr %q", r.code, r.stderr)
	}
	list := execute(t, nil, nil, "workloads", "--workload-dir", dir)
	if !regexp.MustCompile(`(?m)^sysbench-cpu +\S+ +yes `).MatchString(list.stdout) {
		t.Errorf("workloads does not mark the custom chaos workload:\n%s", list.stdout)
	}
}

// TestRunRefCommandsIgnoreNewRunSettings: wait, status and cleanup read only
// the namespace, run id and timeout, so settings for new runs that happen
// to be in the environment (here invalid ones) do not stop them.
func TestRunRefCommandsIgnoreNewRunSettings(t *testing.T) {
	env := map[string]string{"VIRTWORK_SSH_PASSWORD": "x", "VIRTWORK_WORKLOADS": "nosuch", "VIRTWORK_VM_COUNT": "0"}
	for _, args := range [][]string{{"wait", "--run-id", runID}, {"cleanup", "--run-id", runID}, {"status"}} {
		r := execute(t, env, nil, append(args, "--kubeconfig", "/nonexistent-kubeconfig")...)
		if !strings.Contains(r.stderr, "loading kubeconfig") {
			t.Errorf("%v: got past the settings only to fail on the kubeconfig? stderr %q", args, r.stderr)
		}
	}
	r := execute(t, map[string]string{"VIRTWORK_TIMEOUT": "1ms"}, nil, "wait", "--run-id", runID)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "VIRTWORK_TIMEOUT must be between 10s and 24h") {
		t.Errorf("a bad timeout still stops wait: %d %q", r.code, r.stderr)
	}
}
