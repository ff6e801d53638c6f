package render

import (
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/profile"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// profiled renders names with a profile and a timing for each that has a
// level, as --profile NAME=SPEC --start-at 2026-01-02T10:00:00Z --duration
// 1h would.
func profiled(t testing.TB, vmCount int, spec string, names ...string) *Bundle {
	t.Helper()
	cfg := testConfig(t, vmCount, names...)
	setProfile(t, cfg, spec, names...)
	return mustRender(t, cfg)
}

// setProfile gives each of cfg's workloads named in names that has a level
// the profile spec and profiled's timing.
func setProfile(t testing.TB, cfg *config.Config, spec string, names ...string) {
	t.Helper()
	reg := workloads.Builtin()
	for i := range cfg.Workloads {
		w := &cfg.Workloads[i]
		x, _ := reg.Get(w.Name)
		lr, ok := x.Spec().LevelRange(w.Params)
		if !ok || !slices.Contains(names, w.Name) {
			continue
		}
		p, err := profile.Parse(spec, "test", profile.Levels{Min: lr.Min, Max: lr.Max, Default: lr.Value})
		if err != nil {
			t.Fatal(err)
		}
		w.Profile = &p
		w.Timing = profile.Timing{Start: time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC), Duration: time.Hour}
	}
}

// TestGoldenProfile: a cpu run with a square profile, --start-at and
// --duration; its two VMs share one Secret, whose user-data carries the
// schedule file, VIRTWORK_SCHEDULE and virtwork-level.
func TestGoldenProfile(t *testing.T) {
	b := profiled(t, 2, "square:high=80,low=10,period=2m", "cpu")
	tools.Golden(t, filepath.Join("testdata", "cpu-profile.yaml"), yamlOf(t, b), *update, "./pkg/render")
	uds := secretUserData(t, b)
	if len(uds) != 1 {
		t.Fatalf("%d Secrets, want one shared by both VMs", len(uds))
	}
	for secret, ud := range uds {
		tools.Golden(t, filepath.Join("testdata", "userdata", secret+"-profile.yaml"), []byte(ud), *update, "./pkg/render")
		for _, want := range []string{"VIRTWORK_SCHEDULE=/etc/virtwork/cpu.schedule\n", "path: /usr/local/bin/virtwork-level\n",
			"path: /etc/virtwork/cpu.schedule\n", "      start 1767348000\n      duration 3600\n      phase 0\n      cycle 120\n      0 80\n      60 10\n"} {
			if !strings.Contains(ud, want) {
				t.Errorf("user-data lacks %q", want)
			}
		}
	}
}

// TestSpreadSecrets: with a spread the VMs of a role still share one
// Secret, as without one: its schedule file holds the phase rule (run id
// and cycle), and the rule gives the VMs different phases from their
// names. The same inputs render the same bytes.
func TestSpreadSecrets(t *testing.T) {
	const spec = "square:period=10m,spread=random"
	b := profiled(t, 4, spec, "cpu")
	plain := profiled(t, 4, "square:period=10m", "cpu")
	if got, want := b.Counts(), plain.Counts(); !maps.Equal(got, want) {
		t.Errorf("objects with a spread %v, without %v; want the same", got, want)
	}
	uds := secretUserData(t, b)
	if len(uds) != 1 {
		t.Fatalf("%d Secrets, want one shared by the 4 VMs", len(uds))
	}
	for secret, ud := range uds {
		if want := "      phase hash " + testRunID + " 600\n      cycle 600\n"; !strings.Contains(ud, want) {
			t.Errorf("%s lacks %q", secret, want)
		}
	}
	phases := map[time.Duration]bool{}
	for obj := range b.Objects() {
		if obj.GetKind() == "VirtualMachine" {
			phases[profile.Phase(testRunID, obj.GetName(), profile.Spread{Kind: profile.SpreadRandom}, 10*time.Minute)] = true
		}
	}
	if len(phases) < 2 {
		t.Errorf("phases %v: want VMs at different phases", phases)
	}
	again := profiled(t, 4, spec, "cpu")
	if string(yamlOf(t, b)) != string(yamlOf(t, again)) {
		t.Error("two renders of the same run differ")
	}
}

// TestGoldenProfileLevels: disk, database and network with a square
// profile in their own units; only network's client VMs follow it, but
// every VM of the workload gets the schedule.
func TestGoldenProfileLevels(t *testing.T) {
	for _, tc := range []struct{ name, spec, schedule string }{
		{"disk", "square:high=200,low=50,period=2m", "      cycle 120\n      0 200\n      60 50\n"},
		{"database", "square:high=200,low=50,period=2m", "      cycle 120\n      0 200\n      60 50\n"},
		{"network", "square:high=200,low=50,period=2m", "      cycle 120\n      0 200\n      60 50\n"},
		{"memory", "square:high=60,low=20,period=2m", "      cycle 120\n      0 60\n      60 20\n"},
		// On 10 minutes of each 30, off the other 20.
		{"chaos-disk", "square:high=1,low=0,period=30m,duty=33", "      cycle 1800\n      0 1\n      594 0\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := profiled(t, 1, tc.spec, tc.name)
			tools.Golden(t, filepath.Join("testdata", tc.name+"-profile.yaml"), yamlOf(t, b), *update, "./pkg/render")
			for secret, ud := range secretUserData(t, b) {
				tools.Golden(t, filepath.Join("testdata", "userdata", secret+"-profile.yaml"), []byte(ud), *update, "./pkg/render")
				for _, want := range []string{"VIRTWORK_SCHEDULE=/etc/virtwork/" + tc.name + ".schedule\n", "path: /usr/local/bin/virtwork-level\n",
					"path: /etc/virtwork/" + tc.name + ".schedule\n", tc.schedule} {
					if !strings.Contains(ud, want) {
						t.Errorf("%s lacks %q", secret, want)
					}
				}
			}
		})
	}
}
