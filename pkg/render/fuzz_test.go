package render

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// yamlShape is a YAML document's structure: its keys, list lengths and
// value kinds, without scalar values.
func yamlShape(v any) string {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("{")
		for _, k := range keys {
			fmt.Fprintf(&b, "%s:%s,", k, yamlShape(v[k]))
		}
		return b.String() + "}"
	case []any:
		var b strings.Builder
		b.WriteString("[")
		for _, item := range v {
			b.WriteString(yamlShape(item) + ",")
		}
		return b.String() + "]"
	case string:
		// A scalar's line count is structure too: a value must not
		// add a line to a file.
		return fmt.Sprintf("str/%d", strings.Count(v, "\n"))
	}
	return fmt.Sprintf("%T", v)
}

// FuzzUserDataParams: a value given to a param of a custom workload (whose
// templates take it verbatim) or of a built-in one is refused, or yields
// user-data of the same YAML structure as the default: it cannot add a key,
// a list item, a file or a line.
func FuzzUserDataParams(f *testing.F) {
	for _, s := range []string{"hello", "a\nb", "a: b", "- x", "'q'", "\"q\"", "#c", "&a", "*a", "!!str", "|", ">", "{a}", "[a]", "%x", "ü", "$(id)", "`id`", "a;b", "7"} {
		f.Add(s)
	}
	cfg := exampleConfig(f, 1, "valkey", "sysbench-cpu")
	b, err := Render(Input{Config: cfg, Registry: cfg.Registry})
	if err != nil {
		f.Fatal(err)
	}
	want := map[string]string{}
	for secret, ud := range secretUserData(f, b) {
		want[secret] = shapeOf(f, ud)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for wi, wc := range cfg.Workloads {
			w, _ := cfg.Registry.Get(wc.Name)
			for _, p := range w.Spec().Params {
				canon, err := p.Parse(v)
				if err != nil {
					continue
				}
				c := *cfg
				c.Workloads = append(c.Workloads[:0:0], cfg.Workloads...)
				params := map[string]string{}
				for k, d := range wc.Params {
					params[k] = d
				}
				params[p.Name] = canon
				c.Workloads[wi].Params = params
				b, err := Render(Input{Config: &c, Registry: c.Registry})
				if err != nil {
					t.Fatalf("%s.%s=%q accepted as %q but does not render: %v", wc.Name, p.Name, v, canon, err)
				}
				for secret, ud := range secretUserData(t, b) {
					if got := shapeOf(t, ud); got != want[secret] {
						t.Errorf("%s.%s=%q changed the structure of %s:\nwant %s\ngot  %s", wc.Name, p.Name, v, secret, want[secret], got)
					}
				}
			}
		}
	})
}

func shapeOf(t testing.TB, ud string) string {
	var doc any
	if err := yaml.Unmarshal([]byte(ud), &doc); err != nil {
		t.Fatalf("user-data is not YAML: %v", err)
	}
	return yamlShape(doc)
}
