package version

import (
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWithBuildInfo(t *testing.T) {
	stamped := Info{Version: "v0.1.0", Commit: "abc1234", Date: "2026-11-26T20:00:00Z"}
	unstamped := Info{Version: devVersion, Commit: unknown, Date: unknown}
	vcs := []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "360930e1a2b3c4d5e6f708192a3b4c5d6e7f8091"},
		{Key: "vcs.time", Value: "2026-11-26T22:30:31Z"},
	}
	for _, tc := range []struct {
		name string
		info Info
		bi   debug.BuildInfo
		want Info
	}{
		{"-ldflags win over the build info", stamped,
			debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}, Settings: vcs}, stamped},
		{"go install of a tag", unstamped,
			debug.BuildInfo{Main: debug.Module{Version: "v0.2.0"}},
			Info{Version: "v0.2.0", Commit: unknown, Date: unknown}},
		{"go build in a checkout", unstamped,
			debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261126223031-360930e1a2b3+dirty"}, Settings: vcs},
			Info{Version: "v0.0.0-20261126223031-360930e1a2b3+dirty", Commit: "360930e1a2b3", Date: "2026-11-26T22:30:31Z"}},
		{"nothing recorded", unstamped, debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, unstamped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, withBuildInfo(tc.info, &tc.bi)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
