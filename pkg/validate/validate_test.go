package validate

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/virtwork/kubectl-virtwork/pkg/lint"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// runDirs runs Dirs as the command does and returns the report and what it
// printed.
func runDirs(t *testing.T, dirs ...string) (Report, string) {
	t.Helper()
	var out bytes.Buffer
	rep := Dirs(context.Background(), Options{Dirs: dirs, Registry: workloads.Builtin(), Out: &out})
	return rep, out.String()
}

func TestDirsExamples(t *testing.T) {
	tools.RequireValidators(t)
	rep, out := runDirs(t, "../../examples/workloads")
	if rep.Invalid() != 0 || len(rep.Entries) < 2 {
		t.Fatalf("%d of %d entries invalid:\n%s", rep.Invalid(), len(rep.Entries), out)
	}
	for _, want := range []string{
		"ok    ../../examples/workloads/sysbench-cpu (sysbench-cpu)\n      worker: cloud-init schema ok, systemd-analyze verify ok, shellcheck ok\n",
		"ok    ../../examples/workloads/valkey (valkey)\n      server: cloud-init schema ok, systemd-analyze verify ok, shellcheck ok\n      client: cloud-init schema ok, systemd-analyze verify ok, shellcheck ok\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestDirsReportsEachEntry: broken entries fail one by one, with the
// validator's own words.
func TestDirsReportsEachEntry(t *testing.T) {
	tools.RequireValidators(t)
	dir := tools.CopyDir(t, "../../examples/workloads")
	edit := func(rel, old, new string) {
		p := filepath.Join(dir, rel)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), old) {
			t.Fatalf("%s lacks %q", rel, old)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// systemd: a misspelt key. shellcheck: an unquoted variable.
	edit("sysbench-cpu/virtwork-sysbench-cpu.service", "Restart=always", "Restrat=always")
	edit("valkey/virtwork-valkey-client.sh", `-h "$VIRTWORK_SERVICE_HOST" -p 6379 ping`, `-h $VIRTWORK_SERVICE_HOST -p 6379 ping`)
	// The same checks as --workload-dir: a clash with a built-in name.
	if err := os.MkdirAll(filepath.Join(dir, "clash"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "clash", "workload.yaml"), []byte("name: memory\nroles: [{name: w, unit: virtwork-m.service}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "clash", "virtwork-m.service"), []byte("[Service]\nExecStart=/bin/true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(t.TempDir(), "good")
	if err := os.Rename(filepath.Join(tools.CopyDir(t, "../../examples/workloads"), "valkey"), good); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing")

	rep, out := runDirs(t, dir, good, missing)
	var got []string
	for _, e := range rep.Entries {
		got = append(got, e.Dir+" "+e.Name)
	}
	want := []string{dir + "/clash ", dir + "/sysbench-cpu sysbench-cpu", dir + "/valkey valkey", good + " ", missing + " "}
	if diff := cmp.Diff(want, got); diff != "" || rep.Invalid() != 5 {
		t.Errorf("%d invalid; entries (-want +got):\n%s", rep.Invalid(), diff)
	}
	if e := rep.Entries[4]; !errors.Is(e.Err, os.ErrNotExist) {
		t.Errorf("a missing directory: %v", e.Err)
	}
	for _, want := range []string{
		"FAIL  " + dir + "/sysbench-cpu (sysbench-cpu)\n",
		// Line 11 of the file is 12 of the rendered unit: the package
		// check's ExecStartPre comes first in [Service].
		"virtwork-sysbench-cpu.service:12: Unknown key 'Restrat' in section [Service]",
		"FAIL  " + dir + "/valkey (valkey)\n",
		"SC2086",
		"FAIL  " + dir + "/clash\n      " + dir + "/clash/workload.yaml:1: name: \"memory\" is a built-in workload; choose another name\n",
		"FAIL  " + good + "\n      workload \"valkey\" is also defined in " + dir + "/valkey; names must be unique\n",
		"      client: cloud-init schema ok, systemd-analyze verify ok, shellcheck failed (as for server)\n",
		"FAIL  " + missing + "\n      " + missing + ": cannot read the workload directory: no such file or directory\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestDirsBuiltin: a built-in workload's directory is checked exactly as a
// custom one, with the real validators, for every built-in; an edited copy
// of one is a custom workload that takes a built-in's name.
func TestDirsBuiltin(t *testing.T) {
	tools.RequireValidators(t)
	var dirs []string
	for _, name := range workloads.Builtin().Names() {
		dirs = append(dirs, filepath.Join("../../templates", name))
	}
	rep, out := runDirs(t, dirs...)
	if rep.Invalid() != 0 || len(rep.Entries) != len(dirs) {
		t.Fatalf("%d of %d entries invalid:\n%s", rep.Invalid(), len(rep.Entries), out)
	}
	for _, want := range []string{
		"ok    ../../templates/cpu (cpu)\n      worker: cloud-init schema ok, systemd-analyze verify ok, shellcheck ok\n",
		"ok    ../../templates/tps (tps)\n      server: cloud-init schema ok, systemd-analyze verify ok, shellcheck ok\n      client: cloud-init schema ok, systemd-analyze verify ok, shellcheck ok\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
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
	rep, out = runDirs(t, edited)
	if want := "FAIL  " + edited + "\n      " + edited + "/workload.yaml:1: name: \"cpu\" is a built-in workload; choose another name\n"; rep.Invalid() != 1 || out != want {
		t.Errorf("an edited copy of templates/cpu: %d invalid, output:\n%s\nwant:\n%s", rep.Invalid(), out, want)
	}
}

// TestPrint: the verdict lines, without running a validator. A failure in
// a file two roles share is shown once; a skipped check is no failure.
func TestPrint(t *testing.T) {
	ok := func(check string) lint.Result { return lint.Result{Check: check, Status: lint.OK} }
	bad := lint.Result{Check: "shellcheck", Status: lint.Failed, Detail: "In x line 1:\nSC2086\n"}
	skipped := lint.Result{Check: "shellcheck", Status: lint.Skipped, Detail: "shellcheck is not installed"}
	tests := []struct {
		name  string
		entry Entry
		want  string
	}{
		{"ok", Entry{Dir: "wl/a", Name: "a", Roles: []Role{{Name: "worker", Results: []lint.Result{ok("cloud-init schema"), skipped}}}},
			"ok    wl/a (a)\n      worker: cloud-init schema ok, shellcheck skipped\n"},
		{"not loaded", Entry{Dir: "wl/b", Err: errors.New("wl/b/workload.yaml:1: name: required")},
			"FAIL  wl/b\n      wl/b/workload.yaml:1: name: required\n"},
		{"shared failure", Entry{Dir: "wl/c", Name: "c", Roles: []Role{
			{Name: "server", Results: []lint.Result{ok("cloud-init schema"), bad}},
			{Name: "client", Results: []lint.Result{ok("cloud-init schema"), bad}},
		}}, "FAIL  wl/c (c)\n" +
			"      server: cloud-init schema ok, shellcheck failed\n" +
			"        shellcheck (server):\n" +
			"          In x line 1:\n" +
			"          SC2086\n" +
			"      client: cloud-init schema ok, shellcheck failed (as for server)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			tt.entry.Print(&b)
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if want := tt.name == "ok"; tt.entry.OK() != want {
				t.Errorf("OK() = %v, want %v", !want, want)
			}
		})
	}
}
