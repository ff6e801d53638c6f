package workloads

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testRule is render's rule for network's clients in namespace virtwork.
var testRule = HostRule{VMPrefix: "virtwork-network-3f2b6c1e-client-", ServicePrefix: "virtwork-network-3f2b6c1e-", ServiceSuffix: ".virtwork.svc"}

// serviceHostScriptPath is the script in the source tree.
func serviceHostScriptPath(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "templates", serviceHostScript.src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runServiceHost runs the script on file as runcmd would, with hostname
// standing in for the kernel's; it returns its output and exit status.
func runServiceHost(t *testing.T, hostname string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{serviceHostScriptPath(t)}, args...)...)
	cmd.Env = append(os.Environ(), "VIRTWORK_HOSTNAME="+hostname)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return string(out), 0
}

// TestServiceHostScript: the guest's script and HostRule.Host give the
// same host for the same name, and refuse the same names; the script
// replaces the variable's line and leaves the rest of the file as it was.
func TestServiceHostScript(t *testing.T) {
	names := []string{
		"virtwork-network-3f2b6c1e-client-0", "virtwork-network-3f2b6c1e-client-12",
		"virtwork-network-3f2b6c1e-client-7.virtwork.svc.cluster.local",
		"virtwork-network-3f2b6c1e-client-3-1", "virtwork-network-3f2b6c1e-client-4294967296",
		"virtwork-network-3f2b6c1e-client-", "virtwork-network-3f2b6c1e-client-01",
		"virtwork-network-3f2b6c1e-client-1-", "virtwork-network-3f2b6c1e-client-1-2-3",
		"virtwork-network-3f2b6c1e-client-x", "virtwork-network-3f2b6c1e-server-0",
		"virtwork-network-3f2b6c1e-client-12345678901", "", ".virtwork.svc", "localhost",
	}
	const before = "# Written by kubectl-virtwork; read by the virtwork-* units.\nVIRTWORK_IPERF3_SERVER=old\nVIRTWORK_IPERF3_PORT=5201\n"
	for _, name := range names {
		file := filepath.Join(t.TempDir(), "network.env")
		if err := os.WriteFile(file, []byte(before), 0o600); err != nil {
			t.Fatal(err)
		}
		out, code := runServiceHost(t, name, file, "VIRTWORK_IPERF3_SERVER", testRule.VMPrefix, testRule.ServicePrefix, testRule.ServiceSuffix)
		got, _ := os.ReadFile(file)
		host, err := testRule.Host(name)
		if err != nil {
			if code != 2 || string(got) != before || strings.Count(out, "\n") != 1 {
				t.Errorf("%q: Host refuses it (%v); the script exits %d, prints %q and leaves\n%s", name, err, code, out, got)
			}
			continue
		}
		want := "# Written by kubectl-virtwork; read by the virtwork-* units.\nVIRTWORK_IPERF3_PORT=5201\nVIRTWORK_IPERF3_SERVER=" + host + "\n"
		if code != 0 || string(got) != want {
			t.Errorf("%q: Host gives %s; the script exits %d (%s) and writes\n%s", name, host, code, out, got)
		}
	}
	if h, err := testRule.Host("virtwork-network-3f2b6c1e-client-3-1"); err != nil || h != "virtwork-network-3f2b6c1e-3.virtwork.svc" {
		t.Errorf("the second VM of instance 3: %q, %v", h, err)
	}
}

// TestServiceHostScriptRefusesBadArguments: an argument that is not one of
// render's names, or a missing file, is exit status 2.
func TestServiceHostScriptRefusesBadArguments(t *testing.T) {
	file := filepath.Join(t.TempDir(), "x.env")
	if err := os.WriteFile(file, []byte("A=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const vm = "virtwork-network-3f2b6c1e-client-0"
	for _, args := range [][]string{
		{file, "VIRTWORK_X", testRule.VMPrefix, testRule.ServicePrefix},
		{file, "1X", testRule.VMPrefix, testRule.ServicePrefix, testRule.ServiceSuffix},
		{file, "VIRTWORK_X", "a;b", testRule.ServicePrefix, testRule.ServiceSuffix},
		{file, "VIRTWORK_X", testRule.VMPrefix, "$(id)", testRule.ServiceSuffix},
		{file, "VIRTWORK_X", testRule.VMPrefix, testRule.ServicePrefix, ".svc x"},
		{file + ".missing", "VIRTWORK_X", testRule.VMPrefix, testRule.ServicePrefix, testRule.ServiceSuffix},
	} {
		if out, code := runServiceHost(t, vm, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2: %s", args, code, out)
		}
	}
	if got, _ := os.ReadFile(file); string(got) != "A=1\n" {
		t.Errorf("the file changed: %q", got)
	}
}

// firstBoot applies cc's Service host steps to its EnvironmentFile as the
// guest's runcmd does, by running the script, for a VM of the given name;
// it returns the file's content afterwards.
func firstBoot(t *testing.T, cc CloudConfig, workload, vm string) string {
	t.Helper()
	var env string
	for _, f := range cc.WriteFiles {
		if f.Path == EnvFilePath(workload) {
			env = f.Content
		}
	}
	file := filepath.Join(t.TempDir(), workload+".env")
	if err := os.WriteFile(file, []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range cc.RunCmd {
		step, ok := ParseServiceHostCmd(c)
		if !ok {
			continue
		}
		if step.File != EnvFilePath(workload) {
			t.Fatalf("the step writes %s, not the workload's EnvironmentFile", step.File)
		}
		if out, code := runServiceHost(t, vm, file, step.Variable, step.Rule.VMPrefix, step.Rule.ServicePrefix, step.Rule.ServiceSuffix); code != 0 {
			t.Fatalf("%v: exit %d: %s", c, code, out)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(got)
}

// TestServiceHostBeforeUnits: the steps run before any unit is enabled, and
// the script is installed by write_files, which cloud-init runs before
// runcmd.
func TestServiceHostBeforeUnits(t *testing.T) {
	for _, name := range []string{"network", "tps"} {
		w, _ := Builtin().Get(name)
		vals, err := w.Spec().Defaults()
		if err != nil {
			t.Fatal(err)
		}
		cc, err := CloudConfigFor(w, Instance{Role: "client", Params: vals, ServiceHost: testRule})
		if err != nil {
			t.Fatal(err)
		}
		steps, installed := 0, false
		for _, f := range cc.WriteFiles {
			installed = installed || f.Path == serviceHostScript.dest
		}
		for _, c := range cc.RunCmd {
			if _, ok := ParseServiceHostCmd(c); ok {
				steps++
				continue
			}
			if strings.Join(c[:2], " ") == "systemctl enable" && steps == 0 {
				t.Errorf("%s: %v runs before the Service host is written", name, c)
			}
		}
		if steps != 1 || !installed {
			t.Errorf("%s: %d Service host steps, script installed %v: %v", name, steps, installed, cc.RunCmd)
		}
	}
}

// TestServiceHostRuleChecked: a rule that is not made of names is an
// error, never a runcmd argument.
func TestServiceHostRuleChecked(t *testing.T) {
	w, _ := Builtin().Get("network")
	vals, err := w.Spec().Defaults()
	if err != nil {
		t.Fatal(err)
	}
	bad := testRule
	bad.ServiceSuffix = ".ns.svc; reboot"
	if _, err := w.CloudConfig(Instance{Role: "client", Params: vals, ServiceHost: bad}); err == nil || !strings.Contains(err.Error(), "may only hold") {
		t.Errorf("got %v", err)
	}
}
