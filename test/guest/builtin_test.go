package guest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// steps is where CONTRIBUTING.md lists what adding a built-in workload takes.
const steps = "see CONTRIBUTING.md, \"Adding a built-in workload\""

// readmeRow is a row of the workloads table in the README's Workloads
// section: | `name` ...
var readmeRow = regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)`")

// TestBuiltinWorkloadsAreComplete: each directory of templates/ (a
// built-in workload) has its golden files, its README row and its guest
// checker, and the README lists no workload that is not built in. It needs
// no VM and runs in every go test.
func TestBuiltinWorkloadsAreComplete(t *testing.T) {
	reg := workloads.Builtin()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Workloads\n")
	if !ok {
		t.Fatal("README.md has no \"## Workloads\" section")
	}
	section, _, _ = strings.Cut(section, "\n#")
	rows := map[string]bool{}
	for _, m := range readmeRow.FindAllStringSubmatch(section, -1) {
		rows[m[1]] = true
	}
	all := checks()
	for _, name := range reg.Names() {
		golden := filepath.Join("pkg/render/testdata", name+".yaml")
		if _, err := os.Stat(filepath.Join("../..", golden)); err != nil {
			t.Errorf("templates/%s has no golden file %s: run go test ./pkg/render -run TestGolden -update and review what it wrote (%s)", name, golden, steps)
		}
		if !rows[name] {
			t.Errorf("templates/%s has no row in README.md's workloads table: add \"| `%s` | ...\" (%s)", name, name, steps)
		}
		c, ok := all[name]
		if !ok {
			t.Errorf("templates/%s has no guest checker: add %q to checks() in test/guest/checks_test.go (%s)", name, name, steps)
			continue
		}
		w, _ := reg.Get(name)
		for _, role := range w.Spec().Roles {
			if _, ok := c.ready[role.Name]; !ok {
				t.Errorf("the guest checker of %s has nothing for role %s: add it to its ready map (%s)", name, role.Name, steps)
			}
		}
	}
	for name := range rows {
		if _, ok := reg.Get(name); !ok {
			t.Errorf("README.md's workloads table has a row for %s, which is no directory of templates/", name)
		}
	}
	for name := range all {
		if _, ok := reg.Get(name); !ok {
			t.Errorf("checks() has a checker for %s, which is no directory of templates/", name)
		}
	}
}
