package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// qemuUID owns the disk in a containerDisk: KubeVirt's virt-launcher runs
// qemu as 107:107 and reads the file as that user.
const qemuUID = 107

// diskDir is where KubeVirt (and CDI's registry import) look for the disk.
const diskDir = "disk"

// qcow2Magic starts every qcow2 file ("QFI\xfb").
var qcow2Magic = []byte{'Q', 'F', 'I', 0xfb}

// diskName is what may stand before .qcow2 in /disk/: one path element.
var diskName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,127}$`)

// refNameAnnotation names an image in an OCI layout's index; podman load
// takes the image's name from it.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// packSpec is one containerDisk to write.
type packSpec struct {
	disk   string            // qcow2 file to pack
	name   string            // the layer holds /disk/<name>.qcow2
	ref    string            // image reference recorded in the archive
	labels map[string]string // image config labels
	out    string            // OCI archive to write
}

// pack writes s.disk as a KubeVirt containerDisk: an OCI image whose one
// layer holds /disk/<name>.qcow2 owned by 107:107, as an OCI archive (a tar
// of an OCI image layout, which skopeo copy oci-archive: and podman load
// read) that also holds a manifest.json, so crane push reads it as the
// tarball it expects. Nothing is left at s.out unless it succeeds.
func pack(s packSpec) error {
	if err := s.check(); err != nil {
		return err
	}
	work, err := os.MkdirTemp(filepath.Dir(s.out), ".golden-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	layerFile := filepath.Join(work, "layer.tar.gz")
	if err := writeLayer(s.disk, s.name, layerFile); err != nil {
		return err
	}
	layer, err := tarball.LayerFromFile(layerFile, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return fmt.Errorf("reading the layer back: %w", err)
	}
	img, err := image(layer, s.labels)
	if err != nil {
		return err
	}
	dir := filepath.Join(work, "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{refNameAnnotation: s.ref})); err != nil {
		return fmt.Errorf("writing the OCI layout: %w", err)
	}
	if err := writeDockerManifest(dir, img, s.ref); err != nil {
		return err
	}
	tmp := filepath.Join(work, "archive.tar")
	if err := tarDir(dir, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, s.out)
}

// check refuses what would make an image KubeVirt cannot boot, before
// anything is written.
func (s packSpec) check() error {
	if !diskName.MatchString(s.name) {
		return fmt.Errorf("-name must be lowercase letters, digits, '.', '_' or '-' (one path element, at most 128), got %q", s.name)
	}
	if _, err := name.NewTag(s.ref); err != nil {
		return fmt.Errorf("-ref %q is not an image reference (REPOSITORY:TAG): %w", s.ref, err)
	}
	f, err := os.Open(s.disk)
	if err != nil {
		return fmt.Errorf("-disk: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("-disk: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("-disk %s is not a regular file; give the qcow2 image hack/build-golden-image.sh built", s.disk)
	}
	head := make([]byte, len(qcow2Magic))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, qcow2Magic) {
		return fmt.Errorf("-disk %s is not a qcow2 image (no QFI\\xfb magic); convert it with qemu-img convert -O qcow2", s.disk)
	}
	if st, err := os.Stat(s.out); err == nil && st.IsDir() {
		return fmt.Errorf("-out %s is a directory; give the archive's file name", s.out)
	}
	if st, err := os.Stat(filepath.Dir(s.out)); err != nil || !st.IsDir() {
		return fmt.Errorf("-out %s: its directory does not exist", s.out)
	}
	return nil
}

// writeLayer writes the gzipped layer tar: /disk/ and /disk/<name>.qcow2,
// both 107:107, the disk read-only. Times are fixed so that the same disk
// gives the same layer.
func writeLayer(disk, name, out string) error {
	in, err := os.Open(disk)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	zw, err := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	epoch := time.Unix(0, 0)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: diskDir + "/", Mode: 0o555, Uid: qemuUID, Gid: qemuUID, ModTime: epoch}); err != nil {
		return err
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: path.Join(diskDir, name+".qcow2"), Mode: 0o444, Uid: qemuUID, Gid: qemuUID, Size: st.Size(), ModTime: epoch}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := io.Copy(tw, in); err != nil {
		return fmt.Errorf("packing %s: %w", disk, err)
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// image is the OCI image of the one layer, for linux/amd64 (the disk's
// architecture), with labels in its config.
func image(layer v1.Layer, labels map[string]string) (v1.Image, error) {
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	base, err := mutate.ConfigFile(base, &v1.ConfigFile{
		Architecture: "amd64",
		OS:           "linux",
		Created:      v1.Time{Time: time.Now().UTC().Truncate(time.Second)},
		Config:       v1.Config{Labels: labels},
	})
	if err != nil {
		return nil, err
	}
	return mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{CreatedBy: "make golden-image (hack/golden-image pack)", Comment: "KubeVirt containerDisk"},
	})
}

// writeDockerManifest adds the manifest.json that docker save writes beside
// an OCI layout, naming the same blobs, which is what crane push (and
// docker load) read a tar file by.
func writeDockerManifest(dir string, img v1.Image, ref string) error {
	cfg, err := img.ConfigName()
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	entry := struct {
		Config   string
		RepoTags []string
		Layers   []string
	}{Config: blobPath(cfg), RepoTags: []string{ref}}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return err
		}
		entry.Layers = append(entry.Layers, blobPath(d))
	}
	b, err := json.Marshal([]any{entry})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644)
}

func blobPath(h v1.Hash) string { return path.Join("blobs", h.Algorithm, h.Hex) }

// tarDir writes the files under dir to a tar at out, paths relative to dir,
// in walk (lexical) order.
func tarDir(dir, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if err != nil {
		return fmt.Errorf("archiving the OCI layout: %w", err)
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Close()
}
