// Package version reports what build of kubectl-virtwork is running. The
// release build (and make build) stamps the variables with -ldflags -X;
// a build without them, such as go install ...@v0.1.0, reports what the Go
// toolchain recorded: the module version, the commit and its time.
package version

import (
	"runtime"
	"runtime/debug"
)

// The defaults of the stamped variables, which mean "not stamped".
const (
	devVersion = "v0.0.0-dev"
	unknown    = "unknown"
)

// Stamped at build time; the defaults describe a development build.
var (
	Version = devVersion
	Commit  = unknown
	Date    = unknown
)

// Info is the version as printed by `kubectl virtwork version -o json`.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Get returns the running build's version.
func Get() Info {
	info := Info{Version: Version, Commit: Commit, Date: Date, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		info = withBuildInfo(info, bi)
	}
	return info
}

// withBuildInfo fills what -ldflags did not stamp from the build info: the
// main module's version (set by go install of a tagged version, or taken
// from VCS by go build) and the VCS commit and commit time.
func withBuildInfo(info Info, bi *debug.BuildInfo) Info {
	if info.Version == devVersion && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && info.Commit == unknown:
			info.Commit = s.Value
			if len(info.Commit) > 12 {
				info.Commit = info.Commit[:12]
			}
		case s.Key == "vcs.time" && info.Date == unknown:
			info.Date = s.Value
		}
	}
	return info
}
