package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// Sources is everything Load reads. Commands fill it in Complete; tests
// fill it by hand.
type Sources struct {
	Flags *Flags
	// Namespace is -n/--namespace from the kubectl flags, "" when not given.
	Namespace string
	// LookupEnv reads the environment (os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// ReadFile reads the config file and the SSH key and password files
	// (os.ReadFile).
	ReadFile func(string) ([]byte, error)
	// NewRunID makes a run id when none is given (uuid.NewString).
	NewRunID func() string
	// OpenDir opens a custom workload directory (os.DirFS when nil).
	OpenDir func(string) fs.FS
	// Now is the clock that a relative --start-at (+10m) is resolved
	// against (time.Now when nil); render itself reads no clock.
	Now func() time.Time
}

// Load resolves and validates the configuration of one run.
func Load(reg *workloads.Registry, src Sources) (*Config, error) {
	r, err := newResolver(reg, src)
	if err != nil {
		return nil, err
	}
	if r.reg, err = r.withWorkloadDirs(); err != nil {
		return nil, err
	}
	if err := r.file.checkWorkloads(r.reg); err != nil {
		return nil, err
	}
	// Every value every source gives is parsed here, once, overridden or
	// not: a typo in a variable should not wait until the flag that hides
	// it is gone.
	if err := r.parse(rows...); err != nil {
		return nil, err
	}
	return r.resolve()
}

// LoadRunRef resolves what commands that act on an applied run need: the
// namespace, run id (none is made up) and timeout. Settings that only shape
// a new run are not read, so a stale VIRTWORK_SSH_PASSWORD or
// VIRTWORK_WORKLOADS in the environment cannot stop a wait or a cleanup.
func LoadRunRef(src Sources) (*Config, error) {
	return loadRef(src, namespaceRow, runIDRow, timeoutRow)
}

// LoadWaitRef is LoadRunRef for wait, which also judges the run's
// latencies against --threshold.
func LoadWaitRef(src Sources) (*Config, error) {
	return loadRef(src, namespaceRow, runIDRow, timeoutRow, thresholdRow)
}

func loadRef(src Sources, ref ...row) (*Config, error) {
	r, err := newResolver(workloads.Builtin(), src)
	if err != nil {
		return nil, err
	}
	if err := r.parse(ref...); err != nil {
		return nil, err
	}
	cfg := &Config{Registry: r.reg}
	for _, row := range ref {
		row.toConfig(r, cfg)
	}
	return cfg, nil
}

// LoadRegistry returns base extended by the custom workloads that the
// sources name (--workload-dir, VIRTWORK_WORKLOAD_DIR, the config file's
// workload_dirs), for commands that list workloads without making a run.
func LoadRegistry(base *workloads.Registry, src Sources) (*workloads.Registry, error) {
	r, err := newResolver(base, src)
	if err != nil {
		return nil, err
	}
	return r.withWorkloadDirs()
}

// resolver holds one Load's sources, raw and then parsed.
type resolver struct {
	reg  *workloads.Registry
	src  Sources
	env  map[row]rawVal
	file *fileLayer
	// now is Sources.Now's reading, the same for every value.
	now time.Time
	// parsed holds each parsed row's []given[T] (see values).
	parsed map[row]any
	// boot is the root disk's source, once resolveGuest has set it.
	boot BootSource
}

// newResolver reads the environment and the config file.
func newResolver(reg *workloads.Registry, src Sources) (*resolver, error) {
	r := &resolver{reg: reg, src: src, file: newFileLayer(), parsed: map[row]any{}, now: time.Now()}
	if src.Now != nil {
		r.now = src.Now()
	}
	var err error
	if r.env, err = readEnv(src.LookupEnv); err != nil {
		return nil, err
	}
	// The file's path comes from the flag or the variable.
	if err := r.parse(configRow); err != nil {
		return nil, err
	}
	path, ok := pick(r, configRow, "")
	if !ok {
		return r, nil
	}
	data, err := src.ReadFile(path.v)
	if err != nil {
		return nil, invalidf("%s: cannot read config file: %v", path.src, unwrapPathError(err))
	}
	if r.file, err = parseFile(path.v, data); err != nil {
		return nil, err
	}
	r.file.dir = filepath.Dir(path.v)
	return r, nil
}

// raws lists what each source gives for s, highest precedence first: -n,
// the flag, the variable, the config file's workloads.<name> sections (in
// registry order), its top level.
func (r *resolver) raws(s row) []rawVal {
	var out []rawVal
	if s.info().kubectl && r.src.Namespace != "" {
		out = append(out, rawVal{vals: []string{r.src.Namespace}, src: "--" + s.info().flag, layer: fromFlag})
	}
	if v, ok := r.src.Flags.get(s); ok {
		out = append(out, v)
	}
	if v, ok := r.env[s]; ok {
		out = append(out, v)
	}
	if s.info().perWorkload {
		for _, name := range r.reg.Names() {
			if fw, ok := r.file.workloads[name]; ok {
				if v, ok := fw.vals[s]; ok {
					out = append(out, v)
				}
			}
		}
	}
	if v, ok := r.file.top[s]; ok {
		out = append(out, v)
	}
	for i := range out {
		out[i].now = r.now
	}
	return out
}

// parse parses every value of each row that is not parsed yet.
func (r *resolver) parse(rs ...row) error {
	for _, s := range rs {
		if _, done := r.parsed[s]; done {
			continue
		}
		v, err := s.parseAll(r.raws(s))
		if err != nil {
			return err
		}
		r.parsed[s] = v
	}
	return nil
}

// resolve builds the Config from the parsed rows: each row puts its
// winning value where it goes, then the named steps resolve the rest.
func (r *resolver) resolve() (*Config, error) {
	cfg := &Config{Registry: r.reg}
	for _, s := range rows {
		s.toConfig(r, cfg)
	}
	if cfg.RunID == "" {
		cfg.RunID = r.src.NewRunID()
	}
	var err error
	if err = r.resolveGuest(cfg); err != nil {
		return nil, err
	}
	names, err := r.selection(cfg.Guest)
	if err != nil {
		return nil, err
	}
	params, err := r.params()
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		w, err := r.workload(name, params[name])
		if err != nil {
			return nil, err
		}
		if err := r.checkGuest(name, cfg.Guest); err != nil {
			return nil, err
		}
		cfg.Workloads = append(cfg.Workloads, w)
	}
	if err := r.profiles(cfg.Workloads, params); err != nil {
		return nil, err
	}
	if err := r.tenants(cfg); err != nil {
		return nil, err
	}
	if err := r.ssh(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// WorkloadDir is a custom workload directory and where it was given.
type WorkloadDir struct {
	Path string
	// Src names the flag, variable or config key that gave it.
	Src string
}

// withWorkloadDirs returns the registry extended by the custom workload
// directories of the highest source that gives any; the config file's are
// relative to the file.
func (r *resolver) withWorkloadDirs() (*workloads.Registry, error) {
	if err := r.parse(workloadDirsRow); err != nil {
		return nil, err
	}
	g, ok := pick(r, workloadDirsRow, "")
	if !ok {
		return r.reg, nil
	}
	dirs := make([]WorkloadDir, 0, len(g.v))
	for _, v := range g.v {
		if g.layer == fromFile && !filepath.IsAbs(v) {
			v = filepath.Join(r.file.dir, v)
		}
		dirs = append(dirs, WorkloadDir{Path: v, Src: g.src})
	}
	return LoadWorkloadDirs(r.reg, dirs, r.src.OpenDir)
}

// LoadWorkloadDirs returns base extended by the custom workloads of dirs.
// Any invalid workload, or a name already taken, is an ErrInvalid naming
// the file, line and field.
func LoadWorkloadDirs(base *workloads.Registry, dirs []WorkloadDir, open func(string) fs.FS) (*workloads.Registry, error) {
	if len(dirs) == 0 {
		return base, nil
	}
	if open == nil {
		open = os.DirFS
	}
	var entries []workloads.Entry
	for _, d := range dirs {
		if d.Path == "" {
			return nil, invalidf("%s: empty directory name; give the path of a directory of custom workloads", d.Src)
		}
		es, err := workloads.LoadDir(open(d.Path), d.Path)
		if err != nil {
			return nil, invalidf("%s: %v", d.Src, err)
		}
		entries = append(entries, es...)
	}
	reg, err := base.AddCustom(entries)
	if err != nil {
		return nil, invalidf("%v", err)
	}
	return reg, nil
}

// unwrapPathError drops the *fs.PathError's operation and path, which the
// message already names.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
