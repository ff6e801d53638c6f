package workloads

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// TestScheduleContract: a workload that declares a level and is given a
// schedule gets, beside its own files, the schedule file, the reader
// script and VIRTWORK_SCHEDULE naming the file in its EnvironmentFile; a
// workload without a level refuses a schedule; without one nothing
// changes.
func TestScheduleContract(t *testing.T) {
	dir := goodDir()
	dir["workload.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(goodSpec, "params:", "level: {param: times, unit: echoes}\nparams:", 1))}
	d, err := loadOne(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Spec().Level, (&Level{Param: "times", Unit: "echoes", Roles: []string{"server", "client"}}); !cmp.Equal(got, want) {
		t.Errorf("Level %+v, want %+v", got, want)
	}
	v, _ := d.Spec().Defaults()
	if lr, ok := d.Spec().LevelRange(v); !ok || lr != (LevelRange{Min: 1, Max: 10, Value: 3}) {
		t.Errorf("LevelRange %+v %v, want {1 10 3} true", lr, ok)
	}
	const sched = "virtwork-schedule 1\nstart boot\nduration never\nphase 0\ncycle 0\n0 3\n"
	plain, err := d.CloudConfig(Instance{Role: "client", Params: v})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := d.CloudConfig(Instance{Role: "client", Params: v, Schedule: sched})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]File{}
	for _, f := range cc.WriteFiles {
		files[f.Path] = f
	}
	if f := files["/etc/virtwork/echo.schedule"]; f.Content != sched || f.Permissions != "0644" {
		t.Errorf("schedule file %+v", f)
	}
	if f := files["/usr/local/bin/virtwork-level"]; !strings.Contains(f.Content, "virtwork_level()") || f.Permissions != "0755" {
		t.Errorf("reader script %q (%s)", f.Path, f.Permissions)
	}
	if env := files[EnvFilePath("echo")].Content; !strings.HasSuffix(env, "VIRTWORK_SCHEDULE=/etc/virtwork/echo.schedule\n") {
		t.Errorf("EnvironmentFile does not end with VIRTWORK_SCHEDULE:\n%s", env)
	}
	if len(cc.WriteFiles) != len(plain.WriteFiles)+2 {
		t.Errorf("%d files with a schedule, %d without; want two more", len(cc.WriteFiles), len(plain.WriteFiles))
	}

	noLevel, err := loadOne(t, goodDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noLevel.CloudConfig(Instance{Role: "client", Params: v, Schedule: sched}); err == nil || !strings.Contains(err.Error(), "declares no level") {
		t.Errorf("a schedule for a workload without a level: %v", err)
	}
}

// TestBuiltinLevels: which built-in workloads take a load profile, as the
// workloads listing shows them.
func TestBuiltinLevels(t *testing.T) {
	got := map[string]*Level{}
	for _, wi := range Describe(Builtin(), DefaultGuest) {
		if wi.Level != nil {
			got[wi.Name] = wi.Level
		}
	}
	active := &Level{Param: "active", Unit: "active (1) or not (0)", Roles: []string{"worker"}}
	want := map[string]*Level{
		"cpu":           {Param: "load-percent", Unit: "% of each vCPU busy", Roles: []string{"worker"}},
		"memory":        {Param: "percent", Unit: "% of guest memory held", Roles: []string{"worker"}},
		"database":      {Param: "rate", Unit: "transactions a second", Roles: []string{"worker"}},
		"disk":          {Param: "iops", Unit: "IOPS (reads plus writes a second)", Roles: []string{"worker"}},
		"chaos-disk":    active,
		"chaos-network": active,
		"chaos-process": active,
		// Only the clients carry the level: the server runs as it is.
		"network": {Param: "client-mbps", Unit: "Mbit/s sent by each client", Roles: []string{"client"}},
		"tps":     {Param: "rate", Unit: "requests a second", Roles: []string{"client"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("workloads with a level (-want +got):\n%s", diff)
	}
}

// TestLevelRoles: the roles that follow a level are those whose env carries
// its param; a level no role carries is refused, naming the key.
func TestLevelRoles(t *testing.T) {
	spec := strings.Replace(goodSpec, "params:", "level: {param: times}\nparams:", 1)
	only := strings.Replace(spec, "    count: 2\n", "    count: 2\n    env: [{param: times}]\n", 1)
	only = strings.Replace(only, "    data_disk: {mount_point: /srv/echo, size: 2Gi}\n", "    data_disk: {mount_point: /srv/echo, size: 2Gi}\n    env: [{param: word}]\n", 1)
	dir := goodDir()
	dir["workload.yaml"] = &fstest.MapFile{Data: []byte(only)}
	d, err := loadOne(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if lv := d.Spec().Level; !lv.Follows("client") || lv.Follows("server") {
		t.Errorf("Level.Roles = %v, want [client]", lv.Roles)
	}
	none := strings.Replace(only, "    env: [{param: times}]\n", "    env: [{param: word}]\n", 1)
	dir["workload.yaml"] = &fstest.MapFile{Data: []byte(none)}
	if _, err := loadOne(t, dir); err == nil || !strings.Contains(err.Error(), `level.param: no role's env carries param "times"`) {
		t.Errorf("a level no role carries: %v", err)
	}
}
