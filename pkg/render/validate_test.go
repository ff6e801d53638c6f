package render

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/lint"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// These tests run every artefact a guest receives through the real tool
// that would reject it. The tools come from Debian packages that `make
// test` and CI install (see test/tools).

func run(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, name, args...)
	if env != nil {
		c.Env = env
	}
	out, err := c.CombinedOutput()
	return string(out), err
}

// allUserData renders every built-in workload and every shipped custom
// workload example, with and without SSH settings, and returns each distinct user-data document by a label.
func allUserData(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range workloads.Builtin().Names() {
		for secret, ud := range secretUserData(t, mustRender(t, testConfig(t, 1, name))) {
			out[secret] = ud
		}
	}
	for _, name := range exampleNames(t) {
		cfg := exampleConfig(t, 1, name)
		b, err := Render(Input{Config: cfg, Registry: cfg.Registry})
		if err != nil {
			t.Fatal(err)
		}
		for secret, ud := range secretUserData(t, b) {
			out["example-"+secret] = ud
		}
	}
	// A load profile adds the schedule file and virtwork-level.
	for secret, ud := range secretUserData(t, profiled(t, 1, "square:high=80,low=10,period=2m", "cpu")) {
		out[secret+"+profile"] = ud
	}
	cfg := testConfig(t, 1, "cpu")
	cfg.SSH = config.SSH{User: "ops", PasswordHash: "$6$abcdefgh12345678$" + strings.Repeat("x", 86),
		AuthorizedKeys: []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b"}}
	for secret, ud := range secretUserData(t, mustRender(t, cfg)) {
		out[secret+"+ssh-user"] = ud
	}
	cfg.SSH = config.SSH{AuthorizedKeys: cfg.SSH.AuthorizedKeys}
	for secret, ud := range secretUserData(t, mustRender(t, cfg)) {
		out[secret+"+ssh-keys"] = ud
	}
	return out
}

func TestUserDataPassesCloudInitSchema(t *testing.T) {
	ci := tools.Require(t, "cloud-init")
	dir := t.TempDir()
	for label, ud := range allUserData(t) {
		p := filepath.Join(dir, label+".yaml")
		if err := os.WriteFile(p, []byte(ud), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := run(t, nil, ci, "schema", "-c", p)
		if err != nil || !strings.Contains(out, "Valid cloud-config") {
			t.Errorf("%s: cloud-init schema rejected it (%v):\n%s", label, err, out)
		}
	}
}

// stubRoot writes a user-data document's files under a fresh directory,
// next to a copy of the host's systemd unit tree, so systemd-analyze can
// verify units against them.
func stubRoot(t *testing.T, ud string) (string, lint.CloudConfig) {
	t.Helper()
	cc, err := lint.Parse([]byte(ud))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := lint.WriteRoot(t.Context(), root, cc.WriteFiles); err != nil {
		t.Fatal(err)
	}
	return root, cc
}

// envOf parses an EnvironmentFile into KEY=VALUE pairs.
func envOf(t *testing.T, cc lint.CloudConfig) []string {
	t.Helper()
	var env []string
	for _, f := range cc.WriteFiles {
		if !strings.HasPrefix(f.Path, "/etc/virtwork/") || !strings.HasSuffix(f.Path, ".env") {
			continue
		}
		sc := bufio.NewScanner(strings.NewReader(f.Content))
		for sc.Scan() {
			line := sc.Text()
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if k, v, ok := strings.Cut(line, "="); !ok || k == "" || v == "" || strings.ContainsAny(v, " \"'$`\\;") {
				t.Errorf("%s: line %q is not a plain KEY=VALUE", f.Path, line)
			}
			env = append(env, line)
		}
	}
	if len(env) == 0 {
		t.Fatal("no EnvironmentFile in the user-data")
	}
	return env
}

func TestUnitsPassSystemdVerify(t *testing.T) {
	sa := tools.Require(t, "systemd-analyze")
	for label, ud := range allUserData(t) {
		root, cc := stubRoot(t, ud)
		var units []string
		for _, f := range cc.WriteFiles {
			if strings.HasSuffix(f.Path, ".service") {
				units = append(units, f.Path)
				checkUnitPolicy(t, label, f)
			}
		}
		if len(units) == 0 {
			t.Errorf("%s: no unit", label)
		}
		// systemd-analyze exits 0 on parse warnings; any output is a failure.
		out, err := run(t, nil, sa, append([]string{"verify", "--root=" + root}, units...)...)
		if err != nil || strings.TrimSpace(out) != "" {
			t.Errorf("%s: systemd-analyze verify (%v):\n%s", label, err, out)
		}
		// The unit that runcmd starts is one of ours and does not block.
		start := cc.RunCmd[len(cc.RunCmd)-1]
		if !cmp.Equal(start[:4], []string{"systemctl", "enable", "--now", "--no-block"}) {
			t.Errorf("%s: last runcmd %v", label, start)
		}
	}
}

// checkUnitPolicy: every workload unit restarts for ever and starts at
// boot, and none waits for cloud-init (which would deadlock first boot).
func checkUnitPolicy(t *testing.T, label string, f lint.File) {
	t.Helper()
	for _, want := range []string{"\nRestart=always\n", "\nRestartSec=10\n", "\nWantedBy=multi-user.target\n", "\nStartLimitIntervalSec=0\n"} {
		if !strings.Contains(f.Content, want) {
			t.Errorf("%s: %s lacks %q", label, f.Path, strings.TrimSpace(want))
		}
	}
	if strings.Contains(f.Content, "cloud-init") || strings.Contains(f.Content, "cloud-final") {
		t.Errorf("%s: %s is ordered against cloud-init", label, f.Path)
	}
}

func TestScriptsPassShellcheck(t *testing.T) {
	sc := tools.Require(t, "shellcheck")
	seen := map[string]bool{}
	for label, ud := range allUserData(t) {
		_, cc := stubRoot(t, ud)
		for _, f := range cc.WriteFiles {
			if !strings.HasPrefix(f.Content, "#!") || seen[f.Content] {
				continue
			}
			seen[f.Content] = true
			p := filepath.Join(t.TempDir(), filepath.Base(f.Path))
			if err := os.WriteFile(p, []byte(f.Content), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := run(t, nil, sc, "--severity=style", p); err != nil {
				t.Errorf("%s: %s: shellcheck:\n%s", label, f.Path, out)
			}
		}
	}
	if len(seen) < 8 {
		t.Errorf("checked %d scripts; expected every workload's", len(seen))
	}
}

func TestFioJobsParse(t *testing.T) {
	fio := tools.Require(t, "fio")
	b := mustRender(t, testConfig(t, 1, "disk"))
	for label, ud := range secretUserData(t, b) {
		root, cc := stubRoot(t, ud)
		env := append(os.Environ(), envOf(t, cc)...)
		n := 0
		for _, f := range cc.WriteFiles {
			if !strings.HasSuffix(f.Path, ".fio") {
				continue
			}
			n++
			out, err := run(t, env, fio, "--parse-only", filepath.Join(root, f.Path))
			if err != nil || strings.Contains(out, "fio:") {
				t.Errorf("%s: fio --parse-only %s (%v):\n%s", label, f.Path, err, out)
			}
		}
		if n == 0 {
			t.Errorf("%s: no fio job file", label)
		}
	}
}

// TestFioLevels runs the disk script as the unit would, once per way of
// setting the level, with an fio on PATH that records its arguments and
// parses the job with them instead of running it (and a mountpoint that
// says yes): the script must give fio the level as bytes per second split
// by the read share, run only the random profile, and fio must accept it.
func TestFioLevels(t *testing.T) {
	real := tools.Require(t, "fio")
	tests := []struct {
		name   string
		params workloads.Values
		want   []string // before the job file
	}{
		{"unlimited", nil, nil},
		// 100 × 4096 bytes, 70% reads.
		{"iops", workloads.Values{"iops": "100"}, []string{"--section=randrw", "--rate=286720,122880"}},
		{"mibps", workloads.Values{"mibps": "2"}, []string{"--section=randrw", "--rate=1468006,629146"}},
		// 1000 × 4096 bytes is more than 1 MiB/s: the MiB/s wins.
		{"lower wins", workloads.Values{"iops": "1000", "mibps": "1"}, []string{"--section=randrw", "--rate=734003,314573"}},
		{"iops lower", workloads.Values{"iops": "10", "mibps": "1"}, []string{"--section=randrw", "--rate=28672,12288"}},
		{"reads only", workloads.Values{"iops": "50", "read-percent": "100", "block-size": "65536"}, []string{"--section=randrw", "--rate=3276800,0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, 1, "disk")
			for k, v := range tt.params {
				cfg.Workloads[0].Params[k] = v
			}
			for label, ud := range secretUserData(t, mustRender(t, cfg)) {
				root, cc := stubRoot(t, ud)
				shim := t.TempDir()
				args := filepath.Join(shim, "args")
				// The loop ends when fio fails: exit 3 after a good parse.
				fio := "#!/bin/sh\nprintf '%s\\n' \"$@\" >" + args + "\nfor a do\n\tshift\n\tcase $a in /etc/virtwork/*) a=" + root + "$a ;; esac\n\tset -- \"$@\" \"$a\"\ndone\n" +
					real + " --parse-only \"$@\" || exit 1\nexit 3\n"
				for name, body := range map[string]string{"fio": fio, "mountpoint": "#!/bin/sh\nexit 0\n"} {
					if err := os.WriteFile(filepath.Join(shim, name), []byte(body), 0o755); err != nil {
						t.Fatal(err)
					}
				}
				env := append([]string{"PATH=" + shim + ":" + os.Getenv("PATH")}, envOf(t, cc)...)
				out, err := run(t, env, filepath.Join(root, "usr/local/bin/virtwork-fio"))
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != 3 || strings.Contains(out, "fio:") {
					t.Fatalf("%s: fio --parse-only rejected the job (%v):\n%s", label, err, out)
				}
				got, err := os.ReadFile(args)
				if err != nil {
					t.Fatal(err)
				}
				want := append(tt.want, "/etc/virtwork/fio/virtwork-disk.fio")
				if diff := cmp.Diff(want, strings.Fields(string(got))); diff != "" {
					t.Errorf("%s: fio arguments (-want +got):\n%s", label, diff)
				}
			}
		})
	}
}

// TestStressNGCommandLines runs the cpu and memory scripts as the unit
// would, with a stress-ng on PATH that adds --dry-run, once per allowed
// method and mode, so every value the params accept is one stress-ng
// accepts.
func TestStressNGCommandLines(t *testing.T) {
	real := tools.Require(t, "stress-ng")
	shim := t.TempDir()
	if err := os.WriteFile(filepath.Join(shim, "stress-ng"), []byte("#!/bin/sh\nexec "+real+" --dry-run \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cpu", "memory"} {
		w, _ := workloads.Builtin().Get(name)
		method, _ := w.Spec().Param("method")
		modes := []string{""}
		if mode, ok := w.Spec().Param("mode"); ok {
			modes = mode.Allowed
		}
		for _, mode := range modes {
			for _, m := range method.Allowed {
				cfg := testConfig(t, 1, name)
				cfg.Workloads[0].Params["method"] = m
				if mode != "" {
					cfg.Workloads[0].Params["mode"] = mode
				}
				for label, ud := range secretUserData(t, mustRender(t, cfg)) {
					root, cc := stubRoot(t, ud)
					env := append([]string{"PATH=" + shim + ":" + os.Getenv("PATH")}, envOf(t, cc)...)
					out, err := run(t, env, filepath.Join(root, "usr/local/bin/virtwork-"+name))
					if err != nil {
						t.Errorf("%s mode %q method %s: stress-ng --dry-run rejected the command line (%v):\n%s", label, mode, m, err, out)
					}
				}
			}
		}
	}
	// The shim really validates: a bad method fails.
	if out, err := run(t, nil, filepath.Join(shim, "stress-ng"), "--cpu", "1", "--cpu-method", "nosuch"); err == nil {
		t.Errorf("stress-ng --dry-run accepted a bad method:\n%s", out)
	}
}

// TestKustomizeDirectory writes --output-dir's files and builds them with
// kustomize (in-process krusty and the kubectl binary): both must yield
// exactly the objects of the YAML stream, in the same order, for a run in
// one namespace and for one spread over three (where a role's Secret has
// the same name in each namespace).
func TestKustomizeDirectory(t *testing.T) {
	one := testConfig(t, 2, "cpu", "database", "disk", "memory", "network")
	spread := testConfig(t, 2, "cpu", "database", "disk", "memory", "network")
	spread.Namespaces = config.NamespaceNames("tenant", 3)
	t.Run("one namespace", func(t *testing.T) { checkKustomizeDirectory(t, mustRender(t, one)) })
	t.Run("three namespaces", func(t *testing.T) {
		b := mustRender(t, spread)
		if got := b.Counts()["Namespace"]; got != 3 {
			t.Fatalf("%d Namespaces, want 3", got)
		}
		checkKustomizeDirectory(t, b)
	})
}

func checkKustomizeDirectory(t *testing.T, b *Bundle) {
	dir := t.TempDir()
	err := b.WriteFiles(func(name string, data []byte) error {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := objectsFromYAML(t, yamlOf(t, b))

	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("krusty: %v", err)
	}
	out, err := rm.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, objectsFromYAML(t, out)); diff != "" {
		t.Errorf("krusty build differs from the YAML stream (-stream +kustomize):\n%s", diff)
	}

	kubectl := tools.Require(t, "kubectl")
	kout, err := run(t, nil, kubectl, "kustomize", dir)
	if err != nil {
		t.Fatalf("kubectl kustomize: %v\n%s", err, kout)
	}
	if diff := cmp.Diff(want, objectsFromYAML(t, []byte(kout))); diff != "" {
		t.Errorf("kubectl kustomize differs from the YAML stream (-stream +kubectl):\n%s", diff)
	}
	if !bytes.Contains([]byte(kout), []byte("kind: VirtualMachine")) {
		t.Error("kubectl kustomize printed no VirtualMachine")
	}
}
