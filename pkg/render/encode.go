package render

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	kustomizetypes "sigs.k8s.io/kustomize/api/types"
)

// WriteYAML writes the bundle as a YAML stream, one document per object.
func (b *Bundle) WriteYAML(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var e yamlEncoder
	for obj := range b.shared() {
		bw.WriteString("---\n")
		e.buf = e.buf[:0]
		e.mapping(obj, 0, false)
		if _, err := bw.Write(e.buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteJSON writes the bundle as one v1 List.
func (b *Bundle) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"List\",\n    \"items\": [")
	first := true
	for obj := range b.shared() {
		data, err := json.MarshalIndent(obj, "        ", "    ")
		if err != nil {
			return fmt.Errorf("encoding %s: %w", nameOf(obj), err)
		}
		if !first {
			bw.WriteString(",")
		}
		first = false
		bw.WriteString("\n        ")
		bw.Write(data)
	}
	bw.WriteString("\n    ]\n}\n")
	return bw.Flush()
}

// KustomizationFile is the name of the kustomization in a rendered directory.
const KustomizationFile = "kustomization.yaml"

// WriteFiles hands write the files of a kustomize directory: one YAML file
// per object, grouped in a folder per kind (the Namespace at the top), and
// a kustomization.yaml that lists them in apply order and keeps that order
// (sortOptions: fifo), so `kubectl kustomize DIR` yields the same objects
// in the same order as WriteYAML. Each object is built, written and
// dropped in turn; what grows with the run is only kustomization.yaml's
// list of files, kept as the YAML it is written as.
func (b *Bundle) WriteFiles(write func(name string, data []byte) error) error {
	k := kustomizetypes.Kustomization{
		TypeMeta: kustomizetypes.TypeMeta{
			APIVersion: kustomizetypes.KustomizationVersion,
			Kind:       kustomizetypes.KustomizationKind,
		},
		SortOptions: &kustomizetypes.SortOptions{Order: kustomizetypes.FIFOSortOrder},
	}
	m, err := jsonValue(k)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", KustomizationFile, err)
	}
	// The kustomization's fields sort around resources, which are
	// appended as each file is written, into one buffer sized once.
	before, after := map[string]any{}, map[string]any{}
	for key, v := range m {
		if key < resourcesKey {
			before[key] = v
		} else {
			after[key] = v
		}
	}
	kust := yamlEncoder{buf: make([]byte, 0, b.Len()*maxResourceLine)}
	kust.mapping(before, 0, false)
	kust.buf = append(kust.buf, resourcesKey+":\n"...)
	var e yamlEncoder
	for obj := range b.shared() {
		name := objectFile(obj, len(b.namespaces) > 1)
		e.buf = e.buf[:0]
		e.mapping(obj, 0, false)
		if err := write(name, e.buf); err != nil {
			return err
		}
		kust.sequence([]any{name}, 0, false)
	}
	kust.mapping(after, 0, false)
	return write(KustomizationFile, kust.buf)
}

// maxResourceLine bounds a VM's line in that list, "- <dir>/<name>.yaml".
const maxResourceLine = len("- virtualmachines/.yaml\n") + maxVMName

// resourcesKey is kustomization.yaml's list of files.
const resourcesKey = "resources"

// jsonValue turns v into the JSON-like form the encoder takes, through its
// JSON encoding (the field names and omissions kustomize reads).
func jsonValue(v any) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	err = json.Unmarshal(data, &m)
	return m, err
}

// preEncoded is a subtree that many objects share (every VM of a role has
// the same domain), with its YAML encoding made once for the indent where
// it always appears. It is immutable, so bundles can be encoded
// concurrently.
type preEncoded struct {
	v      any
	indent int
	yaml   []byte
}

func newPreEncoded(v any, indent int) *preEncoded {
	var e yamlEncoder
	switch v := v.(type) {
	case map[string]any:
		e.mapping(v, indent+2, false)
	case []any:
		e.sequence(v, indent, false)
	}
	return &preEncoded{v: v, indent: indent, yaml: e.buf}
}

// MarshalJSON encodes the subtree itself.
func (p *preEncoded) MarshalJSON() ([]byte, error) { return json.Marshal(p.v) }

// yamlEncoder writes JSON-like values (what runtime.DefaultUnstructuredConverter
// produces) as block YAML with sorted keys, the layout kubectl prints. It is
// written for speed on large runs; strings that could read as anything but
// a string are double-quoted.
type yamlEncoder struct {
	buf  []byte
	keys []string
}

func (e *yamlEncoder) indent(n int) {
	for range n {
		e.buf = append(e.buf, ' ')
	}
}

// mapping writes m's entries at indent n, sorted by key. With inline,
// the first entry continues the current line (after a list item's "- ").
func (e *yamlEncoder) mapping(m map[string]any, n int, inline bool) {
	start := len(e.keys)
	for k := range m {
		e.keys = append(e.keys, k)
	}
	keys := e.keys[start:]
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 || !inline {
			e.indent(n)
		}
		e.key(k, n)
		e.buf = append(e.buf, ':')
		e.entry(m[k], n)
	}
	e.keys = e.keys[:start]
}

// maxImplicitKey is the longest key YAML parsers take without "? ": the
// spec limits an implicit key to 1024 characters.
const maxImplicitKey = 1024

// key writes k, the key of a mapping at indent n, up to the ':'. A key
// too long to be implicit is written explicit, "? key" on its own line.
func (e *yamlEncoder) key(k string, n int) {
	start := len(e.buf)
	e.str(k)
	if len(e.buf)-start <= maxImplicitKey {
		return
	}
	encoded := append([]byte("? "), e.buf[start:]...)
	e.buf = append(append(e.buf[:start], encoded...), '\n')
	e.indent(n)
}

// entry writes v after "key:" of a mapping at indent n. Lists sit at the
// key's indent, as kubectl prints them.
func (e *yamlEncoder) entry(v any, n int) {
	if p, ok := v.(*preEncoded); ok {
		if p.indent == n {
			e.buf = append(e.buf, '\n')
			e.buf = append(e.buf, p.yaml...)
			return
		}
		v = p.v
	}
	switch v := v.(type) {
	case map[string]any:
		if len(v) > 0 {
			e.buf = append(e.buf, '\n')
			e.mapping(v, n+2, false)
			return
		}
	case []any:
		if len(v) > 0 {
			e.buf = append(e.buf, '\n')
			e.sequence(v, n, false)
			return
		}
	}
	e.buf = append(e.buf, ' ')
	e.scalarLine(v)
}

// sequence writes v's items at indent n; with inline, the first item
// continues the current line.
func (e *yamlEncoder) sequence(v []any, n int, inline bool) {
	for i, item := range v {
		if i > 0 || !inline {
			e.indent(n)
		}
		e.buf = append(e.buf, '-', ' ')
		switch item := item.(type) {
		case map[string]any:
			if len(item) > 0 {
				e.mapping(item, n+2, true)
				continue
			}
		case []any:
			if len(item) > 0 {
				e.sequence(item, n+2, true)
				continue
			}
		}
		e.scalarLine(item)
	}
}

// scalarLine writes a scalar (or an empty collection) and ends the line.
func (e *yamlEncoder) scalarLine(v any) {
	switch v := v.(type) {
	case map[string]any:
		e.buf = append(e.buf, '{', '}')
	case []any:
		e.buf = append(e.buf, '[', ']')
	default:
		e.scalar(v)
	}
	e.buf = append(e.buf, '\n')
}

func (e *yamlEncoder) scalar(v any) {
	switch v := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case string:
		e.str(v)
	case bool:
		e.buf = strconv.AppendBool(e.buf, v)
	case int64:
		e.buf = strconv.AppendInt(e.buf, v, 10)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case int32:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case float64:
		e.buf = strconv.AppendFloat(e.buf, v, 'g', -1, 64)
	default:
		// Only JSON-like values are ever rendered; anything else is a bug
		// worth seeing in the output rather than silently mangling.
		e.str(fmt.Sprintf("%v", v))
	}
}

// str writes s plain when YAML reads it back as the same string, else
// double-quoted with JSON escapes (which YAML's double-quoted style shares).
func (e *yamlEncoder) str(s string) {
	if plainSafe(s) {
		e.buf = append(e.buf, s...)
		return
	}
	e.buf = append(e.buf, '"')
	if plainASCII(s) {
		e.buf = append(e.buf, s...)
		e.buf = append(e.buf, '"')
		return
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			e.buf = append(e.buf, '\\', c)
		case c == '\n':
			e.buf = append(e.buf, '\\', 'n')
		case c == '\t':
			e.buf = append(e.buf, '\\', 't')
		case c < 0x20 || c >= 0x7f:
			// Escape every non-ASCII byte sequence as \uXXXX so no
			// unicode line separator or BOM reaches the output raw.
			r, size := decodeRune(s[i:])
			e.buf = appendUnicodeEscape(e.buf, r)
			i += size - 1
		default:
			e.buf = append(e.buf, c)
		}
	}
	e.buf = append(e.buf, '"')
}

// plainASCII reports whether s needs no escape inside double quotes.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// plainSafe reports whether s can be written without quotes and read back
// by YAML 1.1 and 1.2 parsers as the same string.
func plainSafe(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	c0 := s[0]
	if !(c0 >= 'a' && c0 <= 'z' || c0 >= 'A' && c0 <= 'Z' || c0 == '/' || c0 == '_') {
		// Digits, signs and dots start numbers; every other leading
		// character is a YAML indicator.
		return c0 >= '0' && c0 <= '9' && isQuantity(s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == '/', c == '@', c == '+', c == '=':
		case c == ':':
			// "a: b" starts a mapping; a trailing colon too.
			if i == len(s)-1 || s[i+1] == ' ' {
				return false
			}
		default:
			return false
		}
	}
	return !yamlKeyword(s)
}

// isQuantity matches a digit run with a Kubernetes binary or decimal
// suffix (10Gi, 512M), which no YAML version reads as a number.
func isQuantity(s string) bool {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	switch s[i:] {
	case "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E":
		return true
	}
	return false
}

// yamlKeyword reports words YAML 1.1 or 1.2 resolve to booleans or null,
// in any case.
func yamlKeyword(s string) bool {
	if len(s) > 5 {
		return false
	}
	for _, k := range [...]string{"y", "n", "yes", "no", "true", "false", "on", "off", "null"} {
		if strings.EqualFold(s, k) {
			return true
		}
	}
	return false
}
