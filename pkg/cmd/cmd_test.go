package cmd

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

const runID = "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93"

type result struct {
	code            int
	stdout, stderr  string
	runIDsGenerated int
}

// execute runs the command line hermetically: env and files are what the
// test gives, nothing from the machine.
func execute(t *testing.T, env map[string]string, files map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	var r result
	deps := Deps{
		Registry:  workloads.Builtin(),
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		ReadFile: func(p string) ([]byte, error) {
			if s, ok := files[p]; ok {
				return []byte(s), nil
			}
			return os.ReadFile(p) // --output-dir tests use real temp files
		},
		NewRunID: func() string { r.runIDsGenerated++; return "99999999-9999-4999-8999-999999999999" },
	}
	r.code = Execute(context.Background(), streams, deps, args)
	r.stdout, r.stderr = out.String(), errOut.String()
	return r
}

func TestBadInputExitsTwoWithOneLine(t *testing.T) {
	nonEmpty := t.TempDir()
	if err := os.WriteFile(filepath.Join(nonEmpty, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		env   map[string]string
		files map[string]string
		args  []string
		want  string
	}{
		{"unknown workload", nil, nil, []string{"render", "--workloads", "cpux"}, `unknown workload "cpux"`},
		{"vm count", nil, nil, []string{"render", "--vm-count", "0"}, "--vm-count must be between 1 and 10000, got 0"},
		{"env var", map[string]string{"VIRTWORK_MEMORY": "lots"}, nil, []string{"render"}, "VIRTWORK_MEMORY must be a quantity"},
		{"namespace flag", nil, nil, []string{"render", "-n", "NOPE"}, "--namespace must be a valid namespace name"},
		{"config key", nil, map[string]string{"c.yaml": "workloads:\n  cpu:\n    vm_cont: 1\n"}, []string{"render", "--config", "c.yaml"}, "c.yaml:3: workloads.cpu.vm_cont: unknown key"},
		{"params", nil, nil, []string{"render", "--params", "disk.runtime=forever"}, "--params disk.runtime=forever: runtime must be an integer"},
		{"unknown flag", nil, nil, []string{"render", "--vm-cnt", "2"}, "unknown flag: --vm-cnt"},
		{"unknown command", nil, nil, []string{"rendr"}, `unknown command "rendr"`},
		{"extra argument", nil, nil, []string{"render", "cpu"}, `kubectl virtwork render takes no arguments, got "cpu"`},
		{"bad output", nil, nil, []string{"render", "-o", "xml"}, `--output must be yaml or json, got "xml"`},
		{"output dir and json", nil, nil, []string{"render", "-o", "json", "--output-dir", t.TempDir()}, "--output-dir writes YAML files"},
		{"output dir not empty", nil, nil, []string{"render", "--output-dir", nonEmpty}, "is not empty"},
		{"workloads output", nil, nil, []string{"workloads", "-o", "table"}, `--output must be json, got "table"`},
		{"workload dir missing", nil, nil, []string{"render", "--workload-dir", "/nonexistent-wl"}, "--workload-dir: /nonexistent-wl: cannot read the workload directory: no such file or directory"},
		{"workload dir env", map[string]string{"VIRTWORK_WORKLOAD_DIR": "/nonexistent-wl"}, nil, []string{"workloads"}, "VIRTWORK_WORKLOAD_DIR: /nonexistent-wl: cannot read"},
		{"custom workload invalid", nil, nil, []string{"render", "--workload-dir", badCustomDir(t)}, "workload.yaml:1: name: \"cpu\" is a built-in workload; choose another name"},
		{"custom workload from config", nil, map[string]string{"c.yaml": "workload_dirs: [/nonexistent-wl]\n"}, []string{"render", "--config", "c.yaml"}, "c.yaml:1: workload_dirs: /nonexistent-wl: cannot read"},
		{"custom param", nil, nil, []string{"render", "--workload-dir", "../../examples/workloads", "--workloads", "valkey", "--params", "valkey.test=flushall"}, "--params valkey.test=flushall: test must be one of set, get"},
		{"custom param injection", nil, nil, []string{"render", "--workload-dir", "../../examples/workloads", "--workloads", "sysbench-cpu", "--params", "sysbench-cpu.threads=1;reboot"}, "threads must be an integer"},
		{"validate no dir", nil, nil, []string{"validate"}, "kubectl virtwork validate needs at least one directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := execute(t, tt.env, tt.files, tt.args...)
			if r.code != ExitUsage {
				t.Errorf("exit code %d, want %d (stderr %q)", r.code, ExitUsage, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty: %q", r.stdout)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "error: ") {
				t.Errorf("stderr is not one error line: %q", r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q lacks %q", r.stderr, tt.want)
			}
		})
	}
}

// badCustomDir is a custom workload directory whose workload takes a
// built-in name.
func badCustomDir(t *testing.T) string {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"workload.yaml":      "name: cpu\nroles: [{name: w, unit: virtwork-x.service}]\n",
		"virtwork-x.service": "[Service]\nExecStart=/bin/true\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRenderIsDeterministicWithRunID(t *testing.T) {
	args := []string{"render", "--workloads", "cpu,network", "--vm-count", "2", "--run-id", runID}
	a, b := execute(t, nil, nil, args...), execute(t, nil, nil, args...)
	if a.code != 0 || a.stdout == "" || a.stdout != b.stdout || a.runIDsGenerated != 0 {
		t.Fatalf("codes %d/%d, equal %v, generated ids %d, stderr %q", a.code, b.code, a.stdout == b.stdout, a.runIDsGenerated, a.stderr)
	}
	if a.stderr != "" {
		t.Errorf("render wrote to stderr: %q", a.stderr)
	}
	if !strings.Contains(a.stdout, "virtwork/run-id: \""+runID+"\"") {
		t.Error("output lacks the run id label")
	}
	fresh := execute(t, nil, nil, "render", "--workloads", "cpu")
	if fresh.runIDsGenerated != 1 || !strings.Contains(fresh.stdout, "99999999-9999-4999-8999-999999999999") {
		t.Errorf("without --run-id a new id is made and used (generated %d)", fresh.runIDsGenerated)
	}
}

func TestRenderJSONIsAList(t *testing.T) {
	r := execute(t, nil, nil, "render", "--workloads", "disk", "-o", "json", "--run-id", runID)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var list struct {
		APIVersion, Kind string
		Items            []struct{ Kind string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatal(err)
	}
	if list.APIVersion != "v1" || list.Kind != "List" || len(list.Items) != 3 || list.Items[2].Kind != "VirtualMachine" {
		t.Errorf("got %+v", list)
	}
}

func TestRenderOutputDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	r := execute(t, nil, nil, "render", "--workloads", "network", "--output-dir", dir, "--run-id", runID)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files = append(files, rel)
		if info, _ := d.Info(); info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v; it may hold Secrets", rel, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "kustomization.yaml namespace.yaml secrets/virtwork-network-3f2b6c1e-client-userdata.yaml secrets/virtwork-network-3f2b6c1e-server-userdata.yaml services/virtwork-network-3f2b6c1e-0.yaml virtualmachines/virtwork-network-3f2b6c1e-client-0.yaml virtualmachines/virtwork-network-3f2b6c1e-server-0.yaml"
	if got := strings.Join(files, " "); got != want {
		t.Errorf("files:\n got %s\nwant %s", got, want)
	}
	k, _ := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if !strings.Contains(string(k), "order: fifo") || !strings.Contains(string(k), "- namespace.yaml\n- services/") {
		t.Errorf("kustomization.yaml:\n%s", k)
	}
}

func TestWorkloadsCommand(t *testing.T) {
	r := execute(t, nil, nil, "workloads")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"cpu ", "database ", "disk ", "memory ", "network ", "server,client", "5201/TCP", "yes (worker)", "postgresql-contrib", "cpu.load-percent", "1..100", "disk.block-size", "512..16M", "network.protocol", "tcp|udp"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("workloads output lacks %q:\n%s", want, r.stdout)
		}
	}
	j := execute(t, nil, nil, "workloads", "-o", "json")
	var infos []workloads.Info
	if err := json.Unmarshal([]byte(j.stdout), &infos); err != nil {
		t.Fatal(err)
	}
	byName := map[string]workloads.Info{}
	for _, wi := range infos {
		byName[wi.Name] = wi
	}
	if len(infos) != len(workloads.Builtin().Names()) || byName["database"].Roles[0].DataDisk == nil || len(byName["cpu"].Params) != 2 {
		t.Errorf("json: %+v", infos)
	}
}

func TestVersionCommand(t *testing.T) {
	r := execute(t, nil, nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "kubectl-virtwork v0.0.0-dev") {
		t.Errorf("version: %d %q", r.code, r.stdout)
	}
	j := execute(t, nil, nil, "version", "-o", "json")
	var v map[string]string
	if err := json.Unmarshal([]byte(j.stdout), &v); err != nil || v["version"] == "" || v["platform"] == "" {
		t.Errorf("version -o json: %q (%v)", j.stdout, err)
	}
}

func TestHelpSpeaksKubectl(t *testing.T) {
	r := execute(t, nil, nil, "render", "--help")
	for _, want := range []string{"kubectl virtwork render [flags]", "--kubeconfig", "--workloads", "--ssh-key-file", "--run-id"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("render --help lacks %q", want)
		}
	}
	root := execute(t, nil, nil, "--help")
	if !strings.Contains(root.stdout, "Exit codes:") {
		t.Error("root help does not document exit codes")
	}
}

func TestWorkloadCompletion(t *testing.T) {
	r := execute(t, nil, nil, "__complete", "render", "--workloads", "cpu,d")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) < 3 || lines[0] != "cpu,database" || lines[1] != "cpu,disk" {
		t.Errorf("completion:\n%s", r.stdout)
	}
}

// TestNoCompletionCommand: cobra's completion script would be one for a
// program named "kubectl" that replaces kubectl's own; completion goes
// through kubectl and kubectl_complete-virtwork instead.
func TestNoCompletionCommand(t *testing.T) {
	r := execute(t, nil, nil, "completion", "bash")
	if r.code != ExitUsage || strings.Contains(r.stdout, "__start_kubectl") {
		t.Errorf("completion bash: %d %q %q", r.code, r.stdout, r.stderr)
	}
	c := execute(t, nil, nil, "__complete", "")
	if strings.Contains(c.stdout, "completion") || !strings.Contains(c.stdout, "render") {
		t.Errorf("top-level completions:\n%s", c.stdout)
	}
}

// TestPasswordNeverInOutput: a password given by variable or file reaches
// no output in any format, not even base64-encoded inside a Secret; only
// its hash does.
func TestPasswordNeverInOutput(t *testing.T) {
	const pw = "Correct-Horse-9f3b"
	files := map[string]string{"pw.txt": pw + "\n"}
	runs := []result{
		execute(t, map[string]string{"VIRTWORK_SSH_PASSWORD": pw}, nil, "render", "--ssh-user", "ops", "--run-id", runID),
		execute(t, nil, files, "render", "--ssh-user", "ops", "--ssh-password-file", "pw.txt", "-o", "json", "--run-id", runID),
		execute(t, map[string]string{"VIRTWORK_SSH_PASSWORD": pw}, nil, "render", "--ssh-user", "ops", "--vm-count", "0"),
	}
	for i, r := range runs {
		all := r.stdout + r.stderr + decodeAll(r.stdout)
		if strings.Contains(all, pw) {
			t.Errorf("run %d: the plaintext password appears in the output", i)
		}
		if i < 2 && !strings.Contains(decodeAll(r.stdout), "passwd: $6$") {
			t.Errorf("run %d: no SHA-512 crypt hash in the user-data", i)
		}
	}
}

// decodeAll base64-decodes every userdata value in YAML or JSON output.
func decodeAll(out string) string {
	var b strings.Builder
	for _, f := range strings.FieldsFunc(out, func(r rune) bool { return r == '"' || r == ' ' || r == '\n' }) {
		if data, err := base64.StdEncoding.DecodeString(f); err == nil && len(data) > 20 {
			b.Write(data)
		}
	}
	return b.String()
}
