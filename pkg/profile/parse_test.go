package profile

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/virtwork/kubectl-virtwork/pkg/yamlfile"
)

// cpu and iops are the level ranges of two kinds of workload: one whose
// range starts at 1 (so every level from 0 up is allowed), one with a floor.
var (
	cpu  = Levels{Min: 1, Max: 100, Default: 100}
	iops = Levels{Min: 10, Max: 100000, Default: 1000}
)

// yamlProfile reads text as the value of workloads.cpu.profile in c.yaml.
func yamlProfile(t testing.TB, text string, lv Levels) (Profile, error) {
	t.Helper()
	top, err := yamlfile.Parse("c.yaml", []byte("workloads:\n  cpu:\n    profile: "+text+"\n"))
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	var prof yamlfile.Node
	err = top.Each(func(_, wl yamlfile.Node) error {
		return wl.Each(func(_, c yamlfile.Node) error {
			return c.Each(func(_, p yamlfile.Node) error { prof = p; return nil })
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return FromYAML(prof, lv)
}

// TestParse: each shape in the flag form and as a YAML mapping gives the
// same Profile, with the defaults filled in, and String spells it back so
// that Parse gives it again.
func TestParse(t *testing.T) {
	m := time.Minute
	for _, tc := range []struct {
		flag, yaml string
		lv         Levels
		want       Profile
	}{
		{"constant", "{shape: constant}", cpu, Profile{Shape: Constant, Levels: cpu, Level: 100}},
		{"constant:level=0", "{shape: constant, level: 0}", iops, Profile{Shape: Constant, Levels: iops}},
		{"square:high=90,low=10,period=10m,duty=50", "{shape: square, high: 90, low: 10, period: 10m}", cpu,
			Profile{Shape: Square, Levels: cpu, High: 90, Low: 10, Period: 10 * m, Duty: 50}},
		{"square", "{shape: square}", iops, Profile{Shape: Square, Levels: iops, High: 1000, Period: 10 * m, Duty: 50}},
		{"ramp:from=10,to=90,over=1h,then=repeat", "{shape: ramp, from: 10, to: 90, over: 1h, then: repeat}", cpu,
			Profile{Shape: Ramp, Levels: cpu, From: 10, To: 90, Over: time.Hour, Repeat: true}},
		{"ramp", "{shape: ramp}", cpu, Profile{Shape: Ramp, Levels: cpu, To: 100, Over: 10 * m}},
		{"spike:base=10,peak=100,every=15m,length=1m,spread=random",
			"{shape: spike, base: 10, peak: 100, every: 15m, length: 1m, spread: random}", cpu,
			Profile{Shape: Spike, Levels: cpu, Base: 10, Peak: 100, Every: 15 * m, Length: m, Spread: Spread{Kind: SpreadRandom}}},
		{"steps:levels=20@5m/50@5m/90@10m,repeat=true", "{shape: steps, levels: [20@5m, 50@5m, 90@10m], repeat: true}", cpu,
			Profile{Shape: Steps, Levels: cpu, Steps: []Step{{20, 5 * m}, {50, 5 * m}, {90, 10 * m}}, Repeat: true}},
		{"steps:levels=0@1d12h", "{shape: steps, levels: 0@1d12h}", cpu,
			Profile{Shape: Steps, Levels: cpu, Steps: []Step{{0, 36 * time.Hour}}}},
		{"sine:min=10,max=90,period=2h,spread=jitter=2m", "{shape: sine, min: 10, max: 90, period: 2h, spread: jitter=2m}", cpu,
			Profile{Shape: Sine, Levels: cpu, Min: 10, Max: 90, Period: 2 * time.Hour, Spread: Spread{Kind: SpreadJitter, Jitter: 2 * m}}},
		{" square : high = 80 , period = 90s ", "{shape: square, high: 80, period: 90s, spread: none}", cpu,
			Profile{Shape: Square, Levels: cpu, High: 80, Period: 90 * time.Second, Duty: 50}},
		{"spike:every=7d,length=6d23h59m59s", `"spike:every=7d,length=6d23h59m59s"`, cpu,
			Profile{Shape: Spike, Levels: cpu, Peak: 100, Every: 7 * 24 * time.Hour, Length: 7*24*time.Hour - time.Second}},
	} {
		got, err := Parse(tc.flag, "--profile cpu="+tc.flag, tc.lv)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.flag, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tc.flag, diff)
		}
		fromYAML, err := yamlProfile(t, tc.yaml, tc.lv)
		if err != nil {
			t.Errorf("FromYAML(%s): %v", tc.yaml, err)
		} else if diff := cmp.Diff(tc.want, fromYAML); diff != "" {
			t.Errorf("FromYAML(%s) (-want +got):\n%s", tc.yaml, diff)
		}
		again, err := Parse(got.String(), "canonical", tc.lv)
		if err != nil || !cmp.Equal(got, again) {
			t.Errorf("Parse(%q).String() = %q does not parse back to it: %v", tc.flag, got.String(), err)
		}
	}
}

func TestString(t *testing.T) {
	p, err := Parse("spike:peak=100,every=1d1s,spread=jitter=90s", "t", cpu)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.String(), "spike:base=0,peak=100,every=1d1s,length=1m,spread=jitter=1m30s"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := Default(cpu).String(), "constant:level=100"; got != want {
		t.Errorf("Default(cpu).String() = %q, want %q", got, want)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", time.Second: "1s", 90 * time.Second: "1m30s", time.Hour: "1h",
		36 * time.Hour: "1d12h", 7 * 24 * time.Hour: "7d", 86401 * time.Second: "1d1s", -time.Minute: "-1m",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := parseDuration(want); err != nil || back != d {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", want, back, err, d)
		}
	}
}

// TestBadLevels: the caller's range is checked, since no user can fix it.
func TestBadLevels(t *testing.T) {
	for _, lv := range []Levels{{Min: 5, Max: 1}, {Min: -1, Max: 10}, {Max: 0}, {Min: 1, Max: 10, Default: 11}} {
		if _, err := Parse("constant", "t", lv); err == nil || !strings.HasPrefix(err.Error(), "profile: invalid level range") {
			t.Errorf("Parse with %+v: err = %v, want an invalid range", lv, err)
		}
	}
}

// TestUnlimitedDefault: a workload whose level param is 0 (Default 0:
// unlimited, not a level) takes a profile only with the key that would
// default to its level; given, the profile is as for any workload.
func TestUnlimitedDefault(t *testing.T) {
	lv := Levels{Min: 0, Max: 100000}
	for shape, key := range map[string]string{"constant": "level", "square:low=5": "high", "ramp": "to", "spike": "peak", "sine": "max"} {
		_, err := Parse(shape, "--profile disk="+shape, lv)
		want := "--profile disk=" + shape + ": " + key + " is required: the workload's level param is 0 (unlimited), not a level to hold; give " +
			key + "=N with N from 1 to 100000"
		if err == nil || err.Error() != want {
			t.Errorf("%s: %v\nwant %s", shape, err, want)
		}
		if _, err := yamlProfile(t, "{shape: "+strings.Split(shape, ":")[0]+"}", lv); err == nil || !strings.Contains(err.Error(), key+" is required") {
			t.Errorf("%s in YAML: %v", shape, err)
		}
	}
	for _, text := range []string{"constant:level=0", "square:high=200,low=50", "ramp:to=10", "spike:peak=9", "sine:max=7", "steps:levels=0@1m/50@1m"} {
		if _, err := Parse(text, "--profile disk="+text, lv); err != nil {
			t.Errorf("%s: %v", text, err)
		}
	}
}
