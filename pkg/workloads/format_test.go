package workloads

import (
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/virtwork/kubectl-virtwork/templates"
)

// TestBuiltinLoads: every directory of templates/ (but lib/) is a valid
// workload named after its directory. Builtin panics on what this reports.
func TestBuiltinLoads(t *testing.T) {
	reg, err := loadBuiltin(templates.FS)
	if err != nil {
		t.Fatalf("templates/ does not load; fix the directory the error names: %v", err)
	}
	des, _ := fs.ReadDir(templates.FS, ".")
	var dirs []string
	for _, de := range des {
		if de.IsDir() && de.Name() != sharedDir {
			dirs = append(dirs, de.Name())
		}
	}
	if !cmp.Equal(reg.Names(), dirs) {
		t.Errorf("built-in names %v, directories %v", reg.Names(), dirs)
	}
	for _, name := range reg.Names() {
		w, _ := reg.Get(name)
		if d := w.(*Definition); d.Source() != "built-in" || d.Dir != "templates/"+name {
			t.Errorf("%s: source %q, dir %q", name, d.Source(), d.Dir)
		}
		if s := w.Spec(); s.Implicit == s.Chaos {
			t.Errorf("%s: a built-in is implicit exactly when it is not chaos (implicit %v, chaos %v)", name, s.Implicit, s.Chaos)
		}
	}
	broken := fstest.MapFS{"cpu/workload.yaml": {Data: []byte("name: cpu\nroles: [{name: w, unit: virtwork-cpu.service}]\n")}}
	if _, err := loadBuiltin(broken); err == nil || !strings.Contains(err.Error(), "built-in workload cpu: templates/cpu/workload.yaml:2: roles[0].unit: virtwork-cpu.service is not a file in templates/cpu") {
		t.Errorf("a broken built-in: %v", err)
	}
	misnamed := fstest.MapFS{"cpu2/workload.yaml": {Data: []byte("name: cpu\nroles: [{name: w, unit: virtwork-cpu.service}]\n")},
		"cpu2/virtwork-cpu.service": {Data: []byte("[Service]\n")}}
	if _, err := loadBuiltin(misnamed); err == nil || err.Error() != `templates/cpu2/workload.yaml:1: name: "cpu" must be the directory's name, "cpu2"` {
		t.Errorf("a misnamed built-in: %v", err)
	}
}

// A workload that uses every field the built-ins need.
const fullSpec = `name: full
roles:
  - name: server
    unit: virtwork-full-server.service
    also_start: [virtwork-full-extra.service]
    data_disk: {mount_point: /srv/full}
    files: [virtwork-full.sh, virtwork-full.fio, postgresql-virtwork.conf, virtwork-full-server.service, virtwork-full-extra.service]
    env:
      - {name: VIRTWORK_FULL_PORT, value: "7"}
      - param: size
  - name: client
    unit: virtwork-full-client.service
    files: [virtwork-full-client.service]
    env:
      - service_host: VIRTWORK_FULL_SERVER
      - params: all
service: {role: server, clients: [client], ports: [{name: full, port: 7}]}
drop_ins:
  - {file: postgresql-virtwork.conf, units: [postgresql.service, postgresql@.service]}
data_files:
  - {file: virtwork-full.fio, dir: /etc/virtwork/full}
disk_checks:
  - {param: size, count: 2, percent: 90, what: two files}
params:
  - {name: size, type: size, default: 1Gi, min: 1Mi, max: 1Ti, env: VIRTWORK_FULL_SIZE}
  - {name: word, type: string, default: hi}
needs:
  virtwork-full-client.service: []
`

func fullDir() fstest.MapFS {
	return fstest.MapFS{
		"workload.yaml":                {Data: []byte(fullSpec)},
		"virtwork-full.sh":             {Data: []byte("#!/bin/sh\necho {{ word }}\n")},
		"virtwork-full.fio":            {Data: []byte("[job]\n")},
		"postgresql-virtwork.conf":     {Data: []byte("[Service]\nTimeoutSec=60\n")},
		"virtwork-full-server.service": {Data: []byte("[Service]\nExecStart=/usr/local/bin/virtwork-full\n")},
		"virtwork-full-extra.service":  {Data: []byte("[Service]\nExecStart=/bin/true\n")},
		"virtwork-full-client.service": {Data: []byte("[Service]\nExecStart=/bin/true\n")},
	}
}

func TestFormatRendersEveryField(t *testing.T) {
	d, err := loadOne(t, fullDir())
	if err != nil {
		t.Fatal(err)
	}
	vals, _ := d.Spec().Defaults()
	server, err := d.CloudConfig(Instance{Role: "server", Params: vals})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range server.WriteFiles {
		paths = append(paths, f.Path+" "+f.Permissions)
	}
	want := []string{
		"/etc/virtwork/full.env 0644",
		"/usr/local/bin/virtwork-mount-data-disk 0755",
		"/usr/local/bin/virtwork-check-packages 0755",
		"/usr/local/bin/virtwork-full 0755",
		"/etc/virtwork/full/virtwork-full.fio 0644",
		"/etc/systemd/system/postgresql.service.d/postgresql-virtwork.conf 0644",
		"/etc/systemd/system/postgresql@.service.d/postgresql-virtwork.conf 0644",
		"/etc/systemd/system/virtwork-full-server.service 0644",
		"/etc/systemd/system/virtwork-full-extra.service 0644",
	}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("server files (-want +got):\n%s", diff)
	}
	wantEnv := "# Written by kubectl-virtwork; read by the virtwork-* units.\nVIRTWORK_FULL_PORT=7\nVIRTWORK_FULL_SIZE=1073741824\nVIRTWORK_DATA_SERIAL=virtwork-data\nVIRTWORK_DATA_MOUNT=/srv/full\n"
	if got := server.WriteFiles[0].Content; got != wantEnv {
		t.Errorf("server env:\n%s\nwant\n%s", got, wantEnv)
	}
	wantRun := [][]string{{"systemctl", "daemon-reload"},
		{"systemctl", "enable", "--now", "--no-block", "virtwork-full-server.service"},
		{"systemctl", "enable", "--now", "--no-block", "virtwork-full-extra.service"}}
	if !cmp.Equal(server.RunCmd, wantRun) {
		t.Errorf("server runcmd %v", server.RunCmd)
	}
	client, err := d.CloudConfig(Instance{Role: "client", Params: vals, ServiceHost: HostRule{"virtwork-full-3f2b6c1e-client-", "virtwork-full-3f2b6c1e-", ".ns.svc"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(client.WriteFiles) != 3 || client.WriteFiles[1].Path != serviceHostScript.dest {
		t.Errorf("client files %+v", client.WriteFiles)
	}
	wantEnv = "# Written by kubectl-virtwork; read by the virtwork-* units.\n# VIRTWORK_FULL_SERVER, this VM's Service host, is added at first boot by /usr/local/bin/virtwork-service-host.\nVIRTWORK_FULL_SIZE=1073741824\nVIRTWORK_PARAM_WORD=hi\nVIRTWORK_FULL_SERVER=virtwork-full-3f2b6c1e-2.ns.svc\n"
	if got := firstBoot(t, client, "full", "virtwork-full-3f2b6c1e-client-2"); got != wantEnv {
		t.Errorf("client env after first boot:\n%s\nwant\n%s", got, wantEnv)
	}
	if _, err := d.CloudConfig(Instance{Role: "client", Params: vals}); err == nil || err.Error() != "workload full: client needs the server's Service host" {
		t.Errorf("a client without a host: %v", err)
	}
	if err := d.CheckDisk(vals, 2<<30); err == nil || err.Error() != "two files of 1G need 2G, more than 90% of the 2G data disk; lower full.size or raise the disk size" {
		t.Errorf("disk check: %v", err)
	}
	if err := d.CheckDisk(vals, 3<<30); err != nil {
		t.Errorf("disk check on 3Gi: %v", err)
	}
}

// TestFormatRejects: every rule of the fields the built-ins brought,
// broken once; each error names the file, line and key.
func TestFormatRejects(t *testing.T) {
	spec := func(old, new string) func(fstest.MapFS) {
		return func(d fstest.MapFS) {
			if !strings.Contains(fullSpec, old) {
				t.Fatalf("test bug: %q not in the spec", old)
			}
			d["workload.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(fullSpec, old, new, 1))}
		}
	}
	cases := []struct {
		name   string
		change func(fstest.MapFS)
		want   string
	}{
		{"drop-in for a non-service", spec("units: [postgresql.service,", "units: [sshd.socket,"), `workload.yaml:19: drop_ins[0].units[0]: "sshd.socket" must be the name of a service unit`},
		{"drop-in path trick", spec("units: [postgresql.service,", "units: [../../x.service,"), `drop_ins[0].units[0]: "../../x.service" must be the name of a service unit`},
		{"drop-in name without virtwork", spec("{file: postgresql-virtwork.conf", "{file: override.conf"), `drop_ins[0].file: "override.conf" must be a <name>.conf file whose name holds the word virtwork`},
		{"drop-in no units", spec("units: [postgresql.service, postgresql@.service]", "units: []"), "drop_ins[0].units: must list at least one unit"},
		{"data file outside /etc/virtwork", spec("dir: /etc/virtwork/full", "dir: /etc/systemd/system"), `workload.yaml:21: data_files[0].dir: "/etc/systemd/system" must be a directory under /etc/virtwork`},
		{"data file in /etc/virtwork itself", spec("dir: /etc/virtwork/full", "dir: /etc/virtwork"), "data_files[0].dir:"},
		{"data file dotdot", spec("dir: /etc/virtwork/full", "dir: /etc/virtwork/../passwd"), "data_files[0].dir:"},
		{"data file is a unit", spec("{file: virtwork-full.fio", "{file: virtwork-full-extra.service"), "not a unit or script"},
		{"declared twice", spec("drop_ins:\n", "drop_ins:\n  - {file: postgresql-virtwork.conf, units: [x.service]}\n"), "drop_ins[1]: postgresql-virtwork.conf is declared twice in drop_ins and data_files"},
		{"declared file missing", func(d fstest.MapFS) { delete(d, "virtwork-full.fio") }, "workload.yaml:21: data_files[0]: virtwork-full.fio is not a file in wl/echo"},
		{"env bad name", spec("{name: VIRTWORK_FULL_PORT", "{name: PATH"), `roles[0].env[0]: "PATH" must be VIRTWORK_ followed by`},
		{"env reserved name", spec("{name: VIRTWORK_FULL_PORT", "{name: VIRTWORK_DATA_MOUNT"), "VIRTWORK_DATA_MOUNT is set by virtwork for a role's data disk"},
		{"env hostname stand-in", spec("{name: VIRTWORK_FULL_PORT", "{name: VIRTWORK_HOSTNAME"), "VIRTWORK_HOSTNAME stands in for the clock or hostname of virtwork's level controller"},
		{"env clock stand-in", spec("{name: VIRTWORK_FULL_PORT", "{name: VIRTWORK_NOW"), "VIRTWORK_NOW stands in for the clock or hostname"},
		{"env unsafe value", spec(`value: "7"`, `value: "7 8"`), `roles[0].env[0]: value "7 8" may only hold letters`},
		{"env two kinds", spec("- param: size", "- {param: size, params: all}"), "roles[0].env[1]: must be one of"},
		{"env value without name", spec("- param: size", "- {value: x}"), "roles[0].env[1]: must be one of"},
		{"env params not all", spec("- params: all", "- params: some"), `roles[1].env[1].params: must be all`},
		{"env unknown param", spec("- param: size", "- param: sise"), `roles[0].env[1]: no param named "sise"`},
		{"env twice", spec("- param: size", "- params: all\n      - param: size"), "VIRTWORK_FULL_SIZE is set twice in the EnvironmentFile of role server"},
		{"service host outside clients", spec("- param: size", "- service_host: VIRTWORK_X"), "roles[0].env[1]: only a role in service.clients has a Service host"},
		{"param env bad", spec("env: VIRTWORK_FULL_SIZE", "env: virtwork_size"), "params[0].env:"},
		{"file unknown", spec("files: [virtwork-full-client.service]", "files: [virtwork-nope.service]"), "workload.yaml:13: roles[1].files[0]: virtwork-nope.service is not a file in wl/echo"},
		{"file twice", spec("files: [virtwork-full-client.service]", "files: [virtwork-full-client.service, virtwork-full-client.service]"), "roles[1].files[1]: virtwork-full-client.service is listed twice"},
		{"unit not in files", spec("files: [virtwork-full-client.service]", "files: [virtwork-full.sh]"), "roles[1].unit: virtwork-full-client.service is not among the role's files"},
		{"file used by no role", func(d fstest.MapFS) { d["virtwork-full-old.sh"] = &fstest.MapFile{Data: []byte("#!/bin/sh\n")} }, "wl/echo/virtwork-full-old.sh: no role's files list it"},
		{"also_start a script", spec("also_start: [virtwork-full-extra.service]", "also_start: [virtwork-full.sh]"), `roles[0].also_start[0]: "virtwork-full.sh" must be another virtwork-*.service or .timer of the role`},
		{"also_start the unit", spec("also_start: [virtwork-full-extra.service]", "also_start: [virtwork-full-server.service]"), "roles[0].also_start[0]:"},
		{"also_start another role's", spec("also_start: [virtwork-full-extra.service]", "also_start: [virtwork-full-client.service]"), "roles[0].also_start[0]: virtwork-full-client.service is not among the role's files"},
		{"disk check not a size", spec("{param: size, count", "{param: word, count"), `disk_checks[0]: param "word" is not a size param of the workload (size params: size)`},
		{"disk check percent", spec("percent: 90", "percent: 190"), "disk_checks[0].percent: must be an integer between 1 and 100"},
		{"disk check no disk", spec("    data_disk: {mount_point: /srv/full}\n", ""), "disk_checks[0]: the workload has no data disk to check"},
		{"disk check missing key", spec(", what: two files}", "}"), `disk_checks[0]: missing required key "what"`},
		{"needs an uninstalled package", spec("virtwork-full-client.service: []", "virtwork-full-client.service: [fio]"), "needs.virtwork-full-client.service: virtwork-full-client.service needs fio, which is not among the workload's packages"},
		{"needs no unit of the directory", spec("virtwork-full-client.service: []", "virtwork-full-gone.service: []"), "needs.virtwork-full-gone.service: virtwork-full-gone.service is not a file in wl/echo"},
		{"needs a script", spec("virtwork-full-client.service: []", "virtwork-full.sh: []"), `"virtwork-full.sh" must be a virtwork-*.service file of this workload`},
		{"needs a bad name", spec("virtwork-full-client.service: []", "virtwork-full-client.service: [e2fsprogs, \"$(reboot)\"]"), `"$(reboot)" is not a package name`},
		{"service without [Service]", func(d fstest.MapFS) {
			d["virtwork-full-extra.service"] = &fstest.MapFile{Data: []byte("[Unit]\nDescription=x\n")}
		}, "wl/echo/virtwork-full-extra.service: a service unit needs a [Service] section"},
		{"implicit chaos", spec("name: full\n", "name: full\nimplicit: true\nchaos: true\n"), "wl/echo/workload.yaml:2: implicit: a chaos workload is never implicit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := fullDir()
			c.change(d)
			_, err := loadOne(t, d)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v\nwant one line containing %q", err, c.want)
			}
		})
	}
}

// TestImplicitIsForBuiltins: a custom workload cannot make itself part of
// every run; a directory that is a built-in's own adds nothing.
func TestImplicitIsForBuiltins(t *testing.T) {
	d := fullDir()
	d["workload.yaml"] = &fstest.MapFile{Data: []byte("implicit: true\n" + fullSpec)}
	c, err := loadOne(t, d)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Builtin().AddCustom([]Entry{{Dir: "wl/echo", Workload: c}})
	if want := "wl/echo/workload.yaml:1: implicit: only built-in workloads run implicitly; a workload from --workload-dir runs when --workloads names it"; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	sub, _ := fs.Sub(templates.FS, "cpu")
	entries, err := LoadDir(sub, "templates/cpu")
	if err != nil || entries[0].Err != nil {
		t.Fatal(err, entries[0].Err)
	}
	if err := Builtin().CheckName(entries[0].Workload); err != nil {
		t.Errorf("templates/cpu itself: %v", err)
	}
	reg, err := Builtin().AddCustom(entries)
	if err != nil || !cmp.Equal(reg.Names(), Builtin().Names()) {
		t.Errorf("adding templates/cpu: %v %v", reg.Names(), err)
	}
	// One byte more and it is a custom workload that takes a built-in's name.
	edited := fstest.MapFS{}
	for _, f := range []string{"workload.yaml", "virtwork-cpu.sh", "virtwork-cpu.service"} {
		data, _ := fs.ReadFile(sub, f)
		edited[f] = &fstest.MapFile{Data: data}
	}
	edited["virtwork-cpu.sh"].Data = append(edited["virtwork-cpu.sh"].Data, '\n')
	e, err := LoadDir(edited, "mine/cpu")
	if err != nil || e[0].Err != nil {
		t.Fatal(err, e[0].Err)
	}
	if err := Builtin().CheckName(e[0].Workload); err == nil || !strings.Contains(err.Error(), `mine/cpu/workload.yaml:1: name: "cpu" is a built-in workload`) {
		t.Errorf("an edited copy of templates/cpu: %v", err)
	}
}

// TestREADMEAnnotatesEveryKey: the README's annotated workload.yaml loads,
// and shows every key the loader knows.
func TestREADMEAnnotatesEveryKey(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "`workload.yaml`, annotated:")
	if ok {
		_, block, ok = strings.Cut(block, "```yaml\n")
	}
	if ok {
		block, _, ok = strings.Cut(block, "```\n")
	}
	if !ok {
		t.Fatal("README.md has no annotated workload.yaml block")
	}
	dir := fstest.MapFS{"workload.yaml": {Data: []byte(block)}}
	for _, f := range regexp.MustCompile(`[a-z-]*virtwork[a-z0-9-]*\.(service|sh|conf)\b`).FindAllString(block, -1) {
		if !strings.HasPrefix(f, "virtwork-mount") {
			data := "# " + f + "\n"
			if strings.HasSuffix(f, ".service") {
				data += "[Service]\nExecStart=/bin/true\n" // where the package check goes
			}
			dir[f] = &fstest.MapFile{Data: []byte(data)}
		}
	}
	if _, err := loadOne(t, dir); err != nil {
		t.Errorf("the annotated workload.yaml does not load: %v", err)
	}
	keys := [][]string{topKeys, roleKeys, paramKeys, diskCheckKeys, envItemKeys, signalKeys, queryKeys, seriesKeys, {"file", "units", "dir", "mount_point", "serial", "size", "role", "clients", "ports", "protocol"}}
	for _, ks := range keys {
		for _, k := range ks {
			if !regexp.MustCompile(`(?m)(^|[ {,-])` + k + `:`).MatchString(block) {
				t.Errorf("the README's annotated workload.yaml does not show %s", k)
			}
		}
	}
}
