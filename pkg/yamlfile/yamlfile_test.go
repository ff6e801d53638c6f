package yamlfile

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct{ name, data, want string }{
		{"not yaml", "a: [1\n", "f.yaml: not valid YAML"},
		{"two documents", "a: 1\n---\na: 2\n", "f.yaml: must hold one YAML document, found more"},
	} {
		if _, err := Parse("f.yaml", []byte(c.data)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	for _, empty := range []string{"", "\n# only a comment\n", "~\n"} {
		n, err := Parse("f.yaml", []byte(empty))
		if err != nil || !n.Null() {
			t.Errorf("Parse(%q) = %v, null %v; want a null node", empty, err, n.Null())
		}
	}
}

// TestWalk reads a small file the way the config and workload loaders do
// and checks where each kind of error points.
func TestWalk(t *testing.T) {
	const doc = "name: echo\ncount: 3\non: true\nroles:\n- name: a\n  unit: x\n- &r {name: b}\nalias: *r\nnone:\n"
	top, err := Parse("w.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	err = top.Mapping([]string{"name", "count", "on", "roles", "alias", "none"}, func(k string, v Node) error {
		switch k {
		case "count":
			n, err := v.Int(1, 5)
			got[k] = strings.Repeat("x", int(n))
			return err
		case "on":
			b, err := v.Bool()
			if b {
				got[k] = "yes"
			}
			return err
		case "roles":
			return v.List(func(i int, item Node) error {
				got[item.Path] = item.Where()
				return item.Mapping([]string{"name", "unit"}, func(k string, v Node) error {
					got[v.Path], _ = v.String()
					return nil
				})
			})
		case "alias":
			return v.Mapping([]string{"name"}, func(k string, v Node) error {
				got["alias"] = v.Where()
				return nil
			})
		case "none":
			got["none"] = "null"
			if !v.Null() {
				got["none"] = "not null"
			}
			return nil
		}
		got[k], err = v.String()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"name": "echo", "count": "xxx", "on": "yes",
		"roles[0]": "w.yaml:5: roles[0]", "roles[0].name": "a", "roles[0].unit": "x",
		"roles[1]": "w.yaml:7: roles[1]", "roles[1].name": "b",
		"alias": "w.yaml:7: alias.name", "none": "null",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestErrors(t *testing.T) {
	parse := func(doc string) Node {
		t.Helper()
		n, err := Parse("f.yaml", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	known := []string{"vm_count", "memory", "roles"}
	visit := func(n Node) error {
		return n.Mapping(known, func(k string, v Node) error {
			switch k {
			case "vm_count":
				_, err := v.Int(1, 10)
				return err
			case "roles":
				return v.List(func(int, Node) error { return nil })
			}
			_, err := v.String()
			return err
		})
	}
	for _, c := range []struct{ name, doc, want string }{
		{"unknown key", "vm_cont: 2\n", `f.yaml:1: vm_cont: unknown key (did you mean "vm_count"?) (known: memory, roles, vm_count)`},
		{"far-off key", "zzzzzzzz: 2\n", `f.yaml:1: zzzzzzzz: unknown key (known: memory, roles, vm_count)`},
		{"top level not a mapping", "- a\n", "f.yaml:1: the top level must be a mapping of keys to values"},
		{"out of range", "memory: x\nvm_count: 11\n", `f.yaml:2: vm_count: must be an integer between 1 and 10, got "11"`},
		{"list for a value", "memory: [1]\n", "f.yaml:1: memory: must be a single value"},
		{"null value", "memory:\n", "f.yaml:1: memory: must be a single value"},
		{"value for a list", "roles: a\n", "f.yaml:1: roles: must be a list"},
	} {
		if err := visit(parse(c.doc)); err == nil || err.Error() != c.want {
			t.Errorf("%s: err = %v\nwant %s", c.name, err, c.want)
		}
	}
	if err := parse("a: 1\n").Require("a", "b"); err == nil || err.Error() != `f.yaml:1: the top level: missing required key "b"` {
		t.Errorf("Require = %v", err)
	}
	n := parse("x:\n  y: 1\n")
	_ = n.Mapping([]string{"x"}, func(_ string, v Node) error {
		if err := v.Require("z"); err == nil || err.Error() != `f.yaml:2: x: missing required key "z"` {
			t.Errorf("nested Require = %v", err)
		}
		if _, err := v.Bool(); err == nil || err.Error() != "f.yaml:2: x: must be true or false" {
			t.Errorf("Bool of a mapping = %v", err)
		}
		return nil
	})
	_ = parse("b: \"true\"\n").Mapping([]string{"b"}, func(_ string, v Node) error {
		if _, err := v.Bool(); err == nil {
			t.Error(`a quoted "true" must not be a boolean`)
		}
		return nil
	})
}
