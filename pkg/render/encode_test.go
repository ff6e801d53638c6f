package render

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	kustomizetypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

// roundTrip encodes v with the fast encoder and reads it back with the
// YAML parser kubectl uses.
func roundTrip(t testing.TB, v map[string]any) map[string]any {
	t.Helper()
	var e yamlEncoder
	e.mapping(v, 0, false)
	var got map[string]any
	if err := yaml.Unmarshal(e.buf, &got); err != nil {
		t.Fatalf("encoder output is not YAML: %v\n%s", err, e.buf)
	}
	return got
}

// normalize passes v through JSON, the form sigs.k8s.io/yaml yields.
func normalize(t testing.TB, v map[string]any) map[string]any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestYAMLEncoderRoundTrips(t *testing.T) {
	tricky := []string{
		"", " ", "yes", "No", "on", "OFF", "y", "n", "null", "~", "true", "False",
		"0", "-1", "1.5", "1e3", ".5", "0x1F", "0o17", "1_000", "12:30", "+1", ".inf", "-.inf", ".nan",
		"10Gi", "512M", "1e3Gi", "3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93", "quay.io/containerdisks/fedora:44",
		"a: b", "a:", "a #b", "#c", "- x", "[x]", "{x}", "&a", "*a", "!t", "|", ">", "%x", "@x", "`x`",
		"'q'", "\"q\"", "back\\slash", "new\nline", "tab\tc", "trailing ", " leading", "ünïcødé",
		"line\u2028sep", "bom\ufeff", "nel\u0085", "emoji 🚀", "ctl\x01", "$6$salt$hash", "ALL=(ALL) NOPASSWD:ALL",
		"key=value", "a,b", "a?b", "=", "<<", "---", "...",
		// Keys over 1024 characters must be explicit (found by FuzzYAMLEncoder).
		strings.Repeat("u", 1023), strings.Repeat("u", 1100), strings.Repeat("ü", 300),
	}
	for _, s := range tricky {
		v := map[string]any{
			"s": s, s + "k": "keyed", "list": []any{s, map[string]any{"in": s}, []any{s, int64(1)}},
			"n": int64(-42), "f": 1.25, "b": true, "empty": map[string]any{}, "none": []any{}, "nil": nil,
		}
		if s == "" {
			delete(v, s+"k")
		}
		got := roundTrip(t, v)
		if diff := cmp.Diff(normalize(t, v), got); diff != "" {
			t.Errorf("string %q does not round-trip (-want +got):\n%s", s, diff)
		}
	}
}

func FuzzYAMLEncoder(f *testing.F) {
	for _, s := range []string{"yes", "a: b", "10Gi", "ü\n", "\u2028", "-", "0x10"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, k, s string) {
		if !utf8Valid(k) || !utf8Valid(s) {
			t.Skip()
		}
		v := map[string]any{"k" + k: s, "l": []any{s, map[string]any{k + "x": s}}}
		if diff := cmp.Diff(normalize(t, v), roundTrip(t, v)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// TestRenderImportsNoClient guards the design: render is pure, so it must
// never pull in a Kubernetes client or an SQLite driver.
func TestRenderImportsNoClient(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/virtwork/kubectl-virtwork/pkg/render").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps printed %d packages; expected the whole graph", len(deps))
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "k8s.io/client-go") || strings.HasPrefix(d, "k8s.io/cli-runtime") || strings.Contains(d, "sqlite") {
			t.Errorf("pkg/render depends on %s", d)
		}
	}
}

// TestKustomizationAsTheLibraryWritesIt: kustomization.yaml goes through
// the package's encoder and comes out byte for byte as sigs.k8s.io/yaml,
// which wrote it before, writes the same kustomize type.
func TestKustomizationAsTheLibraryWritesIt(t *testing.T) {
	b := mustRender(t, testConfig(t, 2, "cpu", "network"))
	var got []byte
	var resources []string
	err := b.WriteFiles(func(name string, data []byte) error {
		if name == KustomizationFile {
			got = data
		} else {
			resources = append(resources, name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want, err := yaml.Marshal(kustomizetypes.Kustomization{
		TypeMeta: kustomizetypes.TypeMeta{
			APIVersion: kustomizetypes.KustomizationVersion,
			Kind:       kustomizetypes.KustomizationKind,
		},
		SortOptions: &kustomizetypes.SortOptions{Order: kustomizetypes.FIFOSortOrder},
		Resources:   resources,
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("kustomization.yaml (-library +encoder):\n%s", diff)
	}
}
