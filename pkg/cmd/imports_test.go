package cmd

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLibrariesImportNoCobra guards the layout: pkg/cmd is wiring only, so
// the packages that do the commands' jobs must be usable, and testable,
// without the command framework.
func TestLibrariesImportNoCobra(t *testing.T) {
	for _, pkg := range []string{"deploy", "cleanup", "status", "report", "wait", "progress", "audit", "workloads", "validate", "plan", "monitoring", "verify", "disrupt"} {
		out, err := exec.Command("go", "list", "-deps", "github.com/virtwork/kubectl-virtwork/pkg/"+pkg).Output()
		if err != nil {
			t.Fatalf("go list: %v", err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 20 {
			t.Fatalf("go list -deps %s printed %d packages; expected the whole graph", pkg, len(deps))
		}
		for _, d := range deps {
			if strings.HasPrefix(d, "github.com/spf13/cobra") || strings.HasSuffix(d, "/pkg/cmd") {
				t.Errorf("pkg/%s depends on %s", pkg, d)
			}
		}
	}
}
