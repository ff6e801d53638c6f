package config

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/ssh"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/virtwork/kubectl-virtwork/pkg/sha512crypt"
	"github.com/virtwork/kubectl-virtwork/pkg/suggest"
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
}

// Load resolves and validates the configuration of one run.
func Load(reg *workloads.Registry, src Sources) (*Config, error) {
	r := &resolver{reg: reg, src: src}
	if err := r.readEnv(); err != nil {
		return nil, err
	}
	if err := r.readFile(); err != nil {
		return nil, err
	}
	reg, err := LoadWorkloadDirs(reg, r.workloadDirs(), src.OpenDir)
	if err != nil {
		return nil, err
	}
	r.reg = reg
	if err := r.file.checkWorkloads(reg); err != nil {
		return nil, err
	}
	cfg, err := r.resolve()
	if err != nil {
		return nil, err
	}
	cfg.Registry = reg
	return cfg, nil
}

// LoadRunRef resolves what commands that act on an applied run need: the
// namespace, run id (none is made up) and timeout. Settings that only shape
// a new run are not read, so a stale VIRTWORK_SSH_PASSWORD or
// VIRTWORK_WORKLOADS in the environment cannot stop a wait or a cleanup.
func LoadRunRef(src Sources) (*Config, error) {
	r := &resolver{reg: workloads.Builtin(), src: src}
	if err := r.readEnv(); err != nil {
		return nil, err
	}
	if err := r.readFile(); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		k     key
		parse func(v, src string) error
	}{
		{kNamespace, func(v, src string) error { return checkNamespace(v, src) }},
		{kRunID, func(v, src string) error { _, err := parseRunID(v, src); return err }},
		{kTimeout, func(v, src string) error { _, err := parseTimeout(v, src); return err }},
	} {
		if err := r.every(c.k, c.parse); err != nil {
			return nil, err
		}
	}
	cfg := &Config{Namespace: DefaultNamespace, Timeout: DefaultTimeout, Registry: r.reg}
	if v, _, ok := r.first(kNamespace, ""); ok {
		cfg.Namespace = v
	}
	if v, src, ok := r.first(kTimeout, ""); ok {
		cfg.Timeout, _ = parseTimeout(v, src)
	}
	if v, src, ok := r.first(kRunID, ""); ok {
		cfg.RunID, _ = parseRunID(v, src)
	}
	return cfg, nil
}

// LoadRegistry returns base extended by the custom workloads that the
// sources name (--workload-dir, VIRTWORK_WORKLOAD_DIR, the config file's
// workload_dirs), for commands that list workloads without making a run.
func LoadRegistry(base *workloads.Registry, src Sources) (*workloads.Registry, error) {
	r := &resolver{reg: base, src: src}
	if err := r.readEnv(); err != nil {
		return nil, err
	}
	if err := r.readFile(); err != nil {
		return nil, err
	}
	return LoadWorkloadDirs(base, r.workloadDirs(), src.OpenDir)
}

// WorkloadDir is a custom workload directory and where it was given.
type WorkloadDir struct {
	Path string
	// Src names the flag, variable or config key that gave it.
	Src string
}

// workloadDirs lists the custom workload directories of the highest source
// that gives any; the config file's are relative to the file.
func (r *resolver) workloadDirs() []WorkloadDir {
	vals, src, ok := r.firstList(kWorkloadDir, "")
	if !ok {
		return nil
	}
	fromFile := r.file.dir != "" && r.file.top[kWorkloadDir].src == src
	out := make([]WorkloadDir, 0, len(vals))
	for _, v := range vals {
		if fromFile && !filepath.IsAbs(v) {
			v = filepath.Join(r.file.dir, v)
		}
		out = append(out, WorkloadDir{Path: v, Src: src})
	}
	return out
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

type resolver struct {
	reg  *workloads.Registry
	src  Sources
	env  map[key]rawVal
	file *fileLayer
}

func (r *resolver) readEnv() error {
	r.env = map[key]rawVal{}
	if r.src.LookupEnv == nil {
		return nil
	}
	for _, s := range Settings() {
		v, ok := r.src.LookupEnv(s.Env)
		if !ok {
			continue
		}
		rv := rawVal{vals: []string{v}, src: s.Env}
		if s.List {
			sep := ","
			if s.key == kSSHKey {
				sep = "\n"
			}
			rv.vals = nil
			for _, item := range strings.Split(v, sep) {
				if item = strings.TrimSpace(item); item != "" {
					rv.vals = append(rv.vals, item)
				}
			}
			if len(rv.vals) == 0 {
				return invalidf("%s is set but empty; unset it or give at least one value", s.Env)
			}
		}
		r.env[s.key] = rv
	}
	return nil
}

func (r *resolver) readFile() error {
	r.file = &fileLayer{top: map[key]rawVal{}, workloads: map[string]*fileWorkload{}}
	path, src, ok := r.first(kConfig, "")
	if !ok {
		return nil
	}
	if path == "" {
		return invalidf("%s is empty; give the path of a YAML config file", src)
	}
	data, err := r.src.ReadFile(path)
	if err != nil {
		return invalidf("%s: cannot read config file: %v", src, unwrapPathError(err))
	}
	fl, err := parseFile(path, data)
	if err != nil {
		return err
	}
	fl.dir = filepath.Dir(path)
	r.file = fl
	return nil
}

// first returns the highest-precedence value of a single-valued setting,
// looking at flags, env, the file's workloads.<wl> section, then its top level.
func (r *resolver) first(k key, wl string) (string, string, bool) {
	vals, src, ok := r.firstList(k, wl)
	if !ok {
		return "", "", false
	}
	return vals[0], src, true
}

func (r *resolver) firstList(k key, wl string) ([]string, string, bool) {
	s := settingFor(k)
	if k == kNamespace && r.src.Namespace != "" {
		return []string{r.src.Namespace}, "--namespace", true
	}
	if v, ok := r.src.Flags.get(k); ok {
		return v, "--" + s.Flag, true
	}
	if v, ok := r.env[k]; ok {
		return v.vals, v.src, true
	}
	if fw, ok := r.file.workloads[wl]; ok && wl != "" {
		if v, ok := fw.vals[k]; ok {
			return v.vals, v.src, true
		}
	}
	if v, ok := r.file.top[k]; ok {
		return v.vals, v.src, true
	}
	return nil, "", false
}

// every calls fn for every value any source gives for k (all are
// validated, even those a higher source overrides).
func (r *resolver) every(k key, fn func(val, src string) error) error {
	s := settingFor(k)
	var all []rawVal
	if k == kNamespace && r.src.Namespace != "" {
		all = append(all, rawVal{vals: []string{r.src.Namespace}, src: "--namespace"})
	}
	if v, ok := r.src.Flags.get(k); ok {
		all = append(all, rawVal{vals: v, src: "--" + s.Flag})
	}
	if v, ok := r.env[k]; ok {
		all = append(all, v)
	}
	if v, ok := r.file.top[k]; ok {
		all = append(all, v)
	}
	for _, name := range r.reg.Names() {
		if fw, ok := r.file.workloads[name]; ok {
			if v, ok := fw.vals[k]; ok {
				all = append(all, v)
			}
		}
	}
	for _, rv := range all {
		for _, v := range rv.vals {
			if err := fn(v, rv.src); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *resolver) resolve() (*Config, error) {
	// Validate every value every source gives, overridden or not: a typo
	// in a variable should not wait until the flag that hides it is gone.
	checks := []struct {
		k     key
		parse func(v, src string) error
	}{
		{kVMCount, func(v, src string) error { _, err := parseInt(v, src, MinVMCount, MaxVMCount); return err }},
		{kCPUCores, func(v, src string) error { _, err := parseInt(v, src, MinCPUCores, MaxCPUCores); return err }},
		{kMemory, func(v, src string) error { _, err := parseQuantity(v, src, MinMemory, MaxMemory); return err }},
		{kDiskSize, func(v, src string) error { _, err := parseQuantity(v, src, MinDiskSize, MaxDiskSize); return err }},
		{kStorageClass, func(v, src string) error { return checkStorageClass(v, src) }},
		{kImage, func(v, src string) error { return checkImage(v, src) }},
		{kGuest, func(v, src string) error { _, err := parseGuest(v, src); return err }},
		{kNamespace, func(v, src string) error { return checkNamespace(v, src) }},
		{kSSHUser, func(v, src string) error { return checkUser(v, src) }},
		{kRunID, func(v, src string) error { _, err := parseRunID(v, src); return err }},
		{kTimeout, func(v, src string) error { _, err := parseTimeout(v, src); return err }},
	}
	for _, c := range checks {
		if err := r.every(c.k, c.parse); err != nil {
			return nil, err
		}
	}

	cfg := &Config{Namespace: DefaultNamespace, Image: DefaultImage, Timeout: DefaultTimeout}
	if v, _, ok := r.first(kNamespace, ""); ok {
		cfg.Namespace = v
	}
	if v, _, ok := r.first(kImage, ""); ok {
		cfg.Image = v
	}
	if v, src, ok := r.first(kTimeout, ""); ok {
		cfg.Timeout, _ = parseTimeout(v, src)
	}
	var err error
	if cfg.Guest, err = r.guest(cfg.Image); err != nil {
		return nil, err
	}
	if _, _, given := r.first(kImage, ""); !given {
		// --guest alone picks that family's image.
		cfg.Image = guestImages[cfg.Guest]
	}
	if v, src, ok := r.first(kRunID, ""); ok {
		cfg.RunID, _ = parseRunID(v, src)
	} else {
		cfg.RunID = r.src.NewRunID()
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

	if cfg.SSH, err = r.ssh(cfg.RunID); err != nil {
		return nil, err
	}
	return cfg, nil
}

// selection returns the chosen workloads in registry order.
func (r *resolver) selection(g workloads.Guest) ([]string, error) {
	// What runs implicitly (by default, or "all") is what can run on the
	// guest: tps is left out on a family without netperf, while naming it
	// there is an error.
	var implicit []string
	for _, name := range r.reg.Implicit() {
		if w, _ := r.reg.Get(name); w != nil {
			if _, err := workloads.PackagesFor(w, g); err != nil {
				continue
			}
		}
		implicit = append(implicit, name)
	}
	vals, src, ok := r.firstList(kWorkloads, "")
	if !ok {
		var names []string
		for _, name := range implicit {
			if fw, ok := r.file.workloads[name]; ok && fw.enabled != nil && !*fw.enabled {
				continue
			}
			names = append(names, name)
		}
		if len(names) == 0 {
			return nil, invalidf("the config file disables every workload; enable one or pass --workloads")
		}
		return names, nil
	}
	chosen := map[string]bool{}
	for _, v := range vals {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
			return nil, invalidf("%s has an empty entry; give workload names separated by commas (known: %s)", src, strings.Join(r.reg.Names(), ", "))
		case v == "all":
			for _, n := range implicit {
				chosen[n] = true
			}
			continue
		case chosen[v]:
			return nil, invalidf("%s lists %q twice; name each workload once", src, v)
		}
		if _, err := r.reg.Lookup(v); err != nil {
			return nil, invalidf("%s: %v", src, err)
		}
		chosen[v] = true
	}
	var names []string
	for _, n := range r.reg.Names() {
		if chosen[n] {
			names = append(names, n)
		}
	}
	return names, nil
}

// params gathers WORKLOAD.PARAM=VALUE from every source, validates each
// against the workload's schema, and keeps the highest-precedence value.
func (r *resolver) params() (map[string]workloads.Values, error) {
	var all []rawParam // highest precedence first
	fromList := func(vals []string, src string) error {
		for _, item := range vals {
			item = strings.TrimSpace(item)
			wp, val, ok := strings.Cut(item, "=")
			wl, name, ok2 := strings.Cut(wp, ".")
			if !ok || !ok2 || wl == "" || name == "" {
				return invalidf("%s: %q must look like WORKLOAD.PARAM=VALUE (for example cpu.load-percent=80)", src, item)
			}
			all = append(all, rawParam{workload: wl, name: name, value: val, src: fmt.Sprintf("%s %s", src, item)})
		}
		return nil
	}
	if v, ok := r.src.Flags.get(kParams); ok {
		if err := fromList(v, "--params"); err != nil {
			return nil, err
		}
	}
	if v, ok := r.env[kParams]; ok {
		if err := fromList(v.vals, v.src); err != nil {
			return nil, err
		}
	}
	for _, name := range r.reg.Names() {
		if fw, ok := r.file.workloads[name]; ok {
			all = append(all, fw.params...)
		}
	}

	out := map[string]workloads.Values{}
	seen := map[string]bool{}
	for _, p := range all {
		w, err := r.reg.Lookup(p.workload)
		if err != nil {
			return nil, invalidf("%s: %v", p.src, err)
		}
		spec := w.Spec()
		ps, ok := spec.Param(p.name)
		if !ok {
			var known []string
			for _, q := range spec.Params {
				known = append(known, q.Name)
			}
			return nil, invalidf("%s: workload %s has no param %q%s (known: %s)", p.src, p.workload, p.name, suggest.DidYouMean(p.name, known), strings.Join(known, ", "))
		}
		canon, err := ps.Parse(p.value)
		if err != nil {
			return nil, invalidf("%s: %s %v", p.src, p.name, err)
		}
		id := p.workload + "." + p.name
		if seen[id] {
			continue // a higher source already set it
		}
		seen[id] = true
		if out[p.workload] == nil {
			out[p.workload] = workloads.Values{}
		}
		out[p.workload][p.name] = canon
	}
	return out, nil
}

func (r *resolver) workload(name string, given workloads.Values) (Workload, error) {
	w, _ := r.reg.Get(name)
	spec := w.Spec()
	out := Workload{Name: name, VMCount: DefaultVMCount, CPUCores: DefaultCPUCores,
		Memory: resource.MustParse(DefaultMemory), DiskSize: resource.MustParse(DefaultDiskSize)}
	var diskSrc string
	if v, src, ok := r.first(kVMCount, name); ok {
		out.VMCount, _ = parseInt(v, src, MinVMCount, MaxVMCount)
	}
	if v, src, ok := r.first(kCPUCores, name); ok {
		out.CPUCores, _ = parseInt(v, src, MinCPUCores, MaxCPUCores)
	}
	if v, src, ok := r.first(kMemory, name); ok {
		out.Memory, _ = parseQuantity(v, src, MinMemory, MaxMemory)
	}
	if v, src, ok := r.first(kDiskSize, name); ok {
		out.DiskSize, _ = parseQuantity(v, src, MinDiskSize, MaxDiskSize)
		diskSrc = src
	} else if size := declaredDiskSize(spec); size != "" {
		// A custom workload's data_disk.size, checked when it was loaded.
		out.DiskSize = resource.MustParse(size)
	}
	if v, _, ok := r.first(kStorageClass, name); ok {
		out.StorageClass = v
	}
	params, err := spec.Defaults()
	if err != nil {
		return Workload{}, err
	}
	for k, v := range given {
		params[k] = v
	}
	out.Params = params
	if dc, ok := w.(workloads.DiskChecker); ok {
		if err := dc.CheckDisk(params, out.DiskSize.Value()); err != nil {
			if diskSrc == "" {
				diskSrc = "the default disk size " + DefaultDiskSize
			}
			return Workload{}, invalidf("workload %s (disk size from %s): %v", name, diskSrc, err)
		}
	}
	return out, nil
}

func (r *resolver) ssh(runID string) (SSH, error) {
	var out SSH
	if v, _, ok := r.first(kSSHUser, ""); ok {
		out.User = v
	}
	if vals, src, ok := r.firstList(kSSHKey, ""); ok {
		for _, v := range vals {
			keys, err := parseAuthorizedKeys([]byte(v), src)
			if err != nil {
				return SSH{}, err
			}
			out.AuthorizedKeys = append(out.AuthorizedKeys, keys...)
		}
	}
	if vals, src, ok := r.firstList(kSSHKeyFile, ""); ok {
		for _, path := range vals {
			data, err := r.src.ReadFile(path)
			if err != nil {
				return SSH{}, invalidf("%s: cannot read SSH key file: %v", src, unwrapPathError(err))
			}
			keys, err := parseAuthorizedKeys(data, fmt.Sprintf("%s %s", src, path))
			if err != nil {
				return SSH{}, err
			}
			out.AuthorizedKeys = append(out.AuthorizedKeys, keys...)
		}
	}

	password, pwSrc, err := r.password()
	if err != nil {
		return SSH{}, err
	}
	if password != "" {
		if out.User == "" {
			return SSH{}, invalidf("%s needs --ssh-user (or VIRTWORK_SSH_USER): a password is set only for a user virtwork creates", pwSrc)
		}
		// The salt is derived from the run, so the same inputs render the
		// same bytes, while no two runs share a salt.
		sum := sha256.Sum256([]byte("virtwork-ssh-salt\x00" + runID + "\x00" + out.User))
		salt := saltFrom(sum[:])
		if out.PasswordHash, err = sha512crypt.Hash(password, salt, 0); err != nil {
			return SSH{}, fmt.Errorf("hashing the SSH password: %w", err)
		}
	}
	return out, nil
}

// password returns the SSH password from --ssh-password-file,
// VIRTWORK_SSH_PASSWORD or a password file named by env or config file,
// in that order.
func (r *resolver) password() (string, string, error) {
	fromFile := func(path, src string) (string, string, error) {
		data, err := r.src.ReadFile(path)
		if err != nil {
			return "", "", invalidf("%s: cannot read password file: %v", src, unwrapPathError(err))
		}
		pw, _, _ := strings.Cut(string(data), "\n")
		pw = strings.TrimSuffix(pw, "\r")
		if pw == "" {
			return "", "", invalidf("%s: the password file %s is empty; put the password on its first line", src, path)
		}
		return pw, src, nil
	}
	if v, ok := r.src.Flags.get(kSSHPasswordFile); ok {
		return fromFile(v[0], "--ssh-password-file")
	}
	if v, ok := r.env[kSSHPassword]; ok {
		if v.vals[0] == "" {
			return "", "", invalidf("VIRTWORK_SSH_PASSWORD is set but empty; unset it or set a password")
		}
		if strings.ContainsAny(v.vals[0], "\n\r") {
			return "", "", invalidf("VIRTWORK_SSH_PASSWORD must be one line")
		}
		return v.vals[0], "VIRTWORK_SSH_PASSWORD", nil
	}
	if v, ok := r.env[kSSHPasswordFile]; ok {
		return fromFile(v.vals[0], v.src)
	}
	if v, ok := r.file.top[kSSHPasswordFile]; ok {
		return fromFile(v.vals[0], v.src)
	}
	return "", "", nil
}

func saltFrom(b []byte) string {
	const alphabet = sha512crypt.SaltAlphabet
	salt := make([]byte, 16)
	for i := range salt {
		salt[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(salt)
}

func parseAuthorizedKeys(data []byte, src string) ([]string, error) {
	text := string(data)
	if strings.Contains(text, "PRIVATE KEY") {
		return nil, invalidf("%s is a private key; give the public key (the .pub file)", src)
	}
	var keys []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pk, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return nil, invalidf("%s is not an SSH public key in authorized_keys format (ssh-ed25519 AAAA... comment)", src)
		}
		// Re-encode: drops options and anything that is not the key itself.
		k := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk)))
		if comment != "" && safeComment.MatchString(comment) {
			k += " " + comment
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, invalidf("%s holds no SSH public key", src)
	}
	return keys, nil
}

var safeComment = regexp.MustCompile(`^[A-Za-z0-9@._+-]{1,64}$`)

func parseInt(v, src string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, invalidf("%s must be an integer between %d and %d, got %q", src, lo, hi, v)
	}
	if n < lo || n > hi {
		return 0, invalidf("%s must be between %d and %d, got %d", src, lo, hi, n)
	}
	return n, nil
}

func parseQuantity(v, src, lo, hi string) (resource.Quantity, error) {
	q, err := resource.ParseQuantity(strings.TrimSpace(v))
	if err != nil {
		return q, invalidf("%s must be a quantity such as 2Gi or 512Mi, got %q", src, v)
	}
	if q.Cmp(resource.MustParse(lo)) < 0 || q.Cmp(resource.MustParse(hi)) > 0 {
		return q, invalidf("%s must be between %s and %s, got %s", src, lo, hi, v)
	}
	if q.Value()*1000 != q.MilliValue() {
		return q, invalidf("%s must be a whole number of bytes, got %s", src, v)
	}
	return q, nil
}

func parseRunID(v, src string) (string, error) {
	id, err := uuid.Parse(strings.TrimSpace(v))
	if err != nil || len(strings.TrimSpace(v)) != 36 {
		return "", invalidf("%s must be a UUID such as 3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93, got %q", src, v)
	}
	return id.String(), nil
}

func parseTimeout(v, src string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		return 0, invalidf("%s must be a duration such as 10m or 90s, got %q", src, v)
	}
	if d < MinTimeout || d > MaxTimeout {
		return 0, invalidf("%s must be between %s and %s, got %s", src, MinTimeout, MaxTimeout, v)
	}
	return d, nil
}

func checkNamespace(v, src string) error {
	if errs := validation.IsDNS1123Label(v); len(errs) > 0 {
		return invalidf("%s must be a valid namespace name (lowercase letters, digits and '-', at most 63), got %q", src, v)
	}
	return nil
}

func checkStorageClass(v, src string) error {
	if v == "" {
		return nil // the cluster's default class
	}
	if errs := validation.IsDNS1123Subdomain(v); len(errs) > 0 {
		return invalidf("%s must be a StorageClass name (lowercase letters, digits, '-' and '.'), got %q", src, v)
	}
	return nil
}

// imageRef accepts [registry[:port]/]path[:tag][@sha256:digest].
var imageRef = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9-]+)*(:[0-9]{1,5})?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`)

func checkImage(v, src string) error {
	if strings.TrimSpace(v) == "" {
		return invalidf("%s must not be empty; give a containerDisk image such as %s", src, DefaultImage)
	}
	if len(v) > 512 || !imageRef.MatchString(v) {
		return invalidf("%s must be an image reference such as %s, got %q", src, DefaultImage, v)
	}
	return nil
}

var userName = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)

func checkUser(v, src string) error {
	if !userName.MatchString(v) {
		return invalidf("%s must be a Linux user name (lowercase letters, digits, '_' and '-', at most 32, not starting with a digit), got %q", src, v)
	}
	return nil
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

// declaredDiskSize is the data disk size a workload declares, "" for none.
func declaredDiskSize(spec workloads.Spec) string {
	for _, r := range spec.Roles {
		if r.DataDisk != nil && r.DataDisk.Size != "" {
			return r.DataDisk.Size
		}
	}
	return ""
}

func parseGuest(v, src string) (workloads.Guest, error) {
	g, err := workloads.ParseGuest(v)
	if err != nil {
		return "", invalidf("%s %v", src, err)
	}
	return g, nil
}

// guest resolves the guest family: as given, or inferred from a
// well-known image repository, or the default. A family that contradicts
// a well-known image is an error: the packages would not install.
func (r *resolver) guest(image string) (workloads.Guest, error) {
	inferred, known := workloads.GuestForImage(image)
	if _, _, given := r.first(kImage, ""); !given {
		known = false // the default image gives way to --guest
	}
	v, src, ok := r.first(kGuest, "")
	if !ok {
		if known {
			return inferred, nil
		}
		return workloads.DefaultGuest, nil
	}
	g, err := parseGuest(v, src)
	if err != nil {
		return "", err
	}
	if known && g != inferred {
		return "", invalidf("%s is %s, but the image %s is a %s image; drop %s or use a %s image", src, g, image, inferred, src, g)
	}
	return g, nil
}

// checkGuest reports a workload whose packages the guest family lacks.
func (r *resolver) checkGuest(name string, g workloads.Guest) error {
	w, _ := r.reg.Get(name)
	if _, err := workloads.PackagesFor(w, g); err != nil {
		src := "the guest family"
		if _, s, ok := r.first(kGuest, ""); ok {
			src = s
		} else if _, s, ok := r.first(kImage, ""); ok {
			src = s
		}
		return invalidf("%s: %v; choose another guest family or leave %s out", src, err, name)
	}
	return nil
}
