package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/virtwork/kubectl-virtwork/test/tools"
)

// smallDisk makes an empty qcow2 of the given virtual size with qemu-img,
// the tool that made the real one.
func smallDisk(t *testing.T, dir string, size int64) string {
	t.Helper()
	qemuImg := tools.Require(t, "qemu-img")
	disk := filepath.Join(dir, "small.qcow2")
	if out, err := exec.Command(qemuImg, "create", "-q", "-f", "qcow2", disk, strconv.FormatInt(size, 10)).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img create: %v: %s", err, out)
	}
	return disk
}

// TestPack packs a small qcow2 and opens the archive as skopeo
// (oci-archive: the OCI layout inside) and crane push (its tarball
// loader) would: one image, one layer, one file /disk/<name>.qcow2 owned by
// 107:107 holding the disk unchanged, and the labels in the config.
func TestPack(t *testing.T) {
	dir := t.TempDir()
	const size = 64 << 20
	disk := smallDisk(t, dir, size)
	out := filepath.Join(dir, "golden.tar")
	labels := map[string]string{"virtwork/preinstalled": "true", "virtwork/guest": "debian"}
	if err := pack(packSpec{disk: disk, name: "debian", ref: "virtwork/golden-debian:test", labels: labels, out: out}); err != nil {
		t.Fatal(err)
	}

	lay := filepath.Join(dir, "layout")
	untar(t, out, lay)
	idx, err := layout.ImageIndexFromPath(lay)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("the layout's index has %d manifests, want 1", len(im.Manifests))
	}
	if got := im.Manifests[0].Annotations[refNameAnnotation]; got != "virtwork/golden-debian:test" {
		t.Errorf("%s = %q", refNameAnnotation, got)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	if mt, _ := img.MediaType(); mt != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %s, want %s", mt, types.OCIManifestSchema1)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(labels, cfg.Config.Labels); diff != "" {
		t.Errorf("config labels (-want +got):\n%s", diff)
	}
	if cfg.Architecture != "amd64" || cfg.OS != "linux" {
		t.Errorf("platform %s/%s, want linux/amd64", cfg.OS, cfg.Architecture)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1", len(layers))
	}
	checkLayer(t, layers[0], "disk/debian.qcow2", disk, size)

	// crane push reads a tar file through crane.Load: the manifest.json
	// beside the layout must name the same config and layer.
	ci, err := crane.Load(out)
	if err != nil {
		t.Fatalf("crane.Load (what crane push reads): %v", err)
	}
	cl, err := ci.Layers()
	if err != nil || len(cl) != 1 {
		t.Fatalf("crane.Load: %d layers, %v", len(cl), err)
	}
	want, _ := layers[0].Digest()
	if got, _ := cl[0].Digest(); got != want {
		t.Errorf("crane.Load's layer %s, the layout's %s", got, want)
	}
	if cc, err := ci.ConfigFile(); err != nil || !cmp.Equal(cc.Config.Labels, labels) {
		t.Errorf("crane.Load's config labels %v (%v)", cc.Config.Labels, err)
	}

	// And crane push takes it to a registry (an in-memory one), from which
	// the same layer comes back.
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	dst := strings.TrimPrefix(srv.URL, "http://") + "/virtwork/golden-debian:test"
	if err := crane.Push(ci, dst); err != nil {
		t.Fatalf("crane push: %v", err)
	}
	pulled, err := crane.Pull(dst)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := pulled.Layers()
	if err != nil || len(pl) != 1 {
		t.Fatalf("pulled back: %d layers, %v", len(pl), err)
	}
	if got, _ := pl[0].Digest(); got != want {
		t.Errorf("pulled back layer %s, pushed %s", got, want)
	}
}

// checkLayer: the layer is an OCI gzip layer whose only regular file is
// path, owned by 107:107, a qcow2 of the given virtual size whose bytes are
// the disk's.
func checkLayer(t *testing.T, l v1.Layer, path, disk string, size int64) {
	t.Helper()
	if mt, _ := l.MediaType(); mt != types.OCILayer {
		t.Errorf("layer media type %s, want %s", mt, types.OCILayer)
	}
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var files []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != qemuUID || h.Gid != qemuUID {
			t.Errorf("%s is owned by %d:%d, want 107:107", h.Name, h.Uid, h.Gid)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		files = append(files, h.Name)
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		checkQcow2(t, h.Name, data, size)
		orig, err := os.ReadFile(disk)
		if err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256(data) != sha256.Sum256(orig) {
			t.Errorf("%s differs from %s", h.Name, disk)
		}
	}
	if diff := cmp.Diff([]string{path}, files); diff != "" {
		t.Errorf("regular files in the layer (-want +got):\n%s", diff)
	}
}

// checkQcow2 reads the qcow2 header: magic, version 2 or 3, virtual size.
func checkQcow2(t *testing.T, name string, data []byte, size int64) {
	t.Helper()
	if len(data) < 32 || !bytes.Equal(data[:4], qcow2Magic) {
		t.Errorf("%s has no qcow2 magic", name)
		return
	}
	if v := binary.BigEndian.Uint32(data[4:8]); v != 2 && v != 3 {
		t.Errorf("%s: qcow2 version %d", name, v)
	}
	if got := int64(binary.BigEndian.Uint64(data[24:32])); got != size {
		t.Errorf("%s: virtual size %d, want %d", name, got, size)
	}
}

func untar(t *testing.T, archive, dir string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			t.Fatalf("archive entry %q leaves the directory", h.Name)
		}
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPackBadInput: each mistake is refused with the flag to fix, and
// nothing is left behind: no archive, no temporary directory.
func TestPackBadInput(t *testing.T) {
	dir := t.TempDir()
	disk := smallDisk(t, dir, 1<<20)
	raw := filepath.Join(dir, "disk.raw")
	if err := os.WriteFile(raw, make([]byte, 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(dir, "out")
	if err := os.Mkdir(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(outDir, "golden.tar")
	good := packSpec{disk: disk, name: "debian", ref: "virtwork/golden-debian:latest", out: out}
	tests := []struct {
		name string
		edit func(*packSpec)
		want string
	}{
		{"raw disk", func(s *packSpec) { s.disk = raw }, "-disk " + raw + " is not a qcow2 image"},
		{"missing disk", func(s *packSpec) { s.disk = filepath.Join(dir, "nope.qcow2") }, "-disk: open"},
		{"disk is a directory", func(s *packSpec) { s.disk = dir }, "is not a regular file"},
		{"name with a slash", func(s *packSpec) { s.name = "../debian" }, "-name must be"},
		{"uppercase name", func(s *packSpec) { s.name = "Debian" }, "-name must be"},
		{"empty name", func(s *packSpec) { s.name = "" }, "-name must be"},
		{"bad reference", func(s *packSpec) { s.ref = "Virtwork/Golden:" }, "-ref"},
		{"out is a directory", func(s *packSpec) { s.out = outDir }, "-out " + outDir + " is a directory"},
		{"out's directory missing", func(s *packSpec) { s.out = filepath.Join(dir, "no", "golden.tar") }, "its directory does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good
			tt.edit(&s)
			err := pack(s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("pack: %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error of more than one line: %q", err)
			}
			left, _ := os.ReadDir(outDir)
			if len(left) != 0 {
				t.Errorf("left behind in the output directory: %v", left)
			}
		})
	}
}

// TestRunUsage: the command line without a command, an unknown one, pack
// without its files and an unknown guest family each fail with the usage
// or the flag to fix.
func TestRunUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "usage:"},
		{[]string{"build"}, `unknown command "build"`},
		{[]string{"packages"}, "usage:"},
		{[]string{"packages", "windows"}, "GUEST must be one of"},
		{[]string{"pack", "-disk", "d.qcow2"}, "pack needs -disk and -out"},
		{[]string{"pack", "-disk", "d.qcow2", "-out", "x.tar", "-guest", "windows"}, "-guest must be one of"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		err := run(tt.args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run %q: %v, want an error containing %q", tt.args, err, tt.want)
		}
		if out.Len() != 0 {
			t.Errorf("run %q wrote %q to stdout", tt.args, out.String())
		}
	}
	var out bytes.Buffer
	if err := run([]string{"packages", "debian"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "qemu-guest-agent\n") {
		t.Errorf("packages debian printed %q, without the guest agent", out.String())
	}
}
