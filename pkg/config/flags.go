package config

import (
	"strings"

	"github.com/spf13/pflag"
)

// Flags holds the run settings as typed on the command line. Values are
// kept as text and parsed by Load, once, with every other source's, so that
// a bad flag gets the same message as a bad environment variable or config
// key.
type Flags struct {
	vals map[row]*flagValue
}

// NewFlags returns an empty set of run flags.
func NewFlags() *Flags { return &Flags{vals: map[row]*flagValue{}} }

// AddFlags registers the flags that every command that renders a run takes
// (render, plan, monitoring, apply). -n/--namespace comes from the kubectl ConfigFlags and is
// passed to Load separately.
func (f *Flags) AddFlags(fs *pflag.FlagSet) { f.addGroup(fs, runFlags) }

// AddRunIDFlag registers --run-id alone, for commands that act on a run
// applied earlier.
func (f *Flags) AddRunIDFlag(fs *pflag.FlagSet) { f.addGroup(fs, runRefFlags) }

// AddRegistryFlags registers --workload-dir and --config alone, for
// commands that list workloads (see LoadRegistry).
func (f *Flags) AddRegistryFlags(fs *pflag.FlagSet) { f.addGroup(fs, registryFlags) }

// AddTimeoutFlag registers --timeout, for commands that wait.
func (f *Flags) AddTimeoutFlag(fs *pflag.FlagSet) { f.addGroup(fs, waitFlags) }

// AddThresholdFlag registers --threshold, for commands that wait for a
// run and judge its latencies (apply, wait).
func (f *Flags) AddThresholdFlag(fs *pflag.FlagSet) { f.addGroup(fs, thresholdFlags) }

func (f *Flags) addGroup(fs *pflag.FlagSet, g flagGroup) {
	for _, r := range rows {
		m := r.info()
		if m.groups&g == 0 {
			continue
		}
		v := &flagValue{typ: m.typ, list: r.isList(), split: m.typ == "strings"}
		f.vals[r] = v
		fs.Var(v, m.flag, m.helpUsage())
		fs.Lookup(m.flag).DefValue = r.defaultText()
		if m.typ == "bool" {
			// --preinstalled alone means true, as pflag's own bool flags.
			fs.Lookup(m.flag).NoOptDefVal = "true"
		}
		if m.alias != "" {
			alias := *fs.Lookup(m.flag)
			alias.Name = m.alias
			alias.Usage = "alias of --" + m.flag
			alias.Hidden = true
			fs.AddFlag(&alias)
		}
	}
}

// get returns what the command line gave for r, if anything.
func (f *Flags) get(r row) (rawVal, bool) {
	if f == nil {
		return rawVal{}, false
	}
	v, ok := f.vals[r]
	if !ok || !v.set {
		return rawVal{}, false
	}
	return rawVal{vals: v.vals, src: "--" + r.info().flag, layer: fromFlag}, true
}

// flagValue is a pflag.Value that keeps the raw text.
type flagValue struct {
	typ   string
	list  bool
	split bool // split each occurrence on commas
	set   bool
	vals  []string
}

func (v *flagValue) Set(s string) error {
	if !v.list {
		v.vals = []string{s}
		v.set = true
		return nil
	}
	if !v.set {
		v.vals = nil
	}
	v.set = true
	if v.split {
		v.vals = append(v.vals, strings.Split(s, ",")...)
	} else {
		v.vals = append(v.vals, s)
	}
	return nil
}

func (v *flagValue) String() string {
	if v.list {
		return "[" + strings.Join(v.vals, ",") + "]"
	}
	if len(v.vals) == 0 {
		return ""
	}
	return v.vals[0]
}

func (v *flagValue) Type() string { return v.typ }
