package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// row is one setting of the table in settings.go, whatever its value type:
// what the flags, the environment and file readers, the resolver and the
// documentation need from it.
type row interface {
	info() *meta
	// isList reports whether the setting takes several values.
	isList() bool
	// parseAll parses every value the sources gave, in precedence order,
	// into a []given[T].
	parseAll(raws []rawVal) (any, error)
	// toConfig and toWorkload put the winning value (or the default) where
	// it goes; they do nothing for a setting a named step resolves.
	toConfig(r *resolver, c *Config)
	toWorkload(r *resolver, w *Workload)
	// workloadText is the value toWorkload placed in w, as text; "" for a
	// row that places none there.
	workloadText(w *Workload) string
	// placed reports whether toConfig or toWorkload does anything.
	placed() bool
	// defaultText is the typed default as --help and the README print it,
	// "" when there is none.
	defaultText() string
}

// meta is what documents a setting and where each source spells it.
type meta struct {
	// flag is the command-line flag without "--" ("" for none); short is
	// its shorthand, documented only (kubectl's -n).
	flag, short string
	// alias is a hidden second name of the flag.
	alias string
	// kubectl marks a flag that the kubectl ConfigFlags register (-n);
	// its value reaches Load as Sources.Namespace.
	kubectl bool
	// typ names the flag's value type in --help.
	typ string
	// groups lists the Flags.Add* methods that register the flag.
	groups flagGroup
	env    string
	// envSep separates a list's values in the variable (default ",").
	envSep string
	// file is the config file key, dotted below a section ("ssh.user");
	// fileDoc is how the docs spell a key a named step reads instead.
	file, fileDoc string
	// perWorkload: workloads.<name>.<file> overrides the top-level key.
	perWorkload bool
	doc         string
	// defDoc says what the default is when it is computed at run time
	// rather than a constant.
	defDoc string
	// step names the resolver step that places the value, for a row
	// without config and workload funcs (or one a step adjusts).
	step string
}

func (m *meta) info() *meta { return m }

// flagGroup says which commands register a flag.
type flagGroup uint8

const (
	runFlags       flagGroup = 1 << iota // render, plan, monitoring, apply: Flags.AddFlags
	runRefFlags                          // status, wait, cleanup: Flags.AddRunIDFlag
	registryFlags                        // workloads: Flags.AddRegistryFlags
	waitFlags                            // apply, wait, cleanup: Flags.AddTimeoutFlag
	thresholdFlags                       // apply, wait: Flags.AddThresholdFlag
)

// setting is a row whose value has type T.
type setting[T any] struct {
	meta
	def T
	// parse checks one source's value and returns it typed; its errors
	// name rawVal.src.
	parse func(rawVal) (T, error)
	// config puts the value where it goes and workload returns the field
	// of a Workload it goes to (so it can be read back for the history);
	// nil when a named step of the resolver places it (see the row's
	// comment).
	config   func(*Config, T)
	workload func(*Workload) *T
}

// given is one parsed value and the source it came from.
type given[T any] struct {
	v   T
	src string
	// layer tells which source gave it; workload names the config file's
	// workloads.<name> section it came from ("" for any other place).
	layer    layer
	workload string
}

// layer is a source of values, highest precedence first.
type layer int

const (
	fromFlag layer = iota
	fromEnv
	fromFile
)

func (s *setting[T]) isList() bool { return reflect.TypeFor[T]().Kind() == reflect.Slice }

func (s *setting[T]) parseAll(raws []rawVal) (any, error) {
	out := make([]given[T], 0, len(raws))
	for _, rv := range raws {
		v, err := s.parse(rv)
		if err != nil {
			return nil, err
		}
		out = append(out, given[T]{v: v, src: rv.src, layer: rv.layer, workload: rv.workload})
	}
	return out, nil
}

func (s *setting[T]) placed() bool { return s.config != nil || s.workload != nil }

func (s *setting[T]) toConfig(r *resolver, c *Config) {
	if s.config == nil {
		return
	}
	v := s.def
	if g, ok := pick(r, s, ""); ok {
		v = g.v
	}
	s.config(c, v)
}

func (s *setting[T]) toWorkload(r *resolver, w *Workload) {
	if s.workload == nil {
		return
	}
	v := s.def
	if g, ok := pick(r, s, w.Name); ok {
		v = g.v
	}
	*s.workload(w) = v
}

func (s *setting[T]) workloadText(w *Workload) string {
	if s.workload == nil {
		return ""
	}
	return s.text(*s.workload(w))
}

func (s *setting[T]) defaultText() string { return s.text(s.def) }

// text is a value as the docs and the history print it; "" for a list.
func (s *setting[T]) text(val T) string {
	switch v := any(val).(type) {
	case resource.Quantity:
		if v.IsZero() {
			return "" // none: a containerDisk's root disk size
		}
		return v.String()
	case time.Duration:
		if v == 0 {
			return "" // none: a --duration not given
		}
		return v.String()
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.UTC().Format(time.RFC3339)
	case bool:
		if !v {
			return "" // the default, left out of the history
		}
		return "true"
	case int:
		if v == 0 {
			return "" // none: the vCPUs of an instance type
		}
		return fmt.Sprint(v)
	case string:
		return v
	case fmt.Stringer:
		return v.String()
	}
	if s.isList() {
		return "" // an empty list, as pflag shows its own list flags
	}
	return fmt.Sprint(val)
}

// values returns every parsed value of s, highest precedence first.
func values[T any](r *resolver, s *setting[T]) []given[T] {
	v, _ := r.parsed[s].([]given[T])
	return v
}

// pick returns the winning value of s for workload wl ("" for a setting of
// the whole run): the first that is not from another workload's section.
// A section's value comes before the file's top level (see parse).
func pick[T any](r *resolver, s *setting[T], wl string) (given[T], bool) {
	for _, g := range values(r, s) {
		if g.workload == "" || g.workload == wl {
			return g, true
		}
	}
	return given[T]{}, false
}

// one makes a parser of a single value.
func one[T any](p func(v, src string) (T, error)) func(rawVal) (T, error) {
	return func(rv rawVal) (T, error) { return p(rv.vals[0], rv.src) }
}

// each makes a list parser that parses each item and joins the results.
func each[E any](p func(v, src string) ([]E, error)) func(rawVal) ([]E, error) {
	return func(rv rawVal) ([]E, error) {
		var out []E
		for _, v := range rv.vals {
			items, err := p(v, rv.src)
			if err != nil {
				return nil, err
			}
			out = append(out, items...)
		}
		return out, nil
	}
}

// asIs is the parser of a list of free-form strings (paths), checked where
// they are used.
func asIs(rv rawVal) ([]string, error) { return rv.vals, nil }

// text is the parser of a free-form string.
func text(v, _ string) (string, error) { return v, nil }

// helpUsage is the row's --help text: its doc, the computed default, and
// no backquotes (pflag would take the first quoted word for the type).
func (m *meta) helpUsage() string {
	u := m.doc
	if m.defDoc != "" {
		u += " (default: " + m.defDoc + ")"
	}
	return strings.ReplaceAll(u, "`", "")
}
