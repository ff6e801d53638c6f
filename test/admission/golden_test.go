package admission

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is the plugin's module, two directories up.
const repoRoot = "../.."

// TestGoldenVMsAdmitted admits every VirtualMachine of pkg/render's golden
// files, which `go test ./pkg/render -run Golden -update` writes.
func TestGoldenVMsAdmitted(t *testing.T) {
	dir := filepath.Join(repoRoot, "pkg", "render", "testdata")
	hook := newWebhook(t, sizingObjects()...)
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".json")) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		vms, err := virtualMachines(path, data)
		if err != nil {
			return err
		}
		if len(vms) > 0 {
			files++
		}
		for _, vm := range vms {
			if resp := hook.admit(vm); !resp.Allowed {
				t.Errorf("%s: KubeVirt v1.9.0 refuses VirtualMachine %s: %s", vm.source, vm.name, refusal(resp))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every golden render holds VMs; far fewer files with VMs means the walk
	// or the decoding went wrong, not that there is nothing to check.
	if files < 15 {
		t.Fatalf("found VirtualMachines in %d files under %s, want every golden render (at least 15)", files, dir)
	}
}
