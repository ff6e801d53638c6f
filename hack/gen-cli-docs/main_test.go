package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
)

// checkedIn is the reference as committed, relative to this package.
const checkedIn = "../../docs/cli"

// TestDocsUpToDate fails while docs/cli differs from what the command tree
// generates: a command, flag or help text changed without `make docs`.
// HOME and KUBECACHEDIR point elsewhere so that a page that picked up this
// machine's paths differs too.
func TestDocsUpToDate(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBECACHEDIR", t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	pages, err := render()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(checkedIn, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk []string
	for _, f := range files {
		onDisk = append(onDisk, filepath.Base(f))
	}
	var want []string
	for name := range pages {
		want = append(want, name)
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, onDisk); diff != "" {
		t.Errorf("docs/cli has other pages than the commands (-generated +checked in); run make docs:\n%s", diff)
	}
	for _, name := range want {
		got, err := os.ReadFile(filepath.Join(checkedIn, name))
		if err != nil {
			continue // reported above
		}
		if diff := cmp.Diff(string(pages[name]), string(got)); diff != "" {
			t.Errorf("docs/cli/%s is stale (-generated +checked in); run make docs:\n%s", name, diff)
		}
	}
}

// TestPagesAreStable: two generations give the same bytes, and no page
// carries a generation date or this machine's home directory.
func TestPagesAreStable(t *testing.T) {
	first, err := render()
	if err != nil {
		t.Fatal(err)
	}
	second, err := render()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Fatalf("two generations differ:\n%s", diff)
	}
	home, _ := os.UserHomeDir()
	for name, data := range first {
		s := string(data)
		if strings.Contains(s, "Auto generated") {
			t.Errorf("%s carries cobra's generation date", name)
		}
		if home != "" && home != "/" && strings.Contains(s, home) {
			t.Errorf("%s contains the home directory %s", name, home)
		}
	}
	for _, cmd := range []string{"kubectl_virtwork.md", "kubectl_virtwork_render.md", "kubectl_virtwork_version.md"} {
		if _, ok := first[cmd]; !ok {
			t.Errorf("no page %s among %d pages", cmd, len(first))
		}
	}
}

// TestGenerateRemovesStalePages: a page of a command that no longer exists
// is deleted, other files are left alone.
func TestGenerateRemovesStalePages(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "kubectl_virtwork_gone.md")
	other := filepath.Join(dir, "notes.txt")
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := generate(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale page kept: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file that is not a page was touched: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "kubectl_virtwork_apply.md")); err != nil {
		t.Error(err)
	}
}

// TestWriteSettingsTable: -readme replaces only what is between the
// markers, and a README without them is an error, not a silent no-op.
func TestWriteSettingsTable(t *testing.T) {
	dir := t.TempDir()
	readme := filepath.Join(dir, "README.md")
	const begin = "<!-- settings table: generated from pkg/config/settings.go by `make docs`; do not edit -->\n"
	const end = "<!-- end of the settings table -->\n"
	if err := os.WriteFile(readme, []byte("# Title\n\n"+begin+"| stale |\n"+end+"\nAfter.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeSettingsTable(readme); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	want := "# Title\n\n" + begin + config.SettingsTable() + end + "\nAfter.\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	bare := filepath.Join(dir, "bare.md")
	if err := os.WriteFile(bare, []byte("# No table\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeSettingsTable(bare); err == nil || !strings.Contains(err.Error(), "no settings table marker") {
		t.Errorf("README without markers: err = %v", err)
	}
}
