package plan

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/virtwork/kubectl-virtwork/pkg/profile"
	"github.com/virtwork/kubectl-virtwork/pkg/render"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// scheduleFiles reads, for each VM of the bundle, the schedule file render
// wrote into the user-data Secret the VM boots from.
func scheduleFiles(t *testing.T, b *render.Bundle) map[string]profile.FileContent {
	t.Helper()
	bySecret, secretOf := map[string]profile.FileContent{}, map[string]string{}
	for obj := range b.Objects() {
		switch obj.GetKind() {
		case "VirtualMachine":
			vols, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "volumes")
			for _, v := range vols {
				if name, ok, _ := unstructured.NestedString(v.(map[string]any), "cloudInitNoCloud", "secretRef", "name"); ok {
					secretOf[obj.GetName()] = name
				}
			}
		case "Secret":
			enc, _, _ := unstructured.NestedString(obj.Object, "data", "userdata")
			data, err := base64.StdEncoding.DecodeString(enc)
			if err != nil {
				t.Fatal(err)
			}
			var cc struct {
				WriteFiles []struct{ Path, Content string } `yaml:"write_files"`
			}
			if err := yaml.Unmarshal(data, &cc); err != nil {
				t.Fatal(err)
			}
			for _, f := range cc.WriteFiles {
				if f.Path == workloads.SchedulePath("cpu") {
					fc, err := profile.ParseFile([]byte(f.Content))
					if err != nil {
						t.Fatal(err)
					}
					bySecret[obj.GetName()] = fc
				}
			}
		}
	}
	out := map[string]profile.FileContent{}
	for vm, secret := range secretOf {
		if fc, ok := bySecret[secret]; ok {
			out[vm] = fc
		}
	}
	return out
}

// TestSpreadMatchesRender: with a spread each VM's phase is the one the
// schedule file render wrote for it gives its name (the VMs share the
// file, and their Secret), and each of its segments holds the level that
// file gives, at the segment's start and its last second.
func TestSpreadMatchesRender(t *testing.T) {
	for _, spec := range []string{"cpu=spike:base=20,peak=100,every=15m,length=90s,spread=random",
		"cpu=steps:levels=30@5m/60@5m/90@5m,spread=jitter=7m"} {
		cfg, b := load(t, "--workloads", "cpu", "--vm-count", "6", "--profile", spec,
			"--start-at", "2026-01-02T10:05:00Z", "--duration", "45m")
		p, err := Build(Options{Config: cfg, Bundle: b, Window: time.Hour, Segments: true})
		if err != nil {
			t.Fatal(err)
		}
		files := scheduleFiles(t, b)
		phases := map[int64]bool{}
		for _, vm := range p.Workloads[0].VMs {
			f, ok := files[vm.Name]
			if !ok {
				t.Fatalf("%s: its Secret holds no schedule file", vm.Name)
			}
			phase := f.Phase.Of(vm.Name)
			if phase != time.Duration(vm.PhaseSeconds)*time.Second {
				t.Errorf("%s: phase %d, render's file gives %s", vm.Name, vm.PhaseSeconds, phase)
			}
			phases[vm.PhaseSeconds] = true
			for _, s := range vm.Segments {
				for _, at := range []int64{s.FromSeconds, s.ToSeconds - 1} {
					level, _, state := f.Schedule.At(f.Start, phase, f.Duration, start.Add(time.Duration(at)*time.Second))
					if level != s.Level || state != s.State {
						t.Errorf("%s at +%ds: plan %d %s, render's file %d %s", vm.Name, at, s.Level, s.State, level, state)
					}
				}
			}
		}
		if len(phases) < 2 {
			t.Errorf("%s: phases %v, want VMs at different phases", spec, phases)
		}
		if n := b.Counts()["Secret"]; n != 1 {
			t.Errorf("%s: %d Secrets, want the 6 VMs to share one", spec, n)
		}
	}
}

// TestJSONKeys pins the JSON model's keys: verify reads them, and the
// README documents them.
func TestJSONKeys(t *testing.T) {
	var b strings.Builder
	if err := WriteJSON(&b, build(t, time.Hour, true, "--workloads", "cpu,database", "--vm-count", "2",
		"--profile", "cpu=square:period=10m,spread=random", "--start-at", "2026-01-02T10:05:00Z", "--duration", "50m")); err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				keys[path+"."+k] = true
				walk(path+"."+k, x)
			}
		case []any:
			for _, x := range v {
				walk(path+"[]", x)
			}
		}
	}
	walk("", doc)
	got := make([]string, 0, len(keys))
	for k := range keys {
		got = append(got, k)
	}
	sort.Strings(got)
	want := []string{
		".runID", ".windowSeconds", ".workloads",
		".workloads[].aggregate", ".workloads[].aggregate[].from", ".workloads[].aggregate[].fromSeconds",
		".workloads[].aggregate[].levelSum", ".workloads[].aggregate[].levels", ".workloads[].aggregate[].levels[].level",
		".workloads[].aggregate[].levels[].vms", ".workloads[].aggregate[].to", ".workloads[].aggregate[].toSeconds",
		".workloads[].aggregate[].vcpuBusy", ".workloads[].description", ".workloads[].durationSeconds",
		".workloads[].end", ".workloads[].level", ".workloads[].level.max",
		".workloads[].level.min", ".workloads[].level.param", ".workloads[].level.perVCPUPercent",
		".workloads[].level.unit", ".workloads[].name", ".workloads[].profile",
		".workloads[].schedule", ".workloads[].schedule.cycleSeconds", ".workloads[].schedule.segments",
		".workloads[].schedule.segments[].level", ".workloads[].schedule.segments[].offsetSeconds", ".workloads[].start",
		".workloads[].unlimited",
		".workloads[].vcpusPerVM", ".workloads[].vmCount", ".workloads[].vms",
		".workloads[].vms[].name", ".workloads[].vms[].phaseSeconds", ".workloads[].vms[].role",
		".workloads[].vms[].segments", ".workloads[].vms[].segments[].from", ".workloads[].vms[].segments[].fromSeconds",
		".workloads[].vms[].segments[].level", ".workloads[].vms[].segments[].state", ".workloads[].vms[].segments[].to",
		".workloads[].vms[].segments[].toSeconds", ".workloads[].window", ".workloads[].window.from",
		".workloads[].window.fromSeconds", ".workloads[].window.to", ".workloads[].window.toSeconds",
	}
	if !slices.Equal(got, want) {
		t.Errorf("JSON keys:\n%s", strings.Join(got, "\n"))
	}
}
