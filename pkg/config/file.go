package config

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/pkg/yamlfile"
)

// rawVal is one setting's text as one source gave it, with the source's
// name for messages ("--vm-count", "VIRTWORK_VM_COUNT", "f.yaml:3: vm_count").
type rawVal struct {
	vals  []string
	src   string
	layer layer
	// workload is the config file's workloads.<name> section it is from.
	workload string
	// now is the resolver's clock, for a relative --start-at.
	now time.Time
}

// readEnv returns the rows' environment variables that are set. A list is
// split on the row's separator; one that holds no value is an error.
func readEnv(lookup func(string) (string, bool)) (map[row]rawVal, error) {
	out := map[row]rawVal{}
	if lookup == nil {
		return out, nil
	}
	for _, r := range rows {
		m := r.info()
		v, ok := lookup(m.env)
		if !ok {
			continue
		}
		rv := rawVal{vals: []string{v}, src: m.env, layer: fromEnv}
		if r.isList() {
			sep := m.envSep
			if sep == "" {
				sep = ","
			}
			rv.vals = nil
			for _, item := range strings.Split(v, sep) {
				if item = strings.TrimSpace(item); item != "" {
					rv.vals = append(rv.vals, item)
				}
			}
			if len(rv.vals) == 0 {
				return nil, invalidf("%s is set but empty; unset it or give at least one value", m.env)
			}
		}
		out[r] = rv
	}
	return out, nil
}

// fileLayer is what the config file says.
type fileLayer struct {
	// dir is the config file's directory; relative workload_dirs are
	// relative to it.
	dir       string
	top       map[row]rawVal
	workloads map[string]*fileWorkload
	// sections are the workloads.<name> keys in file order, so that an
	// unknown name is reported where it is.
	sections []yamlfile.Node
}

type fileWorkload struct {
	enabled    *bool
	enabledSrc string
	vals       map[row]rawVal
	params     []param
	// profile is workloads.<name>.profile, read by profiles.
	profile *yamlfile.Node
}

func newFileLayer() *fileLayer {
	return &fileLayer{top: map[row]rawVal{}, workloads: map[string]*fileWorkload{}}
}

// parseFile reads the config file strictly with yamlfile: unknown keys and
// wrong shapes are errors that name the file, line and key path. The keys
// are the rows' file keys; a dotted one ("ssh.user") lives in a section.
// Values are parsed with every other source's (see resolver.parse), and
// workload names are checked by checkWorkloads once custom workloads are
// loaded, as the file may name those of the directories it lists.
func parseFile(name string, data []byte) (*fileLayer, error) {
	root, err := yamlfile.Parse(name, data)
	if err != nil {
		return nil, invalid(err)
	}
	fl := newFileLayer()
	top, sections := map[string]row{}, map[string]map[string]row{}
	for _, r := range rows {
		sec, key, nested := strings.Cut(r.info().file, ".")
		switch {
		case r.info().file == "":
		case nested:
			if sections[sec] == nil {
				sections[sec] = map[string]row{}
			}
			sections[sec][key] = r
		default:
			top[r.info().file] = r
		}
	}
	known := append(slices.Collect(maps.Keys(top)), slices.Collect(maps.Keys(sections))...)
	err = root.Mapping(append(known, "workloads"), func(k string, v yamlfile.Node) error {
		if k == "workloads" {
			return fl.readWorkloads(v)
		}
		if sec, ok := sections[k]; ok {
			return v.Mapping(slices.Collect(maps.Keys(sec)), func(k string, v yamlfile.Node) error {
				return readValue(fl.top, sec[k], v, "")
			})
		}
		return readValue(fl.top, top[k], v, "")
	})
	if err != nil {
		return nil, invalid(err)
	}
	return fl, nil
}

// readWorkloads reads workloads.<name>: the per-workload rows' keys,
// enabled and params.
func (fl *fileLayer) readWorkloads(n yamlfile.Node) error {
	keys := map[string]row{}
	for _, r := range rows {
		if r.info().perWorkload {
			keys[r.info().file] = r
		}
	}
	known := append(slices.Collect(maps.Keys(keys)), "enabled", "params", "profile")
	return n.Each(func(key, section yamlfile.Node) error {
		name := key.Value()
		fw := &fileWorkload{vals: map[row]rawVal{}}
		fl.workloads[name] = fw
		fl.sections = append(fl.sections, key)
		return section.Mapping(known, func(k string, v yamlfile.Node) error {
			switch k {
			case "enabled":
				b, err := v.Bool()
				if err != nil {
					return invalidf("%s must be true or false", v.Where())
				}
				fw.enabled, fw.enabledSrc = &b, v.Where()
				return nil
			case "profile":
				return fw.readProfile(v)
			case "params":
				return v.Each(func(pk, pv yamlfile.Node) error {
					if !pv.IsScalar() {
						return invalidf("%s must be a single value", pv.Where())
					}
					fw.params = append(fw.params, param{workload: name, name: pk.Value(), value: pv.Value(), src: pk.Where()})
					return nil
				})
			}
			return readValue(fw.vals, keys[k], v, name)
		})
	})
}

// readValue records a row's value: a scalar, or a list of scalars for a
// list row. A null value sets nothing.
func readValue(into map[row]rawVal, r row, v yamlfile.Node, workload string) error {
	rv := rawVal{src: v.Where(), layer: fromFile, workload: workload}
	switch {
	case v.Null():
		return nil
	case r.isList() && v.IsList():
		err := v.List(func(_ int, item yamlfile.Node) error {
			if !item.IsScalar() {
				return invalidf("%s must be a list of strings", v.Where())
			}
			rv.vals = append(rv.vals, item.Value())
			return nil
		})
		if err != nil {
			return err
		}
	case r.isList():
		return invalidf("%s must be a list", v.Where())
	case v.IsList():
		return invalidf("%s must be a single value, not a list", v.Where())
	case v.IsMapping():
		return invalidf("%s must be a single value, not a mapping", v.Where())
	default:
		rv.vals = []string{v.Value()}
	}
	into[r] = rv
	return nil
}

// checkWorkloads reports the first workloads section that names no
// workload of reg.
func (fl *fileLayer) checkWorkloads(reg *workloads.Registry) error {
	for _, key := range fl.sections {
		if _, err := reg.Lookup(key.Value()); err != nil {
			return invalidf("%s: %v", key.Where(), err)
		}
	}
	return nil
}
