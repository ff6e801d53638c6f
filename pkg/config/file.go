package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/virtwork/kubectl-virtwork/pkg/suggest"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// rawVal is one setting's text as a source gave it, with the source's name
// for messages ("--vm-count", "VIRTWORK_VM_COUNT", "f.yaml:3: vm_count").
type rawVal struct {
	vals []string
	src  string
}

// rawParam is one WORKLOAD.PARAM=VALUE from any source.
type rawParam struct {
	workload, name, value, src string
}

// fileLayer is what the config file says.
type fileLayer struct {
	// dir is the config file's directory; relative workload_dirs are
	// relative to it.
	dir       string
	top       map[key]rawVal
	workloads map[string]*fileWorkload
	// order lists the workloads sections as the file gives them, so that
	// unknown names are reported in file order.
	order []string
}

type fileWorkload struct {
	// src names the section ("f.yaml:7: workloads.cpu"); whether the name
	// is a workload is checked once custom workloads are loaded.
	src        string
	enabled    *bool
	enabledSrc string
	vals       map[key]rawVal
	params     []rawParam
}

// parseFile reads the config file strictly: unknown keys and wrong shapes
// are errors that name the file, line and key path. Workload names are
// checked by checkWorkloads, as the file may name custom workloads from
// the directories it lists.
func parseFile(name string, data []byte) (*fileLayer, error) {
	fl := &fileLayer{top: map[key]rawVal{}, workloads: map[string]*fileWorkload{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return fl, nil // an empty file sets nothing
		}
		return nil, invalidf("%s: not valid YAML: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, invalidf("%s: must hold one YAML document, found more", name)
	}
	if len(doc.Content) == 0 {
		return fl, nil
	}
	p := fileParser{name: name}
	root := deref(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return fl, nil
	}
	topKeys := map[string]key{}
	for _, s := range Settings() {
		if s.File != "" && !strings.HasPrefix(s.File, "ssh.") {
			topKeys[s.File] = s.key
		}
	}
	sshKeys := map[string]key{}
	for _, s := range Settings() {
		if rest, ok := strings.CutPrefix(s.File, "ssh."); ok {
			sshKeys[rest] = s.key
		}
	}
	err := p.mapping(root, "", append(slices.Collect(maps.Keys(topKeys)), "ssh", "workloads"), func(k string, v *yaml.Node, path string) error {
		switch k {
		case "ssh":
			return p.mapping(v, path, slices.Collect(maps.Keys(sshKeys)), func(k string, v *yaml.Node, path string) error {
				return p.value(fl.top, sshKeys[k], v, path)
			})
		case "workloads":
			return p.workloads(fl, v, path)
		}
		return p.value(fl.top, topKeys[k], v, path)
	})
	if err != nil {
		return nil, err
	}
	return fl, nil
}

type fileParser struct {
	name string
}

func (p fileParser) src(n *yaml.Node, path string) string {
	return fmt.Sprintf("%s:%d: %s", p.name, n.Line, path)
}

// mapping walks a mapping node, calling fn for each key in known and
// failing on any other key.
func (p fileParser) mapping(n *yaml.Node, path string, known []string, fn func(k string, v *yaml.Node, path string) error) error {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		where := path
		if where == "" {
			return invalidf("%s:%d: the top level must be a mapping of keys to values", p.name, n.Line)
		}
		return invalidf("%s must be a mapping of keys to values", p.src(n, where))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		k := kn.Value
		sub := k
		if path != "" {
			sub = path + "." + k
		}
		if !slices.Contains(known, k) {
			sorted := slices.Sorted(slices.Values(known))
			return invalidf("%s: unknown key%s (known: %s)", p.src(kn, sub), suggest.DidYouMean(k, sorted), strings.Join(sorted, ", "))
		}
		if err := fn(k, vn, sub); err != nil {
			return err
		}
	}
	return nil
}

// value records a scalar or list setting.
func (p fileParser) value(into map[key]rawVal, k key, n *yaml.Node, path string) error {
	n = deref(n)
	s := settingFor(k)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		if s.List {
			return invalidf("%s must be a list", p.src(n, path))
		}
		into[k] = rawVal{vals: []string{n.Value}, src: p.src(n, path)}
	case yaml.SequenceNode:
		if !s.List {
			return invalidf("%s must be a single value, not a list", p.src(n, path))
		}
		rv := rawVal{src: p.src(n, path)}
		for _, item := range n.Content {
			item = deref(item)
			if item.Kind != yaml.ScalarNode {
				return invalidf("%s must be a list of strings", p.src(item, path))
			}
			rv.vals = append(rv.vals, item.Value)
		}
		into[k] = rv
	default:
		return invalidf("%s must be a single value, not a mapping", p.src(n, path))
	}
	return nil
}

func (p fileParser) workloads(fl *fileLayer, n *yaml.Node, path string) error {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return invalidf("%s must be a mapping from workload name to its settings", p.src(n, path))
	}
	perKey := map[string]key{}
	for _, s := range Settings() {
		if s.PerWorkload {
			perKey[s.File] = s.key
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		name := kn.Value
		if _, dup := fl.workloads[name]; dup {
			return invalidf("%s: given twice", p.src(kn, path+"."+name))
		}
		fw := &fileWorkload{src: p.src(kn, path+"."+name), vals: map[key]rawVal{}}
		fl.workloads[name] = fw
		fl.order = append(fl.order, name)
		err := p.mapping(vn, path+"."+name, []string{"enabled", "vm_count", "cpu_cores", "memory", "disk_size", "storage_class", "params"}, func(k string, v *yaml.Node, sub string) error {
			switch k {
			case "enabled":
				v = deref(v)
				if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
					return invalidf("%s must be true or false", p.src(v, sub))
				}
				b := v.Value == "true" || v.Value == "True" || v.Value == "TRUE"
				fw.enabled, fw.enabledSrc = &b, p.src(v, sub)
				return nil
			case "params":
				return p.params(fw, name, v, sub)
			}
			return p.value(fw.vals, perKey[k], v, sub)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// params records workloads.<name>.params; unknown params are reported
// later with the workload's schema, like params from other sources.
func (p fileParser) params(fw *fileWorkload, workload string, pn *yaml.Node, path string) error {
	pn = deref(pn)
	if pn.Kind == yaml.ScalarNode && pn.Tag == "!!null" {
		return nil
	}
	if pn.Kind != yaml.MappingNode {
		return invalidf("%s must be a mapping from param name to value", p.src(pn, path))
	}
	for j := 0; j+1 < len(pn.Content); j += 2 {
		kn, vn := pn.Content[j], deref(pn.Content[j+1])
		if vn.Kind != yaml.ScalarNode {
			return invalidf("%s must be a single value", p.src(vn, path+"."+kn.Value))
		}
		fw.params = append(fw.params, rawParam{workload: workload, name: kn.Value, value: vn.Value, src: p.src(kn, path+"."+kn.Value)})
	}
	return nil
}

// checkWorkloads reports the first workloads section that names no
// workload of reg.
func (fl *fileLayer) checkWorkloads(reg *workloads.Registry) error {
	for _, name := range fl.order {
		if _, err := reg.Lookup(name); err != nil {
			return invalidf("%s: %v", fl.workloads[name].src, err)
		}
	}
	return nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}
