package report

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// TestWorkloadsTable: roles with more than one VM per instance carry their
// count, data disks name their roles, a Service shows its ports, a workload
// that cannot run on the guest says so instead of listing packages, and a
// bounded param shows its range (sizes as sizes).
func TestWorkloadsTable(t *testing.T) {
	lo, hi, small, big := int64(1), int64(100), int64(512), int64(16<<20)
	infos := []workloads.Info{
		{
			Name: "pair", Source: "built-in", Description: "a server and two clients",
			Roles: []workloads.RoleInfo{
				{Name: "server", VMs: 1, DataDisk: &workloads.DataDisk{}},
				{Name: "client", VMs: 2},
			},
			Service:  &workloads.ServiceInfo{Role: "server", Ports: []string{"7/TCP", "7/UDP"}},
			Packages: []string{"iperf3", "qemu-guest-agent"},
			Level:    &workloads.Level{Param: "level", Unit: "% busy"},
			Params: []workloads.ParamInfo{
				{Name: "level", Type: "int", Default: "50", Min: &lo, Max: &hi, Description: "how hard"},
				{Name: "block", Type: "size", Default: "4K", Min: &small, Max: &big, Description: "block size"},
				{Name: "proto", Type: "enum", Default: "tcp", Allowed: []string{"tcp", "udp"}, Description: "protocol"},
			},
		},
		{
			Name: "breaker", Source: "/wl/breaker", Chaos: true, Description: "breaks things",
			Roles:       []workloads.RoleInfo{{Name: "worker", VMs: 1}},
			Unavailable: "workload breaker cannot run on a debian guest",
		},
	}
	var out bytes.Buffer
	Workloads(&out, infos, workloads.Debian)
	want := `NAME     SOURCE       CHAOS  ROLES            DATA DISK     SERVICE      PACKAGES (debian)        DESCRIPTION
pair     built-in     -      server,client×2  yes (server)  7/TCP,7/UDP  iperf3,qemu-guest-agent  a server and two clients
breaker  /wl/breaker  yes    worker           no            no           (cannot run here)        breaks things

PARAM       TYPE  DEFAULT  ALLOWED   DESCRIPTION
pair.level  int   50       1..100    the level --profile shapes (% busy); how hard
pair.block  size  4K       512..16M  block size
pair.proto  enum  tcp      tcp|udp   protocol
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}
