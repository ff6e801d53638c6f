package render

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/profile"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// FuzzUserDataProfile: any --profile cpu=TEXT is either refused as one
// line of bad input (config.ErrInvalid), or renders user-data of the same
// YAML structure as a square profile's, whose schedule file the guest's
// reader accepts: a profile reaches the guest only as the numbers of the
// schedule file.
func FuzzUserDataProfile(f *testing.F) {
	for _, s := range []string{"square", "square:high=80,low=10,period=2m", "steps:levels=10@1m/90@1m,repeat=true",
		"sine:period=1h,spread=random", "spike:every=10s", "ramp:over=1d,then=repeat", "constant:level=0",
		"square:high=80\nExecStart=/bin/evil", "square:period=$(id)", "steps:levels=1@10s/" + strings.Repeat("2@10s/", 120), "a: b", "{}"} {
		f.Add(s)
	}
	want := shapeWithoutSchedule(f, profileUserData(f, "square:high=80,low=10,period=2m"))
	f.Fuzz(func(t *testing.T, text string) {
		ud, err := loadProfiled(text)
		if err != nil {
			if !errors.Is(err, config.ErrInvalid) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("--profile cpu=%q: not one line of bad input: %v", text, err)
			}
			return
		}
		for _, u := range ud {
			if got := shapeWithoutSchedule(t, u); got != want {
				t.Errorf("--profile cpu=%q changed the user-data's structure:\nwant %s\ngot  %s", text, want, got)
			}
		}
	})
}

// loadProfiled loads and renders one cpu VM with --profile cpu=TEXT.
func loadProfiled(text string) ([]string, error) {
	fs := pflag.NewFlagSet("fuzz", pflag.ContinueOnError)
	flags := config.NewFlags()
	flags.AddFlags(fs)
	if err := fs.Parse([]string{"--workloads", "cpu", "--run-id", testRunID, "--duration", "30d", "--profile", "cpu=" + text}); err != nil {
		return nil, err
	}
	cfg, err := config.Load(workloads.Builtin(), config.Sources{Flags: flags, NewRunID: func() string { return testRunID },
		Now: func() time.Time { return time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC) }})
	if err != nil {
		return nil, err
	}
	b, err := Render(Input{Config: cfg, Registry: cfg.Registry})
	if err != nil {
		return nil, err
	}
	var out []string
	for obj := range b.Objects() {
		if obj.GetKind() != "Secret" {
			continue
		}
		enc, _, _ := unstructured.NestedString(obj.Object, "data", userDataKey)
		data, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return nil, err
		}
		out = append(out, string(data))
	}
	return out, nil
}

func profileUserData(t testing.TB, text string) string {
	ud, err := loadProfiled(text)
	if err != nil || len(ud) != 1 {
		t.Fatalf("%q: %v (%d Secrets)", text, err, len(ud))
	}
	return ud[0]
}

// shapeWithoutSchedule is the user-data's structure with the schedule
// file's content left out, after checking that the guest's rules accept it.
func shapeWithoutSchedule(t testing.TB, ud string) string {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(ud), &doc); err != nil {
		t.Fatalf("user-data is not YAML: %v", err)
	}
	files, _ := doc["write_files"].([]any)
	for _, f := range files {
		m, _ := f.(map[string]any)
		if m["path"] == workloads.SchedulePath("cpu") {
			content, _ := m["content"].(string)
			if _, err := profile.ParseFile([]byte(content)); err != nil {
				t.Fatalf("schedule file the guest would refuse: %v\n%s", err, content)
			}
			m["content"] = ""
		}
	}
	return yamlShape(doc)
}
