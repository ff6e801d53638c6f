package workloads

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGoldenPackages(t *testing.T) {
	tests := []struct {
		guest Guest
		want  []string
	}{
		// tps cannot run on Debian (netperf), yet its curl and python3 are
		// there; the names are Debian's.
		{Debian, []string{"curl", "e2fsprogs", "fio", "iperf3", "iproute2", "postgresql", "postgresql-contrib", "procps", "python3", "qemu-guest-agent", "stress-ng"}},
		{Fedora, []string{"curl", "e2fsprogs", "fio", "iperf3", "iproute-tc", "netperf", "postgresql-contrib", "postgresql-server", "procps-ng", "python3", "qemu-guest-agent", "stress-ng"}},
	}
	for _, tt := range tests {
		got, err := GoldenPackages(Builtin(), tt.guest)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("GoldenPackages(%s) (-want +got):\n%s", tt.guest, diff)
		}
	}
	empty, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := GoldenPackages(empty, Debian); err == nil {
		t.Error("GoldenPackages of an empty registry: no error")
	}
}
