package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// TestValidateBuiltinDirectories: validate checks a built-in workload's
// directory exactly as a custom one, with the real validators, for every
// built-in; an edited copy of one is a custom workload that takes a
// built-in's name.
func TestValidateBuiltinDirectories(t *testing.T) {
	requireValidators(t)
	var dirs []string
	for _, name := range workloads.Builtin().Names() {
		dirs = append(dirs, filepath.Join("../../templates", name))
	}
	r := execute(t, nil, nil, append([]string{"validate"}, dirs...)...)
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", r.code, r.stderr, r.stdout)
	}
	for _, want := range []string{
		"ok    ../../templates/cpu (cpu)\n      worker: cloud-init schema ok, systemd-analyze verify ok, shellcheck ok\n",
		"ok    ../../templates/tps (tps)\n      server: cloud-init schema ok, systemd-analyze verify ok, shellcheck ok\n      client: cloud-init schema ok, systemd-analyze verify ok, shellcheck ok\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}

	edited := filepath.Join(t.TempDir(), "cpu")
	if err := os.Mkdir(edited, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"workload.yaml", "virtwork-cpu.sh", "virtwork-cpu.service"} {
		data, err := os.ReadFile(filepath.Join("../../templates/cpu", f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "virtwork-cpu.sh" {
			data = append(data, "# edited\n"...)
		}
		if err := os.WriteFile(filepath.Join(edited, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r = execute(t, nil, nil, "validate", edited)
	if want := "FAIL  " + edited + "\n      " + edited + "/workload.yaml:1: name: \"cpu\" is a built-in workload; choose another name\n"; r.code != ExitUsage || r.stdout != want {
		t.Errorf("an edited copy of templates/cpu: exit %d, stdout:\n%s\nwant:\n%s", r.code, r.stdout, want)
	}
}
