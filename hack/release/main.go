// Command release builds the release of kubectl-virtwork: for every
// platform a CGO_ENABLED=0 binary (which selects the pure-Go SQLite
// driver) in a reproducible archive with the LICENSE, the README and the
// kubectl_complete-virtwork completion script; a sha256sum checksums file;
// and virtwork.yaml, the krew plugin manifest naming each archive's
// download URI and sha256. `make release VERSION=vX.Y.Z` runs it.
//
// The same commit, built with the same Go, gives the same bytes: binaries
// are built with -trimpath and stamped (-ldflags -X, as `make build` does)
// with the version, the commit and the commit's date, never the time of
// the build; archives take the commit time (-mtime) as every file's time.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Homepage is the project's home; release assets are downloaded from its
// GitHub releases.
const Homepage = "https://github.com/virtwork/kubectl-virtwork"

const (
	binName        = "kubectl-virtwork"
	completionName = "kubectl_complete-virtwork"
	versionPkg     = "github.com/virtwork/kubectl-virtwork/pkg/version"
)

// platform is one GOOS/GOARCH the release ships for.
type platform struct{ OS, Arch string }

// allPlatforms are the platforms of a release, in manifest order.
var allPlatforms = []platform{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"},
}

func (p platform) String() string { return p.OS + "/" + p.Arch }

// bin is the plugin's file name on p.
func (p platform) bin() string {
	if p.OS == "windows" {
		return binName + ".exe"
	}
	return binName
}

// completion is the completion script's file name on p: kubectl finds a
// .cmd through PATHEXT on Windows.
func (p platform) completion() string {
	if p.OS == "windows" {
		return completionName + ".cmd"
	}
	return completionName
}

// archive is the file name of p's archive: zip where zip is what users
// open, gzip-compressed tar elsewhere.
func (p platform) archive(version string) string {
	ext := ".tar.gz"
	if p.OS == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("%s_%s_%s_%s%s", binName, version, p.OS, p.Arch, ext)
}

func parsePlatforms(s string) ([]platform, error) {
	var out []platform
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		i := slices.IndexFunc(allPlatforms, func(p platform) bool { return p.String() == f })
		if i < 0 {
			var known []string
			for _, p := range allPlatforms {
				known = append(known, p.String())
			}
			return nil, fmt.Errorf("-platforms: unknown platform %q (known: %s)", f, strings.Join(known, ", "))
		}
		if !slices.Contains(out, allPlatforms[i]) {
			out = append(out, allPlatforms[i])
		}
	}
	return out, nil
}

// krew accepts only semantic versions with a leading v.
var semver = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// options is the release to build.
type options struct {
	Version   string
	Commit    string // stamped into the binary with Version and Date
	Date      string
	MTime     time.Time
	Platforms []platform
	Out       string // the directory of the assets; it must be empty or missing
	Root      string // the repository: the main package, LICENSE, README.md
	Log       io.Writer
}

func main() {
	var o options
	var mtime int64
	var platforms string
	flag.StringVar(&o.Version, "version", "", "the release version, a semantic version like v0.1.0")
	flag.StringVar(&o.Commit, "commit", "unknown", "the commit being released, as `kubectl virtwork version` shows it")
	flag.StringVar(&o.Date, "date", "unknown", "the commit's date, as `kubectl virtwork version` shows it")
	flag.Int64Var(&mtime, "mtime", -1, "time of every archived file, in seconds since 1970: the commit's time (git log -1 --format=%ct)")
	flag.StringVar(&platforms, "platforms", "linux/amd64,linux/arm64,darwin/amd64,darwin/arm64,windows/amd64", "comma-separated GOOS/GOARCH to build")
	flag.StringVar(&o.Out, "out", "dist", "directory to write the assets to; it must be empty or missing")
	flag.StringVar(&o.Root, "root", ".", "the repository's top directory")
	flag.Parse()
	o.Log = os.Stderr
	err := func() error {
		if !semver.MatchString(o.Version) {
			return fmt.Errorf("-version must be a semantic version with a leading v, like v0.1.0 (krew accepts nothing else), got %q", o.Version)
		}
		if strings.ContainsAny(o.Commit+o.Date, " \t\n'\"") {
			return fmt.Errorf("-commit %q and -date %q must be single words: they are passed to -ldflags", o.Commit, o.Date)
		}
		if mtime < 0 {
			return errors.New("-mtime is required: the commit time, git log -1 --format=%ct")
		}
		o.MTime = time.Unix(mtime, 0).UTC()
		var err error
		if o.Platforms, err = parsePlatforms(platforms); err != nil {
			return err
		}
		return release(o)
	}()
	if err != nil {
		fmt.Fprintf(os.Stderr, "release: %v\n", err)
		os.Exit(1)
	}
}

// release builds, packs and describes every platform of o.
func release(o options) error {
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	if left, err := os.ReadDir(o.Out); err != nil {
		return err
	} else if len(left) > 0 {
		return fmt.Errorf("%s is not empty: remove it first, so no asset of another build is published with this one", o.Out)
	}
	shared := map[string]entry{}
	for _, f := range []struct {
		name string
		mode os.FileMode
	}{{"LICENSE", 0o644}, {"README.md", 0o644}, {completionName, 0o755}, {completionName + ".cmd", 0o644}} {
		data, err := os.ReadFile(filepath.Join(o.Root, f.name))
		if err != nil {
			return fmt.Errorf("reading what every archive ships: %w", err)
		}
		shared[f.name] = entry{Name: f.name, Mode: f.mode, Data: data}
	}
	build, err := os.MkdirTemp("", "virtwork-release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(build)

	var assets []asset
	for _, p := range o.Platforms {
		start := time.Now()
		binPath := filepath.Join(build, p.OS+"_"+p.Arch, p.bin())
		if err := goBuild(o, p, binPath); err != nil {
			return err
		}
		bin, err := os.ReadFile(binPath)
		if err != nil {
			return err
		}
		entries := []entry{{Name: p.bin(), Mode: 0o755, Data: bin}, shared["LICENSE"], shared["README.md"], shared[p.completion()]}
		var buf bytes.Buffer
		if p.OS == "windows" {
			err = writeZip(&buf, entries, o.MTime)
		} else {
			err = writeTarGz(&buf, entries, o.MTime)
		}
		if err != nil {
			return fmt.Errorf("packing %s: %w", p, err)
		}
		a := asset{Platform: p, Name: p.archive(o.Version), SHA256: sha256Hex(buf.Bytes())}
		if err := os.WriteFile(filepath.Join(o.Out, a.Name), buf.Bytes(), 0o644); err != nil {
			return err
		}
		assets = append(assets, a)
		fmt.Fprintf(o.Log, "release: %s: %s (%.1f MB) in %s\n", p, a.Name, float64(buf.Len())/1e6, time.Since(start).Round(100*time.Millisecond))
	}

	if err := os.WriteFile(filepath.Join(o.Out, checksumsName(o.Version)), checksums(assets), 0o644); err != nil {
		return err
	}
	manifest, err := renderManifest(o.Version, assets)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(o.Out, manifestName), manifest, 0o644)
}

// goBuild builds the plugin for p into path.
func goBuild(o options, p platform, path string) error {
	ldflags := fmt.Sprintf("-X %[1]s.Version=%[2]s -X %[1]s.Commit=%[3]s -X %[1]s.Date=%[4]s", versionPkg, o.Version, o.Commit, o.Date)
	// Nothing of the machine may reach the binary: -trimpath drops its
	// paths, -buildvcs=false the checkout's state (the ldflags say which
	// commit it is, also when built from a source archive), and the
	// instruction-set levels are Go's defaults whatever GOAMD64 or GOARM64
	// the environment sets.
	args := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", path, "./cmd/kubectl-virtwork"}
	c := exec.Command("go", args...)
	c.Dir = o.Root
	c.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Arch, "GOAMD64=v1", "GOARM64=v8.0")
	c.Stdout, c.Stderr = o.Log, o.Log
	if err := c.Run(); err != nil {
		return fmt.Errorf("building %s: go %s: %w", p, strings.Join(args, " "), err)
	}
	return nil
}

// asset is one archive of the release.
type asset struct {
	Platform platform
	Name     string
	SHA256   string // lowercase hex, as krew and sha256sum write it
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func checksumsName(version string) string {
	return binName + "_" + version + "_checksums.txt"
}

// checksums is the sha256sum file of assets: `sha256sum -c` checks it.
func checksums(assets []asset) []byte {
	var b strings.Builder
	for _, a := range slices.SortedFunc(slices.Values(assets), func(x, y asset) int { return strings.Compare(x.Name, y.Name) }) {
		b.WriteString(a.SHA256 + "  " + a.Name + "\n")
	}
	return []byte(b.String())
}
