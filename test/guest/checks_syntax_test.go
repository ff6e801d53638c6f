package guest

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// TestCheckerSyntax parses every checker the guest test would ship, with
// bash -n, so a typo fails here in a second instead of after a boot. It
// needs no VM and runs in every go test.
func TestCheckerSyntax(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	all := checks()
	for _, name := range workloads.Builtin().Names() {
		c, ok := all[name]
		if !ok {
			t.Errorf("workload %s has no guest check: add one to checks()", name)
			continue
		}
		w, _ := workloads.Builtin().Get(name)
		for _, role := range w.Spec().Roles {
			ready, ok := c.ready[role.Name]
			if !ok {
				t.Errorf("the check of %s has nothing for role %s", name, role.Name)
				continue
			}
			vd := checker{vm: "vm", unit: role.Unit, serial: "virtwork-data", hosts: []string{"10.99.0.1 svc"},
				ready: ready, final: c.final[role.Name], timeout: time.Minute}.vendorData()
			// The vendor-data script, and the checker it writes.
			_, rest, _ := strings.Cut(vd, "<<'VIRTWORK_CHECK'\n")
			inner, _, _ := strings.Cut(rest, "\nVIRTWORK_CHECK\n")
			for what, script := range map[string]string{"vendor-data": vd, "checker": inner} {
				cmd := exec.Command(bash, "-n")
				cmd.Stdin = strings.NewReader(script)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("%s/%s: the %s does not parse: %v\n%s", name, role.Name, what, err, out)
				}
			}
		}
	}
}
