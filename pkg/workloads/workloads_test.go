package workloads

import (
	"strings"
	"testing"
)

func TestParamParse(t *testing.T) {
	intP := ParamSpec{Name: "n", Type: Int, Min: 1, Max: 10}
	sizeP := ParamSpec{Name: "s", Type: Size, Min: 512, Max: 1 << 30}
	enumP := ParamSpec{Name: "e", Type: Enum, Allowed: []string{"tcp", "udp"}}
	strP := ParamSpec{Name: "x", Type: String}
	tests := []struct {
		p       ParamSpec
		raw     string
		want    string
		wantErr string
	}{
		{intP, "5", "5", ""},
		{intP, " 007 ", "7", ""},
		{intP, "0", "", "must be between 1 and 10, got 0"},
		{intP, "1e3", "", "must be an integer"},
		{intP, "5;reboot", "", "must be an integer"},
		{sizeP, "4K", "4096", ""},
		{sizeP, "4k", "4096", ""},
		{sizeP, "4KiB", "4096", ""},
		{sizeP, "1G", "1073741824", ""},
		{sizeP, "512", "512", ""},
		{sizeP, "2G", "", "must be between 512 and 1G"},
		{sizeP, "4X", "", "must be a size"},
		{sizeP, "-4K", "", "must be a size"},
		{sizeP, "99999999999999999999K", "", "must be a size"},
		{enumP, "udp", "udp", ""},
		{enumP, "UDP", "", "must be one of tcp, udp"},
		{strP, "my-db_1.0", "my-db_1.0", ""},
		{strP, "a b", "", "must be 1-63 letters"},
		{strP, "$(reboot)", "", "must be 1-63 letters"},
		{strP, "x\nExecStart=/bin/sh", "", "must be 1-63 letters"},
		{strP, "-flag", "", "must be 1-63 letters"},
	}
	for _, tt := range tests {
		got, err := tt.p.Parse(tt.raw)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s.Parse(%q) = %q, %v; want error %q", tt.p.Name, tt.raw, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s.Parse(%q) = %q, %v; want %q", tt.p.Name, tt.raw, got, err, tt.want)
		}
	}
}

// TestEveryParamIsSafeInTheGuest: each built-in param's canonical values
// (default and bounds) are safe EnvironmentFile values, and each declares
// the variable its script reads.
func TestEveryParamIsSafeInTheGuest(t *testing.T) {
	reg := Builtin()
	for _, name := range reg.Names() {
		w, _ := reg.Get(name)
		s := w.Spec()
		for _, p := range s.Params {
			if !strings.HasPrefix(p.Env, "VIRTWORK_") {
				t.Errorf("%s.%s: env %q", name, p.Name, p.Env)
			}
			values := []string{p.Default}
			values = append(values, p.Allowed...)
			for _, v := range values {
				c, err := p.Parse(v)
				if err != nil {
					t.Errorf("%s.%s: %q: %v", name, p.Name, v, err)
					continue
				}
				if !envSafe(c) {
					t.Errorf("%s.%s: canonical %q is not EnvironmentFile-safe", name, p.Name, c)
				}
			}
		}
	}
}

func TestAssembleRefusesUnsafeValues(t *testing.T) {
	for _, v := range []string{"", "a b", "x\nExecStart=/bin/sh", "$(id)", "`id`", "a;b", "a\"b", "%n"} {
		if _, err := assembleFiles("cpu", nil, []EnvVar{{"VIRTWORK_X", v}}, nil, "virtwork-cpu.service", nil); err == nil {
			t.Errorf("value %q reached the EnvironmentFile", v)
		}
	}
}

func TestCloudConfigErrors(t *testing.T) {
	network, _ := Builtin().Get("network")
	if _, err := network.CloudConfig(Instance{Role: "client", Params: Values{}}); err == nil || err.Error() != "workload network: client needs the server's Service host" {
		t.Errorf("a client without its server's host must fail: %v", err)
	}
	if _, err := network.CloudConfig(Instance{Role: "observer"}); err == nil {
		t.Error("an unknown role must fail")
	}
}

func TestRegistry(t *testing.T) {
	reg := Builtin()
	cpu, _ := reg.Get("cpu")
	if _, err := NewRegistry(cpu, cpu); err == nil {
		t.Error("duplicate names must fail")
	}
	if _, err := reg.Lookup("dsk"); err == nil || !strings.Contains(err.Error(), `did you mean "disk"?`) {
		t.Errorf("Lookup(dsk) = %v", err)
	}
}

// TestCheckDisk: the fio files must fit the data disk.
func TestCheckDisk(t *testing.T) {
	w, _ := Builtin().Get("disk")
	disk := w.(DiskChecker)
	v := Values{"file-size": "1073741824"}
	if err := disk.CheckDisk(v, 10<<30); err != nil {
		t.Errorf("1G files on 10Gi: %v", err)
	}
	want := "two fio files of 1G need 2G, more than 90% of the 2G data disk; lower disk.file-size or raise the disk size"
	if err := disk.CheckDisk(v, 2<<30); err == nil || err.Error() != want {
		t.Errorf("2 x 1G files on a 2Gi disk must not fit: %v\nwant %s", err, want)
	}
}
