package render

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// preinstalledConfig is testConfig for a guest of family g with every
// workload's preinstalled setting p.
func preinstalledConfig(t *testing.T, g workloads.Guest, p bool, names ...string) *config.Config {
	cfg := testConfig(t, 1, names...)
	cfg.Guest = g
	for i := range cfg.Workloads {
		cfg.Workloads[i].Preinstalled = p
	}
	return cfg
}

// TestGoldenPreinstalled: a database run on a Debian golden image; its
// user-data has no packages key.
func TestGoldenPreinstalled(t *testing.T) {
	b := mustRender(t, preinstalledConfig(t, workloads.Debian, true, "database"))
	tools.Golden(t, filepath.Join("testdata", "database-preinstalled.yaml"), yamlOf(t, b), *update, "./pkg/render")
	for secret, ud := range secretUserData(t, b) {
		tools.Golden(t, filepath.Join("testdata", "userdata", secret+"-preinstalled.yaml"), []byte(ud), *update, "./pkg/render")
	}
}

// mirrorFree are the only top-level keys a preinstalled VM's #cloud-config
// may hold: none of cloud-init's package keys (packages, package_update,
// package_upgrade, apt, yum_repos, zypper, snap, ...) asks a mirror when
// it is absent.
var mirrorFree = []string{"write_files", "runcmd", "users", "ssh_pwauth", "ssh_authorized_keys"}

// packageTools are commands that would reach a package mirror from runcmd.
var packageTools = []string{"apt", "apt-get", "aptitude", "dnf", "yum", "microdnf", "zypper", "snap", "pip", "pip3", "curl", "wget"}

// TestPreinstalledAsksNoMirror: for every guest family and built-in
// workload, with SSH access on, a preinstalled VM's user-data installs no
// package, configures no repository and runs no package tool; the same
// run without the setting does install its packages.
func TestPreinstalledAsksNoMirror(t *testing.T) {
	ssh := config.SSH{User: "ops", PasswordHash: "$6$saltsaltsaltsalt$hash",
		AuthorizedKeys: []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host"}}
	for _, g := range workloads.Guests() {
		for _, name := range workloads.Builtin().Names() {
			with := preinstalledConfig(t, g, true, name)
			with.SSH = ssh
			b, err := Render(Input{Config: with, Registry: workloads.Builtin()})
			if err != nil {
				// The families whose repositories lack a package stay
				// refused: the names the units check are still that
				// family's (tps needs netperf).
				if !strings.Contains(err.Error(), "cannot run on a "+string(g)+" guest") {
					t.Errorf("%s on %s: %v", name, g, err)
				}
				continue
			}
			for secret, ud := range secretUserData(t, b) {
				checkMirrorFree(t, g, secret, ud)
			}
			for secret, ud := range secretUserData(t, mustRender(t, preinstalledConfig(t, g, false, name))) {
				if !strings.Contains(ud, "\npackages:\n") {
					t.Errorf("%s on %s without preinstalled installs no packages:\n%s", secret, g, ud)
				}
			}
		}
	}
}

func checkMirrorFree(t *testing.T, g workloads.Guest, secret, ud string) {
	t.Helper()
	var doc struct {
		WriteFiles []struct{ Path string } `json:"write_files"`
		RunCmd     [][]string              `json:"runcmd"`
	}
	var keys map[string]any
	if err := yaml.Unmarshal([]byte(ud), &keys); err != nil {
		t.Fatalf("%s on %s: %v", secret, g, err)
	}
	if err := yaml.Unmarshal([]byte(ud), &doc); err != nil {
		t.Fatalf("%s on %s: %v", secret, g, err)
	}
	for k := range keys {
		if !slices.Contains(mirrorFree, k) {
			t.Errorf("%s on %s, preinstalled: user-data has key %s", secret, g, k)
		}
	}
	for _, f := range doc.WriteFiles {
		for _, dir := range []string{"/etc/apt/", "/etc/yum.repos.d/", "/etc/dnf/", "/etc/zypp/", "/etc/pip.conf"} {
			if strings.HasPrefix(f.Path, dir) {
				t.Errorf("%s on %s, preinstalled: user-data writes %s", secret, g, f.Path)
			}
		}
	}
	for _, c := range doc.RunCmd {
		if len(c) > 0 && slices.Contains(packageTools, filepath.Base(c[0])) {
			t.Errorf("%s on %s, preinstalled: runcmd runs %v", secret, g, c)
		}
	}
}
