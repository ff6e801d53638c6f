package workloads

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDescribeBuiltin: the listing has every built-in workload in the
// registry's order, with its roles, disks, Service, packages and params.
func TestDescribeBuiltin(t *testing.T) {
	reg := Builtin()
	infos := Describe(reg, Fedora)
	var names []string
	byName := map[string]Info{}
	for _, wi := range infos {
		names = append(names, wi.Name)
		byName[wi.Name] = wi
		if wi.Source != "built-in" || wi.Params == nil || len(wi.Roles) == 0 {
			t.Errorf("%s: source %q, params %v, roles %v", wi.Name, wi.Source, wi.Params, wi.Roles)
		}
	}
	if diff := cmp.Diff(reg.Names(), names); diff != "" {
		t.Errorf("names (-registry +listing):\n%s", diff)
	}
	if byName["database"].Roles[0].DataDisk == nil || byName["cpu"].Roles[0].DataDisk != nil {
		t.Errorf("data disks: database %+v, cpu %+v", byName["database"].Roles, byName["cpu"].Roles)
	}
	if !slices.Contains(byName["database"].Packages, "postgresql-contrib") {
		t.Errorf("database packages on fedora: %v", byName["database"].Packages)
	}
	net := byName["network"]
	if net.Service == nil || net.Service.Role != "server" || !slices.Contains(net.Service.Ports, "5201/TCP") {
		t.Errorf("network service: %+v", net.Service)
	}
	params := map[string]ParamInfo{}
	for _, p := range byName["cpu"].Params {
		params[p.Name] = p
	}
	if lp := params["load-percent"]; len(byName["cpu"].Params) != 2 || lp.Min == nil || *lp.Min != 1 || *lp.Max != 100 || lp.Type != "int" {
		t.Errorf("cpu params: %+v", byName["cpu"].Params)
	}
	if m := params["method"]; m.Min != nil || m.Type != "enum" || !slices.Contains(m.Allowed, "matrixprod") {
		t.Errorf("cpu.method: %+v", m)
	}
}

// TestDescribeGuest: Packages are those of the guest asked for; a workload
// that cannot run there says why and still lists the families it runs on.
func TestDescribeGuest(t *testing.T) {
	for _, wi := range Describe(Builtin(), Debian) {
		if wi.Name != "tps" {
			continue
		}
		if wi.Packages != nil || !strings.Contains(wi.Unavailable, "debian") {
			t.Errorf("tps on debian: packages %v, unavailable %q", wi.Packages, wi.Unavailable)
		}
		if _, ok := wi.PackagesByGuest[Debian]; ok || len(wi.PackagesByGuest[Fedora]) == 0 {
			t.Errorf("tps packages by guest: %v", wi.PackagesByGuest)
		}
		return
	}
	t.Fatal("no tps in the listing")
}

// TestDescribeCustom: a custom workload's source is its directory, and its
// JSON form keeps the keys `workloads -o json` has always printed.
func TestDescribeCustom(t *testing.T) {
	entries, err := LoadDir(goodDir(), "wl/echo")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := Builtin().AddCustom(entries)
	if err != nil {
		t.Fatal(err)
	}
	var echo *Info
	for _, wi := range Describe(reg, Fedora) {
		if wi.Name == "echo" {
			echo = &wi
		}
	}
	if echo == nil {
		t.Fatal("no echo in the listing")
	}
	data, err := json.Marshal(echo)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	pkgs := []any{"coreutils", "e2fsprogs", "qemu-guest-agent"}
	want := map[string]any{
		"name": "echo", "description": "says hello", "source": "wl/echo",
		"roles": []any{
			map[string]any{"name": "server", "unit": "virtwork-echo-server.service", "vmsPerInstance": 1.0,
				"dataDisk": map[string]any{"mountPoint": "/srv/echo", "serial": "virtwork-data", "size": "2Gi"}},
			map[string]any{"name": "client", "unit": "virtwork-echo-client.service", "vmsPerInstance": 2.0},
		},
		"service":         map[string]any{"role": "server", "ports": []any{"7/TCP"}},
		"packages":        pkgs,
		"packagesByGuest": map[string]any{"fedora": pkgs, "centos-stream": pkgs, "ubuntu": pkgs, "debian": pkgs, "rhel": pkgs},
		"params": []any{
			map[string]any{"name": "word", "type": "string", "default": "hello", "description": ""},
			map[string]any{"name": "times", "type": "int", "default": "3", "min": 1.0, "max": 10.0, "description": ""},
			map[string]any{"name": "size", "type": "size", "default": "1Ki", "min": 1.0, "max": 1048576.0, "description": ""},
			map[string]any{"name": "mode", "type": "enum", "default": "quiet", "allowed": []any{"loud", "quiet"}, "description": ""},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}
