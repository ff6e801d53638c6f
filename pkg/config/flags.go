package config

import (
	"strings"

	"github.com/spf13/pflag"
)

// Flags holds the run settings as typed on the command line. Values are
// kept as text and parsed by Load, so that a bad flag gets the same
// message as a bad environment variable or config key.
type Flags struct {
	vals map[key]*flagValue
}

// NewFlags returns an empty set of run flags.
func NewFlags() *Flags { return &Flags{vals: map[key]*flagValue{}} }

// AddFlags registers the flags that every command that renders a run takes
// (render, apply). -n/--namespace comes from the kubectl ConfigFlags and is
// passed to Load separately.
func (f *Flags) AddFlags(fs *pflag.FlagSet) {
	f.add(fs, kWorkloads, "strings", "")
	f.add(fs, kVMCount, "int", "1")
	f.add(fs, kCPUCores, "int", "2")
	f.add(fs, kMemory, "quantity", DefaultMemory)
	f.add(fs, kDiskSize, "quantity", DefaultDiskSize)
	f.add(fs, kStorageClass, "string", "")
	f.add(fs, kImage, "string", DefaultImage)
	f.add(fs, kGuest, "string", "")
	f.add(fs, kParams, "strings", "")
	f.add(fs, kWorkloadDir, "stringArray", "")
	f.add(fs, kSSHUser, "string", "")
	f.add(fs, kSSHKey, "stringArray", "")
	f.add(fs, kSSHKeyFile, "strings", "")
	f.add(fs, kSSHPasswordFile, "string", "")
	f.add(fs, kRunID, "uuid", "")
	f.add(fs, kConfig, "file", "")
	// The original virtwork spelled the image flag --container-disk-image.
	alias := *fs.Lookup(settingFor(kImage).Flag)
	alias.Name = "container-disk-image"
	alias.Usage = "alias of --image"
	alias.Hidden = true
	fs.AddFlag(&alias)
}

// AddRunIDFlag registers --run-id alone, for commands that act on a run
// applied earlier.
func (f *Flags) AddRunIDFlag(fs *pflag.FlagSet) {
	f.add(fs, kRunID, "uuid", "")
}

// AddRegistryFlags registers --workload-dir and --config alone, for
// commands that list workloads (see LoadRegistry).
func (f *Flags) AddRegistryFlags(fs *pflag.FlagSet) {
	f.add(fs, kWorkloadDir, "stringArray", "")
	f.add(fs, kConfig, "file", "")
}

// AddTimeoutFlag registers --timeout, for commands that wait.
func (f *Flags) AddTimeoutFlag(fs *pflag.FlagSet) {
	f.add(fs, kTimeout, "duration", DefaultTimeout.String())
}

func (f *Flags) add(fs *pflag.FlagSet, k key, typ, def string) {
	s := settingFor(k)
	v := &flagValue{typ: typ, list: s.List, split: typ == "strings"}
	f.vals[k] = v
	fs.Var(v, s.Flag, s.Doc)
	fs.Lookup(s.Flag).DefValue = def
	if s.List {
		fs.Lookup(s.Flag).DefValue = "[]"
	}
}

// get returns the values given for k and whether the flag was given.
func (f *Flags) get(k key) ([]string, bool) {
	if f == nil {
		return nil, false
	}
	v, ok := f.vals[k]
	if !ok || !v.set {
		return nil, false
	}
	return v.vals, true
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
