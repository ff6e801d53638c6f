package profile

import (
	"strings"
	"testing"
)

// TestBadFlag: every bad profile in the flag form is one line that starts
// with the source the caller named and says what to give instead.
func TestBadFlag(t *testing.T) {
	for _, tc := range []struct {
		text string
		lv   Levels
		want string // after "--profile cpu=TEXT"
	}{
		{"", cpu, ": no profile; give a shape such as constant or square:high=90,low=10,period=10m"},
		{"squar:high=90", cpu, `: unknown shape "squar" (did you mean "square"?) (known: constant, square, ramp, spike, steps, sine)`},
		{"sawtooth", cpu, `: unknown shape "sawtooth" (known: constant, square, ramp, spike, steps, sine)`},
		{"Square", cpu, `: unknown shape "Square" (did you mean "square"?) (known: constant, square, ramp, spike, steps, sine)`},
		{"square:hgih=90", cpu, `: hgih: unknown key for shape square (did you mean "high"?) (known: duty, high, low, period, spread)`},
		{"constant:duration=1h", cpu, `: duration: unknown key for shape constant (known: level, spread)`},
		{"sine:duty=50", cpu, `: duty: unknown key for shape sine (known: max, min, period, spread)`},
		{"square:", cpu, `: "" must look like KEY=VALUE (for example period=10m); separate keys with commas`},
		{"square:high", cpu, `: "high" must look like KEY=VALUE (for example period=10m); separate keys with commas`},
		{"square:high=90,,low=10", cpu, `: "" must look like KEY=VALUE (for example period=10m); separate keys with commas`},
		{"square:=90", cpu, `: "=90" must look like KEY=VALUE (for example period=10m); separate keys with commas`},
		{"square:high=90,high=80", cpu, `: high is given twice; give it once`},
		{"constant:level=101", cpu, `: level must be a level between 0 and 100, got "101"`},
		{"constant:level=-1", cpu, `: level must be a level between 0 and 100, got "-1"`},
		{"constant:level=50%", cpu, `: level must be a level between 0 and 100, got "50%"`},
		{"constant:level=", cpu, `: level must be a level between 0 and 100, got ""`},
		{"constant:level=5", iops, `: level must be a level of 0 (idle) or between 10 and 100000, got "5"`},
		{"square:high=120", cpu, `: high must be a level between 0 and 100, got "120"`},
		{"square:high=10,low=90", cpu, `: low (90) must not be above high (10); swap them, or change duty to change the time at each`},
		{"square:period=0", cpu, `: period must be between 10s and 7d, got "0"`},
		{"square:period=5s", cpu, `: period must be between 10s and 7d, got "5s"`},
		{"square:period=8d", cpu, `: period must be between 10s and 7d, got "8d"`},
		{"square:period=-10m", cpu, `: period must be between 10s and 7d, got "-10m"`},
		{"square:period=10", cpu, `: period must be a duration between 10s and 7d such as 10m, 1h30m or 2d, got "10"`},
		{"square:period=1.5m3ms", cpu, `: period must be whole seconds, got "1.5m3ms"`},
		{"square:period=d", cpu, `: period must be a duration between 10s and 7d such as 10m, 1h30m or 2d, got "d"`},
		{"square:duty=120", cpu, `: duty must be the percentage of each period at high, between 1 and 99, got "120"`},
		{"square:duty=0", cpu, `: duty must be the percentage of each period at high, between 1 and 99, got "0"`},
		{"square:duty=50%", cpu, `: duty must be the percentage of each period at high, between 1 and 99, got "50%"`},
		{"ramp:over=0s", cpu, `: over must be between 10s and 7d, got "0s"`},
		{"ramp:then=loop", cpu, `: then must be hold (stay at to) or repeat (start again from from), got "loop"`},
		{"ramp:spread=random", cpu, `: spread must not be random for ramp, which does not repeat: use a repeating shape (square, spike, sine, ramp with then=repeat, steps with repeat=true), or spread=jitter=DURATION to stagger the start`},
		{"spike:every=1m,length=1m", cpu, `: length (1m) must be shorter than every (1m)`},
		{"spike:every=1m,length=2m", cpu, `: length (2m) must be shorter than every (1m)`},
		{"spike:every=30s", cpu, `: every (30s) must be longer than length (1m, the default); give a shorter length`},
		{"spike:length=0s", cpu, `: length must be between 1s and 7d, got "0s"`},
		{"spike:base=90,peak=10", cpu, `: base (90) must not be above peak (10)`},
		{"steps", cpu, `: levels is required: list LEVEL@DURATION steps separated by / (for example 20@5m/50@5m/90@10m)`},
		{"steps:levels=", cpu, `: levels must list LEVEL@DURATION steps separated by / (for example 20@5m/50@5m/90@10m), got nothing`},
		{"steps:levels=20@5m/50", cpu, `: levels step 2 "50" must look like LEVEL@DURATION (for example 50@5m)`},
		{"steps:levels=20@5m//50@5m", cpu, `: levels step 2 "" must look like LEVEL@DURATION (for example 50@5m)`},
		{"steps:levels=@5m", cpu, `: levels step 1 "@5m" must look like LEVEL@DURATION (for example 50@5m)`},
		{"steps:levels=20@5m/150@5m", cpu, `: levels step 2 level must be a level between 0 and 100, got "150"`},
		{"steps:levels=20@5s", cpu, `: levels step 1 duration must be between 10s and 7d, got "5s"`},
		{"steps:levels=20@5m@1m", cpu, `: levels step 1 duration must be a duration between 10s and 7d such as 10m, 1h30m or 2d, got "5m@1m"`},
		{"steps:levels=" + strings.Repeat("1@10s/", 100) + "1@10s", cpu, `: levels has 101 steps, at most 100 are allowed`},
		{"steps:levels=20@5m,repeat=yes", cpu, `: repeat must be true (start again after the last step) or false (hold the last level), got "yes"`},
		{"steps:levels=20@5m,spread=random", cpu, `: spread must not be random for steps, which does not repeat: use a repeating shape (square, spike, sine, ramp with then=repeat, steps with repeat=true), or spread=jitter=DURATION to stagger the start`},
		{"constant:spread=random", cpu, `: spread must not be random for constant, which does not repeat: use a repeating shape (square, spike, sine, ramp with then=repeat, steps with repeat=true), or spread=jitter=DURATION to stagger the start`},
		{"sine:min=90,max=10", cpu, `: min (90) must not be above max (10)`},
		{"sine:min=5,max=20", iops, `: min must be a level of 0 (idle) or between 10 and 100000, got "5"`},
		{"square:spread=staggered", cpu, `: spread must be none, random or jitter=DURATION (for example jitter=2m), got "staggered"`},
		{"square:spread=jitter=0s", cpu, `: spread jitter must be between 1s and 7d, got "0s"`},
		{"square:spread=jitter", cpu, `: spread must be none, random or jitter=DURATION (for example jitter=2m), got "jitter"`},
	} {
		src := "--profile cpu=" + tc.text
		_, err := Parse(tc.text, src, tc.lv)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", tc.text)
			continue
		}
		want := src + tc.want
		if !strings.HasPrefix(tc.want, ":") {
			want = src + ": " + tc.want
		}
		if err.Error() != want {
			t.Errorf("Parse(%q):\n got: %s\nwant: %s", tc.text, err, want)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%q): the error is more than one line", tc.text)
		}
	}
}

// TestBadYAML: the mapping goes through the same checks, and its messages
// name the file, the line and the key path.
func TestBadYAML(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"{shape: squar}", `c.yaml:3: workloads.cpu.profile.shape: unknown shape "squar" (did you mean "square"?) (known: constant, square, ramp, spike, steps, sine)`},
		{"{high: 90}", `c.yaml:3: workloads.cpu.profile: missing required key "shape"`},
		{"{shape: square, hgih: 90}", `c.yaml:3: workloads.cpu.profile.hgih: unknown key for shape square (did you mean "high"?) (known: duty, high, low, period, spread)`},
		{"{shape: square, period: 0}", `c.yaml:3: workloads.cpu.profile.period must be between 10s and 7d, got "0"`},
		{"\n      shape: square\n      duty: 120", `c.yaml:5: workloads.cpu.profile.duty must be the percentage of each period at high, between 1 and 99, got "120"`},
		{"{shape: square, high: [90]}", `c.yaml:3: workloads.cpu.profile.high: must be a single value`},
		{"{shape: square, high: 90, high: 80}", `c.yaml:3: workloads.cpu.profile.high: given twice`},
		{"{shape: spike, every: 1m, length: 2m}", `c.yaml:3: workloads.cpu.profile.length (2m) must be shorter than every (1m)`},
		{"{shape: spike, every: 30s}", `c.yaml:3: workloads.cpu.profile.every (30s) must be longer than length (1m, the default); give a shorter length`},
		{"{shape: steps}", `c.yaml:3: workloads.cpu.profile.levels is required: list LEVEL@DURATION steps separated by / (for example 20@5m/50@5m/90@10m)`},
		{"{shape: steps, levels: [20@5m, 50]}", `c.yaml:3: workloads.cpu.profile.levels step 2 "50" must look like LEVEL@DURATION (for example 50@5m)`},
		{"{shape: constant, spread: random}", `c.yaml:3: workloads.cpu.profile.spread must not be random for constant, which does not repeat: use a repeating shape (square, spike, sine, ramp with then=repeat, steps with repeat=true), or spread=jitter=DURATION to stagger the start`},
		{"[square]", `c.yaml:3: workloads.cpu.profile: must be a mapping such as {shape: square, high: 90, period: 10m} or a string such as square:high=90,period=10m`},
		{"square:duty=0", `c.yaml:3: workloads.cpu.profile: duty must be the percentage of each period at high, between 1 and 99, got "0"`},
	} {
		_, err := yamlProfile(t, tc.text, cpu)
		if err == nil || err.Error() != tc.want {
			t.Errorf("FromYAML(%s):\n got: %v\nwant: %s", tc.text, err, tc.want)
		}
	}
}
