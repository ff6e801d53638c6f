package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"
)

// entry is one file of a release archive, at the archive's top level.
type entry struct {
	Name string
	Mode fs.FileMode // 0o755 or 0o644
	Data []byte
}

// The archives must be byte-identical for the same commit: entries are
// sorted by name, every header carries the same time (the commit's), and
// nothing from the building machine (owner, group, umask, atime) is
// recorded. krew verifies archives by sha256, and users can rebuild one
// and compare.

func sortedEntries(entries []entry) []entry {
	s := slices.Clone(entries)
	slices.SortFunc(s, func(a, b entry) int { return strings.Compare(a.Name, b.Name) })
	return s
}

// writeTarGz writes entries as a gzip-compressed tar.
func writeTarGz(w io.Writer, entries []entry, mtime time.Time) error {
	gz := gzip.NewWriter(w) // no name, no time in the gzip header
	tw := tar.NewWriter(gz)
	for _, e := range sortedEntries(entries) {
		h := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     e.Name,
			Mode:     int64(e.Mode.Perm()),
			Size:     int64(len(e.Data)),
			ModTime:  mtime.UTC(),
			Uid:      0,
			Gid:      0,
			Uname:    "root",
			Gname:    "root",
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(e.Data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// writeZip writes entries as a deflated zip.
func writeZip(w io.Writer, entries []entry, mtime time.Time) error {
	zw := zip.NewWriter(w)
	for _, e := range sortedEntries(entries) {
		h := &zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: mtime.UTC()}
		h.SetMode(e.Mode.Perm())
		f, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := f.Write(e.Data); err != nil {
			return err
		}
	}
	return zw.Close()
}
