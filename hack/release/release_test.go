package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

var mtime = time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC)

func testEntries() []entry {
	return []entry{
		{Name: "kubectl-virtwork", Mode: 0o755, Data: []byte("binary")},
		{Name: "LICENSE", Mode: 0o644, Data: []byte("license")},
		{Name: "README.md", Mode: 0o644, Data: []byte("readme")},
		{Name: completionName, Mode: 0o755, Data: []byte("#!/bin/sh\n")},
	}
}

// archived is what a reader sees of one entry.
type archived struct {
	Name       string
	Mode       os.FileMode
	Data       string
	ModTime    time.Time
	Uid, Gid   int
	Uname      string
	Gname      string
	IsRegular  bool
	Compressed bool
}

func readTarGz(t *testing.T, data []byte) []archived {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !gz.ModTime.IsZero() || gz.Name != "" {
		t.Errorf("gzip header records time %v, name %q", gz.ModTime, gz.Name)
	}
	tr := tar.NewReader(gz)
	var out []archived
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out = append(out, archived{Name: h.Name, Mode: os.FileMode(h.Mode), Data: string(b), ModTime: h.ModTime.UTC(),
			Uid: h.Uid, Gid: h.Gid, Uname: h.Uname, Gname: h.Gname, IsRegular: h.Typeflag == tar.TypeReg})
	}
}

func readZip(t *testing.T, data []byte) []archived {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out []archived
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out = append(out, archived{Name: f.Name, Mode: f.Mode().Perm(), Data: string(b), ModTime: f.Modified.UTC(),
			IsRegular: f.Mode().IsRegular(), Compressed: f.Method == zip.Deflate})
	}
	return out
}

// TestArchivesAreReproducible: the same files, given in any order, give
// the same bytes, with sorted entries, the given time, modes kept, and no
// trace of who built them.
func TestArchivesAreReproducible(t *testing.T) {
	reversed := testEntries()
	for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
		reversed[i], reversed[j] = reversed[j], reversed[i]
	}
	for _, tc := range []struct {
		name  string
		write func(io.Writer, []entry, time.Time) error
		read  func(*testing.T, []byte) []archived
		want  archived // the fields every entry shares
	}{
		{"tar.gz", writeTarGz, readTarGz, archived{ModTime: mtime, Uname: "root", Gname: "root", IsRegular: true}},
		{"zip", writeZip, readZip, archived{ModTime: mtime, IsRegular: true, Compressed: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := tc.write(&a, testEntries(), mtime); err != nil {
				t.Fatal(err)
			}
			if err := tc.write(&b, reversed, mtime); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("the same entries in another order give other bytes")
			}
			var want []archived
			for _, e := range sortedEntries(testEntries()) {
				w := tc.want
				w.Name, w.Mode, w.Data = e.Name, e.Mode, string(e.Data)
				want = append(want, w)
			}
			if diff := cmp.Diff(want, tc.read(t, a.Bytes())); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			var later bytes.Buffer
			if err := tc.write(&later, testEntries(), mtime.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(a.Bytes(), later.Bytes()) {
				t.Error("the time is not recorded: a check that could not fail")
			}
		})
	}
}

func TestChecksumsFile(t *testing.T) {
	got := string(checksums([]asset{
		{Name: "kubectl-virtwork_v1.2.3_windows_amd64.zip", SHA256: sha256Hex([]byte("b"))},
		{Name: "kubectl-virtwork_v1.2.3_linux_amd64.tar.gz", SHA256: sha256Hex([]byte("a"))},
	}))
	want := "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb  kubectl-virtwork_v1.2.3_linux_amd64.tar.gz\n" +
		"3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d  kubectl-virtwork_v1.2.3_windows_amd64.zip\n"
	if got != want {
		t.Errorf("checksums:\n%s\nwant (sha256sum's format, sorted by name):\n%s", got, want)
	}
}

// The fields of krew's v1alpha2 Plugin that the manifest sets; unknown
// fields fail the parse, so a typo in the template does too.
type krewPlugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string `json:"version"`
		Homepage         string `json:"homepage"`
		ShortDescription string `json:"shortDescription"`
		Description      string `json:"description"`
		Caveats          string `json:"caveats"`
		Platforms        []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			SHA256 string `json:"sha256"`
			Bin    string `json:"bin"`
			Files  []struct {
				From string `json:"from"`
				To   string `json:"to"`
			} `json:"files"`
		} `json:"platforms"`
	} `json:"spec"`
}

func TestManifest(t *testing.T) {
	var assets []asset
	for i, p := range allPlatforms {
		assets = append(assets, asset{Platform: p, Name: p.archive("v1.2.3"), SHA256: sha256Hex([]byte{byte(i)})})
	}
	data, err := renderManifest("v1.2.3", assets)
	if err != nil {
		t.Fatal(err)
	}
	var m krewPlugin
	if err := yaml.UnmarshalStrict(data, &m); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" || m.Metadata.Name != "virtwork" ||
		m.Spec.Version != "v1.2.3" || m.Spec.Homepage != "https://github.com/virtwork/kubectl-virtwork" {
		t.Errorf("header: %+v %+v", m.Metadata, m.Spec.Version)
	}
	if strings.Contains(m.Spec.ShortDescription, "\n") || m.Spec.Description == "" ||
		!strings.Contains(m.Spec.Caveats, "KubeVirt") || !strings.Contains(m.Spec.Caveats, "CDI") ||
		!strings.Contains(m.Spec.Caveats, "store/virtwork/v1.2.3/kubectl_complete-virtwork") {
		t.Errorf("descriptions:\n%s", data)
	}
	type platformWant struct {
		Labels map[string]string
		URI    string
		SHA256 string
		Bin    string
		Files  []string
	}
	var got, want []platformWant
	for i, p := range allPlatforms {
		ext, bin, compl := ".tar.gz", "kubectl-virtwork", "kubectl_complete-virtwork"
		if p.OS == "windows" {
			ext, bin, compl = ".zip", "kubectl-virtwork.exe", "kubectl_complete-virtwork.cmd"
		}
		want = append(want, platformWant{
			Labels: map[string]string{"os": p.OS, "arch": p.Arch},
			URI:    "https://github.com/virtwork/kubectl-virtwork/releases/download/v1.2.3/kubectl-virtwork_v1.2.3_" + p.OS + "_" + p.Arch + ext,
			SHA256: sha256Hex([]byte{byte(i)}),
			Bin:    bin,
			Files:  []string{bin + "->.", "LICENSE->.", compl + "->."},
		})
	}
	for _, p := range m.Spec.Platforms {
		g := platformWant{Labels: p.Selector.MatchLabels, URI: p.URI, SHA256: p.SHA256, Bin: p.Bin}
		for _, f := range p.Files {
			g.Files = append(g.Files, f.From+"->"+f.To)
		}
		got = append(got, g)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("platforms (-want +got):\n%s", diff)
	}
}

func TestVersionMustBeSemver(t *testing.T) {
	for v, ok := range map[string]bool{
		"v0.1.0": true, "v1.20.3": true, "v0.0.0-verify": true, "v1.0.0-rc.1+abc": true,
		"0.1.0": false, "v0.1": false, "8d42d4e": false, "v0.1.0-dirty ": false, "v01.1.0": false,
	} {
		if semver.MatchString(v) != ok {
			t.Errorf("%q accepted: %v, want %v", v, !ok, ok)
		}
	}
}

func TestParsePlatforms(t *testing.T) {
	got, err := parsePlatforms("linux/amd64, windows/amd64,linux/amd64")
	if err != nil || !cmp.Equal(got, []platform{{"linux", "amd64"}, {"windows", "amd64"}}) {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := parsePlatforms("linux/386"); err == nil || !strings.Contains(err.Error(), "known: linux/amd64") {
		t.Errorf("unknown platform: %v", err)
	}
}

// TestReleaseRefusesLeftovers: assets of an earlier build must not be
// uploaded with a new one, so a non-empty output directory is an error.
func TestReleaseRefusesLeftovers(t *testing.T) {
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "old.tar.gz"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := release(options{Version: "v1.2.3", Out: out, Root: "../..", Log: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("got %v", err)
	}
}
