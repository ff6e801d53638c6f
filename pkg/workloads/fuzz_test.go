package workloads

import (
	"fmt"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"mvdan.cc/sh/v3/syntax"
)

// seeds are values that would change a unit, a script or YAML if they
// reached one unquoted: newlines, quotes, command substitution, backticks,
// separators, systemd % specifiers, unicode and placeholders.
var seeds = []string{
	"hello", "42", "1Ki", "loud", "a\nExecStartPre=/bin/evil", "x\ny", "\r", "a\"b", "a'b", "$(reboot)", "`id`",
	"a;reboot", "a&&b", "a|b", "%n", "%%", "%h/.ssh", "ünïcödé", "日本", "a b", "\t", "\\", "{{ word }}", "${IFS}",
	"-rf", "../../etc", "/etc/passwd", "a:b", "1e3", "0x10", "-1", " 7 ", "007", "9223372036854775808", "#comment",
	"- item", "key: value", "[a]", "{a: b}", "&anchor", "*alias", "!!binary", "| block", "> fold", "",
}

// shape is a script's syntax tree without its literal text: a value that
// adds a command, a word, an expansion or a quote changes it, while one
// that only replaces a literal does not.
func shape(t *testing.T, script string) string {
	t.Helper()
	f, err := syntax.NewParser().Parse(strings.NewReader(script), "")
	if err != nil {
		return "unparsable: " + err.Error()
	}
	var b strings.Builder
	syntax.Walk(f, func(n syntax.Node) bool {
		if n != nil {
			fmt.Fprintf(&b, "%T ", n)
		}
		return true
	})
	return b.String()
}

// unitShape is a unit file's sections and directive names, in order.
func unitShape(unit string) string {
	var b strings.Builder
	for _, line := range strings.Split(unit, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "", strings.HasPrefix(line, "#"), strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			b.WriteString(line + " ")
		default:
			k, _, _ := strings.Cut(line, "=")
			b.WriteString(k + " ")
		}
	}
	return b.String()
}

// envShape is an EnvironmentFile's variable names; it also fails t when a
// value could be read as more than one plain word.
func envShape(t *testing.T, env string) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(env, "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !envSafe(v) {
			t.Errorf("EnvironmentFile line %q is not NAME=plain-word", line)
		}
		b.WriteString(k + " ")
	}
	return b.String()
}

// structure maps each file of a CloudConfig to its shape.
func structure(t *testing.T, cc CloudConfig) map[string]string {
	t.Helper()
	out := map[string]string{"runcmd": fmt.Sprint(cc.RunCmd), "packages": fmt.Sprint(cc.Packages)}
	for _, f := range cc.WriteFiles {
		switch {
		case strings.HasSuffix(f.Path, ".env"):
			out[f.Path] = envShape(t, f.Content)
		case path.Ext(f.Path) == ".service" || path.Ext(f.Path) == ".timer" || path.Ext(f.Path) == ".conf":
			out[f.Path] = unitShape(f.Content)
		case strings.HasPrefix(f.Content, "#!"):
			out[f.Path] = shape(t, f.Content)
		default:
			out[f.Path] = f.Content
		}
	}
	return out
}

// fuzzValue sets one param of w to v and checks, for every role, that what
// renders has the structure the defaults render: v can replace a literal,
// never add a directive, a command, a word or a file.
func fuzzValue(t *testing.T, w Workload, param, v string) {
	s := w.Spec()
	p, _ := s.Param(param)
	canon, err := p.Parse(v)
	if err != nil {
		return // refused: the value never reaches the guest
	}
	defaults, err := s.Defaults()
	if err != nil {
		t.Fatal(err)
	}
	vals := Values{}
	for k, d := range defaults {
		vals[k] = d
	}
	vals[param] = canon
	for _, role := range s.Roles {
		in := Instance{Role: role.Name, Params: defaults, ServiceHost: HostRule{"virtwork-x-00000000-client-", "virtwork-x-00000000-", ".virtwork.svc"}}
		want, err := CloudConfigFor(w, in)
		if err != nil {
			t.Fatal(err)
		}
		in.Params = vals
		got, err := CloudConfigFor(w, in)
		if err != nil {
			t.Fatalf("%s: %s=%q was accepted as %q but does not render: %v", s.Name, param, v, canon, err)
		}
		ws, gs := structure(t, want), structure(t, got)
		for f, shape := range ws {
			if gs[f] != shape {
				t.Errorf("%s role %s: %s=%q (canonical %q) changed the structure of %s:\nwant %s\ngot  %s", s.Name, role.Name, param, v, canon, f, shape, gs[f])
			}
		}
		if len(gs) != len(ws) {
			t.Errorf("%s: %s=%q changed the set of files", s.Name, param, v)
		}
	}
}

// FuzzBuiltinParams: any value of any built-in workload's param either is
// refused or renders with the structure of the default.
func FuzzBuiltinParams(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	reg := Builtin()
	f.Fuzz(func(t *testing.T, v string) {
		for _, name := range reg.Names() {
			w, _ := reg.Get(name)
			for _, p := range w.Spec().Params {
				fuzzValue(t, w, p.Name, v)
			}
		}
	})
}

// FuzzCustomParams: the same for a custom workload whose unit and script
// hold placeholders of every param type, where values are written into
// the templates themselves, and for one that uses every field of the
// format (per-role files and env, drop-ins, data files).
func FuzzCustomParams(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	var ws []Workload
	for _, dir := range []fstest.MapFS{goodDir(), fullDir()} {
		entries, err := LoadDir(dir, "wl/echo")
		if err != nil || entries[0].Err != nil {
			f.Fatal(err, entries[0].Err)
		}
		ws = append(ws, entries[0].Workload)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, w := range ws {
			for _, p := range w.Spec().Params {
				fuzzValue(t, w, p.Name, v)
			}
		}
	})
}

// TestFuzzShapesDetect: the shape functions catch what the fuzz targets
// look for, so a pass means something.
func TestFuzzShapesDetect(t *testing.T) {
	base := "#!/bin/bash\necho hello 3\n"
	for _, bad := range []string{"#!/bin/bash\necho hello; reboot 3\n", "#!/bin/bash\necho $(id) 3\n", "#!/bin/bash\necho a b 3\n", "#!/bin/bash\necho 'x' 3\n"} {
		if shape(t, bad) == shape(t, base) {
			t.Errorf("shape does not tell %q from %q", bad, base)
		}
	}
	if shape(t, "#!/bin/bash\necho world 42\n") != shape(t, base) {
		t.Error("shape differs for a replaced literal")
	}
	if unitShape("[Service]\nExecStart=/bin/x a\nExecStartPre=/bin/evil\n") == unitShape("[Service]\nExecStart=/bin/x a\n") {
		t.Error("unitShape misses an added directive")
	}
}
