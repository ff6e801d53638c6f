package yamlfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/virtwork/kubectl-virtwork/pkg/suggest"
)

// Node is one node of a file read by Parse: it knows the file, its line and
// the key path that led to it, so every message can say where it is.
// Aliases are already resolved. The zero Node (and an empty document) is
// null.
type Node struct {
	n *yaml.Node
	// File is the file's name as messages spell it.
	File string
	// Path is the dotted key path, with [i] for list items ("" at the top).
	Path string
}

// Parse reads data, the content of file, as exactly one YAML document.
// An empty file gives a null Node. Errors name the file.
func Parse(file string, data []byte) (Node, error) {
	top := Node{File: file}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return top, nil
		}
		return Node{}, fmt.Errorf("%s: not valid YAML: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Node{}, fmt.Errorf("%s: must hold one YAML document, found more", file)
	}
	if len(doc.Content) > 0 {
		top.n = deref(doc.Content[0])
	}
	return top, nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// child is the node v below n at path element elem.
func (n Node) child(v *yaml.Node, elem string) Node {
	p := elem
	if n.Path != "" {
		p = n.Path + "." + elem
		if strings.HasPrefix(elem, "[") {
			p = n.Path + elem
		}
	}
	return Node{n: deref(v), File: n.File, Path: p}
}

// Line is the node's line in the file (0 for a null Node from an empty file).
func (n Node) Line() int {
	if n.n == nil {
		return 0
	}
	return n.n.Line
}

// Where is "file:line: path", or "file:line" at the top level.
func (n Node) Where() string {
	if n.Path == "" {
		return fmt.Sprintf("%s:%d", n.File, n.Line())
	}
	return fmt.Sprintf("%s:%d: %s", n.File, n.Line(), n.Path)
}

// Errorf returns an error that starts with Where: "file:line: path: message".
func (n Node) Errorf(format string, args ...any) error {
	return fmt.Errorf("%s: %s", n.Where(), fmt.Sprintf(format, args...))
}

// Null reports whether the node is absent or an explicit null (`key:` or `~`).
func (n Node) Null() bool {
	return n.n == nil || (n.n.Kind == yaml.ScalarNode && n.n.Tag == "!!null")
}

// IsScalar, IsList and IsMapping report the node's shape.
func (n Node) IsScalar() bool  { return n.n != nil && n.n.Kind == yaml.ScalarNode }
func (n Node) IsList() bool    { return n.n != nil && n.n.Kind == yaml.SequenceNode }
func (n Node) IsMapping() bool { return n.n != nil && n.n.Kind == yaml.MappingNode }

// Len is the number of items of a list or keys of a mapping.
func (n Node) Len() int {
	switch {
	case n.IsList():
		return len(n.n.Content)
	case n.IsMapping():
		return len(n.n.Content) / 2
	}
	return 0
}

// Value is a scalar's text as written ("" for anything else).
func (n Node) Value() string {
	if !n.IsScalar() {
		return ""
	}
	return n.n.Value
}

// String returns a scalar's text; null, lists and mappings are errors.
func (n Node) String() (string, error) {
	if !n.IsScalar() || n.Null() {
		return "", n.Errorf("must be a single value")
	}
	return n.n.Value, nil
}

// Bool returns a YAML boolean (true, false, True, FALSE, ...); anything
// else, quoted "true" included, is an error.
func (n Node) Bool() (bool, error) {
	if !n.IsScalar() || n.n.Tag != "!!bool" {
		return false, n.Errorf("must be true or false")
	}
	return strings.EqualFold(n.n.Value, "true"), nil
}

// Int returns a decimal integer within [lo, hi].
func (n Node) Int(lo, hi int64) (int64, error) {
	s, err := n.String()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, n.Errorf("must be an integer between %d and %d, got %q", lo, hi, s)
	}
	return v, nil
}

// List calls fn for each item of a list, in order; anything but a list is
// an error.
func (n Node) List(fn func(i int, item Node) error) error {
	if !n.IsList() {
		return n.Errorf("must be a list")
	}
	for i, v := range n.n.Content {
		if err := fn(i, n.child(v, "["+strconv.Itoa(i)+"]")); err != nil {
			return err
		}
	}
	return nil
}

// Strings returns a list of single values.
func (n Node) Strings() ([]string, error) {
	var out []string
	err := n.List(func(_ int, item Node) error {
		s, err := item.String()
		out = append(out, s)
		return err
	})
	return out, err
}

// Mapping calls fn for each key of a mapping, in the file's order. A key
// not in known is an error that suggests the closest known key and lists
// them all. A null node is an empty mapping; anything else that is not a
// mapping is an error.
func (n Node) Mapping(known []string, fn func(key string, v Node) error) error {
	return n.Each(func(key, v Node) error {
		k := key.Value()
		if !slices.Contains(known, k) {
			sorted := slices.Sorted(slices.Values(known))
			return key.Errorf("unknown key%s (known: %s)", suggest.DidYouMean(k, sorted), strings.Join(sorted, ", "))
		}
		return fn(k, v)
	})
}

// Each calls fn for each key of a mapping whose keys are names the caller
// checks (workload names, params), with the key as a Node for messages. A
// null node is an empty mapping.
func (n Node) Each(fn func(key, v Node) error) error {
	if n.Null() {
		return nil
	}
	if !n.IsMapping() {
		if n.Path == "" {
			return fmt.Errorf("%s: the top level must be a mapping of keys to values", n.Where())
		}
		return n.Errorf("must be a mapping of keys to values")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.n.Content); i += 2 {
		kn := n.n.Content[i]
		key := n.child(kn, kn.Value)
		if seen[kn.Value] {
			return key.Errorf("given twice")
		}
		seen[kn.Value] = true
		if err := fn(key, n.child(n.n.Content[i+1], kn.Value)); err != nil {
			return err
		}
	}
	return nil
}

// Require reports the first of keys that a mapping lacks.
func (n Node) Require(keys ...string) error {
	for _, k := range keys {
		if !n.Has(k) {
			if n.Path == "" {
				return fmt.Errorf("%s: the top level: missing required key %q", n.Where(), k)
			}
			return n.Errorf("missing required key %q", k)
		}
	}
	return nil
}

// Has reports whether a mapping has the key.
func (n Node) Has(key string) bool {
	if !n.IsMapping() {
		return false
	}
	for i := 0; i+1 < len(n.n.Content); i += 2 {
		if n.n.Content[i].Value == key {
			return true
		}
	}
	return false
}
