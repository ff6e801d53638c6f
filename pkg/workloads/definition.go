package workloads

import (
	"crypto/sha256"
	"fmt"
	"math"
	"path"
	"slices"
	"strings"
)

// Definition is a workload defined by a directory (see LoadDir): a
// workload.yaml plus its units, scripts, drop-ins and data files. Built-in
// workloads are the embedded directories of templates/; custom ones come
// from --workload-dir. Both are loaded, checked and rendered by the same
// code. Its templates were checked when it was loaded; every placeholder in
// them names one of its params, so CloudConfig can only fail on a value
// that bypassed the param's validation.
type Definition struct {
	spec Spec
	// Dir is where it was loaded from, for listings and messages.
	Dir     string
	builtin bool
	// sum digests the directory's files, so that a directory that is a
	// built-in workload's own can be told from one that reuses its name.
	sum   [sha256.Size]byte
	files []dirFile
	// roles holds, per role of spec.Roles (same order), what its VMs get.
	roles []roleSetup
	// packagesByGuest, when the workload names its packages per guest
	// family, holds them; families it does not list cannot run it.
	packagesByGuest map[Guest][]string
	// needs holds, per service unit of the directory, the packages it
	// needs when that is not all of them (see unitPackages).
	needs      map[string][]string
	diskChecks []diskCheck
	// Lines of the name and implicit fields, for messages after loading.
	nameLine, implicitLine int
}

// at is "<dir>/workload.yaml:line: key", for messages after loading.
func (d *Definition) at(line int, key string) string {
	return fmt.Sprintf("%s:%d: %s", path.Join(d.Dir, SpecFile), line, key)
}

// dirFile is one file of a workload directory, split at its placeholders.
type dirFile struct {
	name string // the file's name in the workload's directory
	// dests are where it is installed, in order: one path, or one per
	// unit for a drop-in.
	dests []string
	mode  string
	// parts alternate literal text and param names: parts[0] is text,
	// parts[1] a param, parts[2] text, and so on.
	parts []string
}

// roleSetup is what one role's VMs receive beyond the Spec.
type roleSetup struct {
	// files indexes Definition.files, in install order.
	files []int
	// env lists the EnvironmentFile's lines; nil means every param, then
	// VIRTWORK_SERVICE_HOST when the VM has a Service host.
	env []envItem
	// start lists units enabled and started after the role's unit.
	start []string
}

// envItem is one or more lines of a role's EnvironmentFile: exactly one
// of its fields is set.
type envItem struct {
	param       string // one param's line, by param name
	allParams   bool   // every param's line, in declaration order
	serviceHost string // this variable holds the instance's Service host
	name, value string // a constant line
}

// diskCheck requires count files of a size param's value to fit in
// percent of the data disk.
type diskCheck struct {
	param          string
	count, percent int64
	what           string
}

// Spec implements Workload.
func (d *Definition) Spec() Spec { return d.spec }

// Source is "built-in" or the directory the workload was loaded from.
func (d *Definition) Source() string {
	if d.builtin {
		return "built-in"
	}
	return d.Dir
}

// CloudConfig implements Workload. The role decides which files its VMs
// get (all of the directory's unless its files field says otherwise),
// which unit starts and what its EnvironmentFile carries.
func (d *Definition) CloudConfig(in Instance) (CloudConfig, error) {
	s := d.spec
	i := slices.IndexFunc(s.Roles, func(r Role) bool { return r.Name == in.Role })
	if i < 0 {
		return CloudConfig{}, fmt.Errorf("workload %s: unknown role %q", s.Name, in.Role)
	}
	role, setup := s.Roles[i], d.roles[i]
	env, hostVars, err := d.env(setup, in)
	if err != nil {
		return CloudConfig{}, err
	}
	files, hostCmds, err := d.serviceHostFiles(hostVars, in.ServiceHost)
	if err != nil {
		return CloudConfig{}, err
	}
	if role.DataDisk != nil {
		env = append(env, role.DataDisk.env()...)
		content, err := templateFile(mountDataDisk.src)
		if err != nil {
			return CloudConfig{}, err
		}
		files = append(files, File{Path: mountDataDisk.dest, Permissions: mountDataDisk.mode, Content: content})
	}
	if in.Schedule != "" {
		e, fs, err := d.scheduleFiles(in)
		if err != nil {
			return CloudConfig{}, err
		}
		env, files = append(env, e), append(files, fs...)
	}
	roleFiles, err := d.unitFiles(setup, in)
	if err != nil {
		return CloudConfig{}, err
	}
	files = append(files, roleFiles...)
	cc, err := assembleFiles(s.Name, s.Packages, env, hostVars, role.Unit, files)
	if err != nil {
		return CloudConfig{}, err
	}
	// The Service host goes into the EnvironmentFile before any unit is
	// enabled.
	cc.RunCmd = append(hostCmds, cc.RunCmd...)
	for _, u := range setup.start {
		cc.RunCmd = append(cc.RunCmd, []string{"systemctl", "enable", "--now", "--no-block", u})
	}
	return cc, nil
}

// fill replaces the file's placeholders with the params' values.
func (f dirFile) fill(v Values) (string, error) {
	var b strings.Builder
	for i, p := range f.parts {
		if i%2 == 0 {
			b.WriteString(p)
			continue
		}
		val, ok := v[p]
		if !ok || !envSafe(val) {
			return "", fmt.Errorf("%s: param %s has no safe value (%q)", f.name, p, val)
		}
		b.WriteString(val)
	}
	return b.String(), nil
}

// env lists a VM's EnvironmentFile lines, before the data disk's, and the
// variables that are to hold its Service host: the guest adds their lines
// at first boot (serviceHostFiles), so that client VMs share user-data.
func (d *Definition) env(setup roleSetup, in Instance) ([]EnvVar, []string, error) {
	s := d.spec
	if setup.env == nil {
		var hostVars []string
		if !in.ServiceHost.IsZero() {
			hostVars = []string{"VIRTWORK_SERVICE_HOST"}
		}
		return paramEnv(s.Params, in.Params), hostVars, nil
	}
	var env []EnvVar
	var hostVars []string
	for _, e := range setup.env {
		switch {
		case e.allParams:
			env = append(env, paramEnv(s.Params, in.Params)...)
		case e.param != "":
			p, _ := s.Param(e.param)
			env = append(env, EnvVar{p.Env, in.Params[p.Name]})
		case e.serviceHost != "":
			if in.ServiceHost.IsZero() {
				return nil, nil, fmt.Errorf("workload %s: %s needs the server's Service host", s.Name, in.Role)
			}
			hostVars = append(hostVars, e.serviceHost)
		default:
			env = append(env, EnvVar{e.name, e.value})
		}
	}
	return env, hostVars, nil
}

// paramEnv lists the EnvironmentFile lines for every param.
func paramEnv(params []ParamSpec, v Values) []EnvVar {
	env := make([]EnvVar, 0, len(params))
	for _, p := range params {
		env = append(env, EnvVar{Name: p.Env, Value: v[p.Name]})
	}
	return env
}

// PackagesFor implements guestPackager: the workload's own list for the
// family, or its one list of Fedora names mapped by the family's table.
func (d *Definition) PackagesFor(g Guest) ([]string, error) {
	if d.packagesByGuest == nil {
		return g.Packages(d.spec.Packages)
	}
	pkgs, ok := d.packagesByGuest[g]
	if !ok {
		return nil, fmt.Errorf("its workload.yaml lists packages for no %s guest", g)
	}
	return slices.Clone(pkgs), nil
}

// DiskChecker is implemented by workloads whose params must fit the data
// disk they are given.
type DiskChecker interface {
	CheckDisk(v Values, diskBytes int64) error
}

// CheckDisk implements DiskChecker with the workload's disk_checks: each
// needs count files of its param's size in percent of the data disk.
func (d *Definition) CheckDisk(v Values, diskBytes int64) error {
	for _, c := range d.diskChecks {
		size := v.Int(c.param)
		need := int64(math.MaxInt64) // more than any disk, rather than overflow
		if size <= math.MaxInt64/c.count {
			need = c.count * size
		}
		if need > diskBytes*c.percent/100 {
			return fmt.Errorf("%s of %s need %s, more than %d%% of the %s data disk; lower %s.%s or raise the disk size",
				c.what, FormatSize(size), FormatSize(need), c.percent, FormatSize(diskBytes), d.spec.Name, c.param)
		}
	}
	return nil
}
