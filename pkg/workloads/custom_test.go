package workloads

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

const goodSpec = `name: echo
description: says hello
packages: [coreutils]
roles:
  - name: server
    unit: virtwork-echo-server.service
    data_disk: {mount_point: /srv/echo, size: 2Gi}
  - name: client
    unit: virtwork-echo-client.service
    count: 2
service:
  role: server
  clients: [client]
  ports: [{name: echo, port: 7}]
params:
  - {name: word, type: string, default: hello}
  - {name: times, type: int, default: "3", min: 1, max: 10}
  - {name: size, type: size, default: 1Ki, min: "1", max: 1Mi}
  - {name: mode, type: enum, values: [loud, quiet], default: quiet}
`

const goodUnit = "[Service]\nEnvironmentFile=/etc/virtwork/echo.env\nExecStart=/usr/local/bin/virtwork-echo {{ word }} {{times}}\n"
const goodScript = "#!/bin/bash\necho {{ word }} {{ size }} {{ mode }} \"$VIRTWORK_PARAM_WORD\"\n"

func goodDir() fstest.MapFS {
	return fstest.MapFS{
		"workload.yaml":                {Data: []byte(goodSpec)},
		"virtwork-echo-server.service": {Data: []byte(goodUnit)},
		"virtwork-echo-client.service": {Data: []byte(goodUnit)},
		"virtwork-echo.sh":             {Data: []byte(goodScript)},
	}
}

func loadOne(t *testing.T, fsys fstest.MapFS) (*Definition, error) {
	t.Helper()
	entries, err := LoadDir(fsys, "wl/echo")
	if err != nil {
		return nil, err
	}
	if len(entries) != 1 {
		t.Fatalf("%d entries, want 1", len(entries))
	}
	return entries[0].Workload, entries[0].Err
}

func TestCustomLoads(t *testing.T) {
	c, err := loadOne(t, goodDir())
	if err != nil {
		t.Fatal(err)
	}
	s := c.Spec()
	if s.Name != "echo" || len(s.Roles) != 2 || s.Roles[1].VMs() != 2 || s.Service.Ports[0].Protocol != "TCP" {
		t.Errorf("spec: %+v", s)
	}
	if got := s.Roles[0].DataDisk; got == nil || *got != (DataDisk{Serial: "virtwork-data", MountPoint: "/srv/echo", Size: "2Gi"}) {
		t.Errorf("data disk: %+v", got)
	}
	if !cmp.Equal(s.Packages, []string{"coreutils", "e2fsprogs"}) {
		t.Errorf("packages %v: a data disk needs e2fsprogs", s.Packages)
	}
	reg, err := Builtin().AddCustom([]Entry{{Dir: "wl/echo", Workload: c}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := reg.Get("echo"); !ok || len(reg.Names()) != len(Builtin().Names())+1 {
		t.Errorf("registry names %v", reg.Names())
	}
	vals, err := s.Defaults()
	if err != nil {
		t.Fatal(err)
	}
	vals["word"] = "hi.there"
	cc, err := c.CloudConfig(Instance{Role: "client", Params: vals, ServiceHost: HostRule{"virtwork-echo-3f2b6c1e-client-", "virtwork-echo-3f2b6c1e-", ".ns.svc"}})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range cc.WriteFiles {
		files[f.Path] = f.Content
	}
	if got := files["/usr/local/bin/virtwork-echo"]; got != "#!/bin/bash\necho hi.there 1024 quiet \"$VIRTWORK_PARAM_WORD\"\n" {
		t.Errorf("script: %q", got)
	}
	if got := files["/etc/systemd/system/virtwork-echo-client.service"]; !strings.Contains(got, "ExecStart=/usr/local/bin/virtwork-echo hi.there 3\n") {
		t.Errorf("unit: %q", got)
	}
	// The guest adds the Service host at first boot, from the VM's name.
	env := firstBoot(t, cc, "echo", "virtwork-echo-3f2b6c1e-client-5")
	for _, want := range []string{"VIRTWORK_PARAM_WORD=hi.there\n", "VIRTWORK_PARAM_SIZE=1024\n", "VIRTWORK_SERVICE_HOST=virtwork-echo-3f2b6c1e-5.ns.svc\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("env file lacks %q:\n%s", want, env)
		}
	}
	if _, ok := files["/usr/local/bin/virtwork-mount-data-disk"]; ok || strings.Contains(env, "VIRTWORK_DATA_") {
		t.Error("the client, which has no data disk, got the disk's setup")
	}
	if got := cc.RunCmd[len(cc.RunCmd)-1]; got[len(got)-1] != "virtwork-echo-client.service" {
		t.Errorf("client starts %v", got)
	}
	server, err := c.CloudConfig(Instance{Role: "server", Params: vals})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(server.WriteFiles[0].Content, "VIRTWORK_DATA_MOUNT=/srv/echo\n") {
		t.Errorf("server env: %s", server.WriteFiles[0].Content)
	}
	// A value that bypassed its param's validation still cannot reach a file.
	for _, bad := range []string{"a b", "x\nExecStartPre=/bin/evil", "$(reboot)", "`id`", "a;b", "50%", "'q'"} {
		vals["word"] = bad
		if _, err := c.CloudConfig(Instance{Role: "server", Params: vals}); err == nil {
			t.Errorf("value %q was written into a template", bad)
		}
	}
}

// TestCustomRejects: every rule of a custom workload, broken once. Each
// error names the file, the line and the field.
func TestCustomRejects(t *testing.T) {
	spec := func(old, new string) func(fstest.MapFS) {
		return func(d fstest.MapFS) {
			if !strings.Contains(goodSpec, old) {
				t.Fatalf("test bug: %q not in the spec", old)
			}
			d["workload.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(goodSpec, old, new, 1))}
		}
	}
	file := func(name, content string) func(fstest.MapFS) {
		return func(d fstest.MapFS) { d[name] = &fstest.MapFile{Data: []byte(content)} }
	}
	cases := []struct {
		name   string
		change func(fstest.MapFS)
		want   string
	}{
		{"not yaml", file("workload.yaml", "name: [x\n"), "wl/echo/workload.yaml: not valid YAML"},
		{"empty", file("workload.yaml", ""), "wl/echo/workload.yaml: empty"},
		{"two documents", file("workload.yaml", goodSpec+"---\nname: x\n"), "one YAML document"},
		{"unknown key", spec("packages:", "packagez:"), `wl/echo/workload.yaml:3: packagez: unknown key (did you mean "packages"?)`},
		{"no name", spec("name: echo\n", ""), `missing required key "name"`},
		{"level of an unknown param", spec("params:", "level: {param: tims}\nparams:"), `workload.yaml:15: level.param: "tims" is not a declared param`},
		{"level of a string param", spec("params:", "level: {param: word}\nparams:"), `level.param: param "word" must be an int`},
		{"level without a param", spec("params:", "level: {unit: times}\nparams:"), `missing required key "param"`},
		{"level unknown key", spec("params:", "level: {param: times, units: x}\nparams:"), `level.units: unknown key (did you mean "unit"?)`},
		{"reserved virtwork-level.sh", file("virtwork-level.sh", "#!/bin/bash\n"), "virtwork-level.sh"},
		{"reserved VIRTWORK_SCHEDULE", spec("{name: word, type: string, default: hello}", "{name: word, type: string, default: hello, env: VIRTWORK_SCHEDULE}"), "VIRTWORK_SCHEDULE"},
		{"path trick name", spec("name: echo", "name: ../etc"), `workload.yaml:1: name: "../etc" must be a DNS-1123 label`},
		{"upper name", spec("name: echo", "name: Echo"), "workload.yaml:1: name:"},
		{"long name", spec("name: echo", "name: "+strings.Repeat("e", 25)), "at most 24"},
		{"bad package", spec("[coreutils]", "[\"core utils; rm -rf /\"]"), "workload.yaml:3: packages[0]:"},
		{"no roles", spec("roles:\n  - name: server", "roles: []\nx:\n  - name: server"), "roles: must list 1 to 8 roles"},
		{"role name", spec("- name: server", "- name: Server!"), "workload.yaml:5: roles[0].name:"},
		{"duplicate role", spec("- name: client", "- name: server"), `workload.yaml:8: roles[1].name: role "server" is declared twice`},
		{"unit outside prefix", spec("unit: virtwork-echo-server.service", "unit: sshd.service"), `workload.yaml:6: roles[0].unit: "sshd.service" must be a virtwork-*.service`},
		{"unit path", spec("unit: virtwork-echo-server.service", "unit: ../virtwork-x.service"), "roles[0].unit:"},
		{"unit missing", spec("unit: virtwork-echo-server.service", "unit: virtwork-nope.service"), "workload.yaml:6: roles[0].unit: virtwork-nope.service is not a file in wl/echo"},
		{"count zero", spec("count: 2", "count: 0"), "workload.yaml:10: roles[1].count: must be an integer between 1 and 100"},
		{"mount root", spec("mount_point: /srv/echo", "mount_point: /"), "roles[0].data_disk.mount_point:"},
		{"mount etc", spec("mount_point: /srv/echo", "mount_point: /etc"), "not a system directory"},
		{"mount relative", spec("mount_point: /srv/echo", "mount_point: srv/echo"), "roles[0].data_disk.mount_point:"},
		{"mount dotdot", spec("mount_point: /srv/echo", "mount_point: /srv/../etc"), "roles[0].data_disk.mount_point:"},
		{"mount space", spec("mount_point: /srv/echo", "mount_point: \"/srv/a b\""), "roles[0].data_disk.mount_point:"},
		{"serial", spec("mount_point: /srv/echo", "mount_point: /srv/echo, serial: \"a b\""), "roles[0].data_disk.serial:"},
		{"serial long", spec("mount_point: /srv/echo", "mount_point: /srv/echo, serial: "+strings.Repeat("s", 21)), "1-20"},
		{"disk size", spec("size: 2Gi", "size: 2Mi"), "roles[0].data_disk.size: \"2Mi\" must be a Kubernetes quantity between 1Gi and 64Ti"},
		{"service role", spec("role: server", "role: nobody"), `workload.yaml:12: service.role: no role named "nobody"`},
		{"service empty", spec("service:\n  role: server\n  clients: [client]\n  ports: [{name: echo, port: 7}]\n", "service:\n"), `workload.yaml:11: service: missing required key "role"`},
		{"service client", spec("clients: [client]", "clients: [nobody]"), "service.clients[0]:"},
		{"service self client", spec("clients: [client]", "clients: [server]"), "cannot be its client"},
		{"port range", spec("port: 7}", "port: 70000}"), "service.ports[0].port: must be an integer between 1 and 65535"},
		{"port protocol", spec("port: 7}", "port: 7, protocol: SCTP}"), "service.ports[0].protocol: must be TCP or UDP"},
		{"port name", spec("name: echo, port", "name: Echo_Port, port"), "service.ports[0].name:"},
		{"param name", spec("name: word", "name: Word"), "params[0].name: \"Word\" must be kebab-case"},
		{"param type", spec("type: string", "type: text"), "params[0].type: must be int, size, enum or string"},
		{"param dup", spec("name: times", "name: word"), `param "word" is declared twice`},
		{"param default", spec(`default: "3"`, `default: "30"`), "params[1].default: must be between 1 and 10"},
		{"param no range", spec(", min: 1, max: 10", ""), "a int param needs min"},
		{"param range on string", spec("default: hello}", "default: hello, min: 1}"), "params[0].min: only int and size params take a range"},
		{"param min above max", spec("min: 1, max: 10", "min: 11, max: 10"), "params[1].max: is below min"},
		{"enum value unsafe", spec("[loud, quiet]", "[loud, \"qu iet\"]"), "params[3].values[1]:"},
		{"enum empty", spec("[loud, quiet]", "[]"), "an enum param needs a non-empty values list"},
		{"string default unsafe", spec("default: hello", "default: \"$(id)\""), "params[0].default:"},
		{"placeholder unknown", file("virtwork-echo.sh", "#!/bin/bash\n\necho {{ wrod }}\n"), `wl/echo/virtwork-echo.sh:3: placeholder {{ wrod }} names no param of the workload (did you mean "word"?)`},
		{"placeholder unclosed", file("virtwork-echo.sh", "#!/bin/bash\necho {{ word\n}}\n"), `wl/echo/virtwork-echo.sh:2: "{{" must start a placeholder`},
		{"placeholder expression", file("virtwork-echo-server.service", "[Service]\nExecStart=/bin/x {{ .Env }}\n"), "virtwork-echo-server.service:2:"},
		{"system unit", file("sshd.service", "[Service]\n"), "wl/echo/sshd.service: file name must be virtwork-<name>.service, .timer or .sh"},
		{"other file", file("virtwork-echo.conf", "x"), "wl/echo/virtwork-echo.conf: file name must be"},
		{"reserved", file("virtwork-mount-data-disk.sh", "#!/bin/sh\n"), "installed by virtwork itself"},
		{"binary", file("virtwork-echo.sh", "#!/bin/sh\x00"), "must be UTF-8 text"},
		{"too big", file("virtwork-echo.sh", strings.Repeat("#", 65<<10)), "over the 65536-byte limit"},
		{"subdirectory", file("sub/virtwork-x.sh", "#!/bin/sh\n"), "wl/echo/sub: must be a regular file"},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if seen[c.name] {
				t.Fatal("duplicate case name")
			}
			seen[c.name] = true
			d := goodDir()
			c.change(d)
			_, err := loadOne(t, d)
			if err == nil {
				t.Fatalf("accepted; want an error containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q\nwant one line containing %q", err, c.want)
			}
		})
	}
}

func TestCustomNameClashes(t *testing.T) {
	d := goodDir()
	d["workload.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(goodSpec, "name: echo", "name: cpu", 1))}
	c, err := loadOne(t, d)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Builtin().AddCustom([]Entry{{Dir: "wl/echo", Workload: c}})
	if want := `wl/echo/workload.yaml:1: name: "cpu" is a built-in workload; choose another name`; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	e, err := loadOne(t, goodDir())
	if err != nil {
		t.Fatal(err)
	}
	e2 := *e
	e2.Dir = "other/echo"
	_, err = Builtin().AddCustom([]Entry{{Workload: e}, {Workload: &e2}})
	if err == nil || !strings.Contains(err.Error(), "other/echo/workload.yaml:1: name: workload \"echo\" is also defined in wl/echo/workload.yaml") {
		t.Errorf("duplicate custom names: %v", err)
	}
}

func TestLoadDirLayouts(t *testing.T) {
	parent := fstest.MapFS{"README.md": {Data: []byte("docs")}, ".git/config": {Data: []byte("x")}}
	for name, f := range goodDir() {
		parent["echo/"+name] = f
	}
	entries, err := LoadDir(parent, "wl")
	if err != nil || len(entries) != 1 || entries[0].Err != nil || entries[0].Dir != "wl/echo" {
		t.Fatalf("a directory of workloads: %v %+v", err, entries)
	}
	if _, err := LoadDir(fstest.MapFS{"README.md": {Data: []byte("x")}}, "empty"); err == nil || !strings.Contains(err.Error(), "empty: no workloads") {
		t.Errorf("a directory without workloads: %v", err)
	}
	if _, err := LoadDir(os.DirFS("/nonexistent-virtwork"), "/nonexistent-virtwork"); err == nil || !strings.Contains(err.Error(), "/nonexistent-virtwork: cannot read the workload directory: no such file or directory") {
		t.Errorf("a missing directory: %v", err)
	}
	entries, err = LoadDir(os.DirFS("../../examples/workloads"), "examples/workloads")
	if err != nil || len(entries) < 2 {
		t.Fatalf("examples: %v", err)
	}
	for _, e := range entries {
		if e.Err != nil {
			t.Errorf("example %s: %v", e.Dir, e.Err)
		}
	}
}

func TestPackagesPerGuest(t *testing.T) {
	reg := Builtin()
	db, _ := reg.Get("database")
	cases := []struct {
		w    Workload
		g    Guest
		want []string
	}{
		{db, Fedora, []string{"postgresql-server", "postgresql-contrib", "e2fsprogs", GuestAgent}},
		{db, Debian, []string{"postgresql", "postgresql-contrib", "e2fsprogs", GuestAgent}},
		{db, Ubuntu, []string{"postgresql", "postgresql-contrib", "e2fsprogs", GuestAgent}},
	}
	chaosNet, _ := reg.Get("chaos-network")
	cases = append(cases, struct {
		w    Workload
		g    Guest
		want []string
	}{chaosNet, Debian, []string{"iproute2", GuestAgent}})
	for _, c := range cases {
		got, err := PackagesFor(c.w, c.g)
		if err != nil || !cmp.Equal(got, c.want) {
			t.Errorf("%s on %s: %v %v, want %v", c.w.Spec().Name, c.g, got, err, c.want)
		}
	}
	tps, _ := reg.Get("tps")
	if _, err := PackagesFor(tps, Debian); err == nil {
		t.Error("tps on debian: netperf is not in Debian's main archive")
	}
	if got, err := PackagesFor(tps, Ubuntu); err != nil || !cmp.Equal(got, []string{"netperf", "curl", "python3", GuestAgent}) {
		t.Errorf("tps on ubuntu: %v %v", got, err)
	}
	// A custom workload may name its packages per family; families it
	// leaves out cannot run it.
	d := goodDir()
	d["workload.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(goodSpec, "packages: [coreutils]", "packages:\n  fedora: [valkey]\n  debian: [redis-server]", 1))}
	c, err := loadOne(t, d)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := PackagesFor(c, Debian); err != nil || !cmp.Equal(got, []string{"redis-server", "e2fsprogs", GuestAgent}) {
		t.Errorf("custom on debian: %v %v", got, err)
	}
	if _, err := PackagesFor(c, Ubuntu); err == nil || !strings.Contains(err.Error(), "workload echo cannot run on a ubuntu guest: its workload.yaml lists packages for no ubuntu guest") {
		t.Errorf("custom on ubuntu: %v", err)
	}
	if !cmp.Equal(c.Spec().Packages, []string{"valkey", "e2fsprogs"}) {
		t.Errorf("listed packages %v", c.Spec().Packages)
	}
	d["workload.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(goodSpec, "packages: [coreutils]", "packages:\n  debain: [x]", 1))}
	if _, err := loadOne(t, d); err == nil || !strings.Contains(err.Error(), `workload.yaml:4: packages.debain: unknown key (did you mean "debian"?)`) {
		t.Errorf("misspelt family: %v", err)
	}
	// The guest agent is started first, without blocking.
	cpu, _ := reg.Get("cpu")
	cc, err := CloudConfigFor(cpu, Instance{Role: "worker", Params: Values{"load-percent": "50", "method": "all"}, Guest: Debian})
	if err != nil || !cmp.Equal(cc.RunCmd[0], []string{"systemctl", "start", "--no-block", "qemu-guest-agent.service"}) {
		t.Errorf("runcmd %v %v", cc.RunCmd, err)
	}
}

func TestGuestForImage(t *testing.T) {
	for image, want := range map[string]Guest{
		"quay.io/containerdisks/fedora:44":            Fedora,
		"quay.io/containerdisks/fedora":               Fedora,
		"quay.io/containerdisks/centos-stream:9":      CentOSStream,
		"quay.io/containerdisks/ubuntu:24.04":         Ubuntu,
		"quay.io/containerdisks/debian@sha256:abc":    Debian,
		"quay.io/containerdisks/debian:12@sha256:abc": Debian,
	} {
		if g, ok := GuestForImage(image); !ok || g != want {
			t.Errorf("%s: %s %v, want %s", image, g, ok, want)
		}
	}
	for _, image := range []string{"quay.io/containerdisks/fedora-coreos:1", "localhost:5000/fedora", "docker.io/library/debian:12", "example.com/containerdisks/debian:12"} {
		if g, ok := GuestForImage(image); ok {
			t.Errorf("%s: inferred %s for an image that is not well known", image, g)
		}
	}
}
