package workloads

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// unitChecks returns, per unit the CloudConfig installs, its package
// check's line ("" for none), and fails unless that line comes right
// after [Service] and the check script is installed when any unit has one.
func unitChecks(t *testing.T, cc CloudConfig) map[string]string {
	t.Helper()
	out := map[string]string{}
	script := false
	for _, f := range cc.WriteFiles {
		if f.Path == checkPackagesScript.dest {
			script = true
		}
		if filepath.Ext(f.Path) != ".service" || filepath.Dir(f.Path) != guestUnitDir {
			continue
		}
		lines := strings.Split(f.Content, "\n")
		out[filepath.Base(f.Path)] = ""
		for i, l := range lines {
			if !strings.HasPrefix(l, "ExecStartPre="+checkPackagesScript.dest) {
				continue
			}
			if i == 0 || lines[i-1] != serviceSection {
				t.Errorf("%s: the check is line %d, not the first of [Service]:\n%s", f.Path, i+1, f.Content)
			}
			out[filepath.Base(f.Path)] = strings.TrimPrefix(l, "ExecStartPre="+checkPackagesScript.dest)
		}
	}
	hasCheck := false
	for _, c := range out {
		hasCheck = hasCheck || c != ""
	}
	if hasCheck != script {
		t.Errorf("units with a check: %v; the check script installed: %v", hasCheck, script)
	}
	return out
}

// TestPackageCheckPerUnit: each service unit checks the packages it
// needs, by the guest family's names, with --preinstalled when the image
// was to carry them; tps's needs leave netperf to netserver alone.
func TestPackageCheckPerUnit(t *testing.T) {
	reg := Builtin()
	cases := []struct {
		workload, role string
		in             Instance
		want           map[string]string
	}{
		{"cpu", "worker", Instance{Guest: Debian}, map[string]string{"virtwork-cpu.service": " stress-ng"}},
		{"cpu", "worker", Instance{Guest: Fedora, Preinstalled: true}, map[string]string{"virtwork-cpu.service": " --preinstalled stress-ng"}},
		{"database", "worker", Instance{Guest: Ubuntu, Preinstalled: true},
			map[string]string{"virtwork-database.service": " --preinstalled postgresql postgresql-contrib e2fsprogs"}},
		{"chaos-network", "worker", Instance{Guest: Debian}, map[string]string{"virtwork-chaos-network.service": " iproute2"}},
		{"tps", "server", Instance{Guest: Fedora},
			map[string]string{"virtwork-tps-http.service": " python3", "virtwork-tps-netserver.service": " netperf"}},
		{"tps", "client", Instance{Guest: Ubuntu, Preinstalled: true, ServiceHost: HostRule{"c-", "s-", ""}},
			map[string]string{"virtwork-tps-client.service": " --preinstalled curl python3"}},
	}
	for _, c := range cases {
		w, _ := reg.Get(c.workload)
		in := c.in
		in.Role = c.role
		in.Params, _ = w.Spec().Defaults()
		cc, err := CloudConfigFor(w, in)
		if err != nil {
			t.Fatalf("%s %s on %s: %v", c.workload, c.role, in.Guest, err)
		}
		if diff := cmp.Diff(c.want, unitChecks(t, cc)); diff != "" {
			t.Errorf("%s %s on %s, preinstalled %v (-want +got):\n%s", c.workload, c.role, in.Guest, in.Preinstalled, diff)
		}
	}
	// The database's own ExecStartPre (its setup, which needs PostgreSQL)
	// runs after the check.
	w, _ := reg.Get("database")
	params, _ := w.Spec().Defaults()
	cc, err := CloudConfigFor(w, Instance{Role: "worker", Params: params})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range cc.WriteFiles {
		if filepath.Base(f.Path) == "virtwork-database.service" {
			check, setup := strings.Index(f.Content, "virtwork-check-packages"), strings.Index(f.Content, "virtwork-database-setup")
			if check < 0 || setup < 0 || check > setup {
				t.Errorf("the check does not come before the setup:\n%s", f.Content)
			}
		}
	}
}

// TestPackageCheckPerFamily: a workload that names its packages per
// family checks, on each, the needs that family's list holds.
func TestPackageCheckPerFamily(t *testing.T) {
	d, err := loadOne(t, fstest.MapFS{
		"workload.yaml": {Data: []byte("name: kv\npackages:\n  fedora: [valkey]\n  debian: [redis-server, redis-tools]\n" +
			"needs:\n  virtwork-kv.service: [valkey, redis-server]\nroles: [{name: w, unit: virtwork-kv.service}]\n")},
		"virtwork-kv.service": {Data: []byte("[Unit]\nDescription=kv\n\n[Service]\nExecStart=/bin/true\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	for g, want := range map[Guest]string{Fedora: " valkey", Debian: " redis-server"} {
		cc, err := CloudConfigFor(d, Instance{Role: "w", Guest: g})
		if err != nil {
			t.Fatal(err)
		}
		if got := unitChecks(t, cc)["virtwork-kv.service"]; got != want {
			t.Errorf("on %s the check is %q, want %q", g, got, want)
		}
	}
	if _, err := d.CloudConfig(Instance{Role: "w", Guest: Ubuntu}); err == nil || err.Error() != "workload kv cannot run on a ubuntu guest: its workload.yaml lists packages for no ubuntu guest" {
		t.Errorf("on ubuntu: %v", err)
	}
}

// Stand-ins for the guests' package databases: each package of
// $INSTALLED, a "name" or "name:provided", is installed.
const (
	fakeDpkgQuery = `#!/bin/sh
# dpkg-query -W -f=FORMAT [NAME]
if [ $# -eq 3 ]; then
	for p in $INSTALLED; do
		[ "${p%%:*}" = "$3" ] && { printf 'install ok installed'; exit 0; }
	done
	echo "dpkg-query: no packages found matching $3" >&2
	exit 1
fi
for p in $INSTALLED; do
	case $p in *:*) printf 'install ok installed|%s\n' "${p#*:}" ;; *) printf 'install ok installed|\n' ;; esac
done
`
	fakeRPM = `#!/bin/sh
# rpm -q --quiet --whatprovides NAME
for p in $INSTALLED; do
	[ "${p%%:*}" = "$4" ] || [ "${p#*:}" = "$4" ] && exit 0
done
exit 1
`
)

// TestCheckPackagesScript runs the guest's check against stand-in package
// databases: it passes when the packages are installed or provided, and
// otherwise fails with one line naming what is missing and why.
func TestCheckPackagesScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	awk, err := exec.LookPath("awk")
	if err != nil {
		t.Skip("no awk")
	}
	script := writeScript(t, t.TempDir(), checkPackagesScript.src)
	const preinstalledWhy = "(--preinstalled: the image must carry it; see docs/golden-image.md)"
	const bootWhy = "(cloud-init's package install at first boot failed or has not finished; see /var/log/cloud-init-output.log)"
	cases := []struct {
		name      string
		tools     []string // dpkg-query, rpm
		installed string
		args      []string
		code      int
		stderr    string
	}{
		{"debian, installed", []string{"dpkg-query"}, "stress-ng qemu-guest-agent", []string{"--preinstalled", "stress-ng"}, 0, ""},
		{"debian, missing, preinstalled", []string{"dpkg-query"}, "curl", []string{"--preinstalled", "stress-ng"}, 1,
			"virtwork: package stress-ng is not installed " + preinstalledWhy + "\n"},
		{"debian, provided by another", []string{"dpkg-query"}, "mawk:awk", []string{"awk"}, 0, ""},
		{"fedora, one of two missing", []string{"rpm"}, "curl", []string{"curl", "python3"}, 1,
			"virtwork: package python3 is not installed " + bootWhy + "\n"},
		{"fedora, provided by another", []string{"rpm"}, "curl-minimal:curl", []string{"curl"}, 0, ""},
		{"several missing", []string{"rpm"}, "", []string{"--preinstalled", "netperf", "curl"}, 1,
			"virtwork: packages netperf, curl are not installed " + preinstalledWhy + "\n"},
		{"either database", []string{"dpkg-query", "rpm"}, "python3", []string{"python3"}, 0, ""},
		{"no database to ask", nil, "", []string{"stress-ng"}, 0,
			"virtwork: cannot check packages stress-ng: this guest has neither dpkg-query nor rpm\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bin := t.TempDir()
			if err := os.Symlink(awk, filepath.Join(bin, "awk")); err != nil {
				t.Fatal(err)
			}
			for _, tool := range c.tools {
				body := map[string]string{"dpkg-query": fakeDpkgQuery, "rpm": fakeRPM}[tool]
				if err := os.WriteFile(filepath.Join(bin, tool), []byte(body), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(bash, append([]string{script}, c.args...)...)
			cmd.Env = []string{"PATH=" + bin, "INSTALLED=" + c.installed}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != c.code || stderr.String() != c.stderr {
				t.Errorf("exit %d, stderr %q; want exit %d, stderr %q", code, stderr.String(), c.code, c.stderr)
			}
		})
	}
}

// TestPackageCheckRefusesUnsafeNames: a name that could end the word, the
// line or expand as a systemd specifier never reaches the unit, even if it
// got past the loader.
func TestPackageCheckRefusesUnsafeNames(t *testing.T) {
	unit := "[Service]\nExecStart=/bin/true\n"
	for _, p := range []string{"a b", "x\nExecStart=/bin/evil", "%n", "$(reboot)", "-rf", ""} {
		if got, err := withPackageCheck(unit, []string{"curl", p}, false); err == nil {
			t.Errorf("%q accepted:\n%s", p, got)
		}
	}
	got, err := withPackageCheck("[Unit]\n[Service]", []string{"libstdc++", "python3.12"}, true)
	want := "[Unit]\n[Service]\nExecStartPre=/usr/local/bin/virtwork-check-packages --preinstalled libstdc++ python3.12\n"
	if err != nil || got != want {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
}
