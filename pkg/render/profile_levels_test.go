package render

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/profile"
	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// TestGoldenProfileLevels: the levelled workloads other than cpu under a
// square profile, --start-at and --duration 1h: each VM's user-data carries
// its schedule file, VIRTWORK_SCHEDULE and virtwork-level, and the plain
// goldens stay as they are.
func TestGoldenProfileLevels(t *testing.T) {
	for _, tc := range []struct {
		name, spec, schedule string
		levels               profile.Levels
	}{
		{"memory", "square:high=60,low=20,period=2m", "      cycle 120\n      0 60\n      60 20\n", profile.Levels{Min: 1, Max: 95, Default: 80}},
		// On 10 minutes of each 30, off the other 20.
		{"chaos-disk", "square:high=1,low=0,period=30m,duty=33", "      cycle 1800\n      0 1\n      594 0\n", profile.Levels{Min: 0, Max: 1, Default: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, 1, tc.name)
			p, err := profile.Parse(tc.spec, "test", tc.levels)
			if err != nil {
				t.Fatal(err)
			}
			w := &cfg.Workloads[0]
			w.Profile = &p
			w.Timing = profile.Timing{Start: time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC), Duration: time.Hour}
			b := mustRender(t, cfg)
			tools.Golden(t, filepath.Join("testdata", tc.name+"-profile.yaml"), yamlOf(t, b), *update, "./pkg/render")
			for secret, ud := range secretUserData(t, b) {
				tools.Golden(t, filepath.Join("testdata", "userdata", secret+"-profile.yaml"), []byte(ud), *update, "./pkg/render")
				for _, want := range []string{"VIRTWORK_SCHEDULE=/etc/virtwork/" + tc.name + ".schedule\n", "path: /usr/local/bin/virtwork-level\n",
					"path: /etc/virtwork/" + tc.name + ".schedule\n", tc.schedule} {
					if !strings.Contains(ud, want) {
						t.Errorf("user-data lacks %q", want)
					}
				}
			}
		})
	}
}
