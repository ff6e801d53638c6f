package workloads

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/virtwork/kubectl-virtwork/pkg/yamlfile"
)

// SpecFile is the file that makes a directory a workload.
const SpecFile = "workload.yaml"

// Limits on workload directories.
const (
	maxCustomName     = 24
	maxCustomRoles    = 8
	maxRoleCount      = 100
	maxCustomFileSize = 64 << 10
	maxSerial         = 20
	minCustomDisk     = "1Gi"
	maxCustomDisk     = "64Ti"
)

var (
	// Unit and script file names carry the tool's prefix, so a workload
	// can never replace a unit or command of the system.
	customFileName = regexp.MustCompile(`^virtwork-[a-z0-9]+(-[a-z0-9]+)*\.(service|timer|sh)$`)
	// A drop-in's name holds the word virtwork, so it can never replace
	// another package's drop-in; data files carry the prefix.
	dropInName   = regexp.MustCompile(`^([a-z0-9]+-)*virtwork(-[a-z0-9]+)*\.conf$`)
	dataFileName = regexp.MustCompile(`^virtwork-[a-z0-9]+(-[a-z0-9]+)*\.[a-z0-9]+$`)
	// A drop-in's target: a service unit, a template's included.
	serviceUnit = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9:_.-]*(@[A-Za-z0-9:_.-]*)?\.service$`)
	// Data files go to a directory of their own under /etc/virtwork.
	dataDir = regexp.MustCompile(`^/etc/virtwork(/[a-z0-9][a-z0-9._-]*)+$`)
	// envName is a variable of an EnvironmentFile.
	envName     = regexp.MustCompile(`^VIRTWORK_[A-Z0-9]+(_[A-Z0-9]+)*$`)
	paramName   = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	packageName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9+._-]{0,99}$`)
	serialName  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
	// A mount point is an absolute path of plain segments.
	mountPath = regexp.MustCompile(`^(/[A-Za-z0-9._-]+)+$`)
	// placeholder is {{ param-name }}; any other "{{" is an error.
	placeholder = regexp.MustCompile(`^\{\{[ \t]*([A-Za-z0-9_-]*)[ \t]*\}\}`)
)

// Directories a data disk must never be mounted over.
var systemDirs = []string{"/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/opt", "/proc", "/root",
	"/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/bin", "/usr/lib", "/usr/local", "/usr/local/bin", "/usr/sbin",
	"/var", "/var/lib", "/var/log", "/var/tmp"}

// reservedFiles are files virtwork itself installs next to a workload's.
var reservedFiles = []string{path.Base(mountDataDisk.src), path.Base(levelScript.src), path.Base(serviceHostScript.src), path.Base(checkPackagesScript.src)}

// reservedEnv are the variables virtwork writes for a role's data disk and
// a VM's schedule.
var reservedEnv = []string{"VIRTWORK_DATA_SERIAL", "VIRTWORK_DATA_MOUNT", scheduleEnv}

// controllerEnv are the variables that stand in for the clock and the
// hostname in virtwork-level's tests; from an EnvironmentFile they would
// move a VM's schedule or phase away from what plan shows.
var controllerEnv = []string{"VIRTWORK_NOW", "VIRTWORK_HOSTNAME"}

// Entry is one directory that LoadDir read: a workload, or why it is not
// one.
type Entry struct {
	// Dir is the workload's directory as the user would spell it.
	Dir      string
	Workload *Definition
	Err      error
}

// LoadDir reads workload directories from fsys, which is the directory dir
// (dir is used only in messages). When fsys holds a workload.yaml it is one
// workload; otherwise each subdirectory holding one is. Other files at the
// top and hidden directories are ignored, so a directory of workloads can
// carry a README. The error is for the directory itself; each entry says
// whether its workload is valid.
func LoadDir(fsys fs.FS, dir string) ([]Entry, error) {
	if _, err := fs.Stat(fsys, SpecFile); err == nil {
		return []Entry{loadEntry(fsys, dir)}, nil
	}
	des, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the workload directory: %w", dir, unwrapPath(err))
	}
	var out []Entry
	for _, de := range des {
		if !de.IsDir() || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		sub, err := fs.Sub(fsys, de.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, loadEntry(sub, path.Join(dir, de.Name())))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no workloads: neither a %s nor subdirectories holding one", dir, SpecFile)
	}
	return out, nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func loadEntry(fsys fs.FS, dir string) Entry {
	w, err := load(fsys, dir)
	return Entry{Dir: dir, Workload: w, Err: err}
}

// loader holds what reading workload.yaml found that later steps check
// against the rest of the file and the directory's files.
type loader struct {
	d        *Definition
	service  *yamlfile.Node // nil: no Service
	roles    []roleNodes
	installs map[string]install // drop-ins and data files, by file name
	params   yamlfile.Node
	checks   []yamlfile.Node // disk_checks items, parallel to d.diskChecks
	diskSize string
	level    *yamlfile.Node // nil: no level
	signals  *yamlfile.Node // nil: no signals
	needs    map[string]yamlfile.Node
}

// roleNodes are a role's nodes, for messages about its files and env.
type roleNodes struct {
	unit  yamlfile.Node
	files []yamlfile.Node // nil: every file of the directory
	env   []yamlfile.Node // parallel to roleSetup.env
	start []yamlfile.Node // parallel to roleSetup.start
}

// install is where a declared drop-in or data file goes.
type install struct {
	node  yamlfile.Node
	dests []string
}

var topKeys = []string{"name", "description", "implicit", "chaos", "packages", "needs", "roles", "service", "params", "drop_ins", "data_files", "disk_checks", "level", "signals", "unobservable"}

// load reads and validates one workload directory.
func load(fsys fs.FS, dir string) (*Definition, error) {
	file := path.Join(dir, SpecFile)
	data, err := fs.ReadFile(fsys, SpecFile)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read: %w", file, unwrapPath(err))
	}
	top, err := yamlfile.Parse(file, data)
	if err != nil {
		return nil, err
	}
	if top.Null() {
		return nil, fmt.Errorf("%s: empty; it needs at least name and roles", file)
	}
	l := &loader{d: &Definition{Dir: dir}, installs: map[string]install{}}
	if err := top.Mapping(topKeys, l.topField); err != nil {
		return nil, err
	}
	if err := top.Require("name", "roles"); err != nil {
		return nil, err
	}
	if err := l.finish(); err != nil {
		return nil, err
	}
	if err := l.loadFiles(fsys, data); err != nil {
		return nil, err
	}
	return l.d, nil
}

// topField reads one key of workload.yaml's top level.
func (l *loader) topField(k string, v yamlfile.Node) error {
	s := &l.d.spec
	var err error
	switch k {
	case "name":
		var name string
		if name, err = v.String(); err != nil {
			return err
		}
		if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 || len(name) > maxCustomName {
			return v.Errorf("%q must be a DNS-1123 label of at most %d characters (lowercase letters, digits and '-', starting and ending with a letter or digit)", name, maxCustomName)
		}
		s.Name, l.d.nameLine = name, v.Line()
	case "description":
		s.Description, err = oneLine(v)
	case "implicit":
		s.Implicit, err = v.Bool()
		l.d.implicitLine = v.Line()
	case "chaos":
		s.Chaos, err = v.Bool()
	case "packages":
		err = l.packages(v)
	case "needs":
		err = l.readNeeds(v)
	case "roles":
		err = l.readRoles(v)
	case "service":
		l.service = &v
	case "params":
		l.params = v
		err = l.readParams(v)
	case "drop_ins":
		err = l.readDropIns(v)
	case "data_files":
		err = l.readDataFiles(v)
	case "disk_checks":
		err = l.readDiskChecks(v)
	case "level":
		err = l.readLevel(v)
	case "signals":
		err = l.readSignals(v)
	case "unobservable":
		s.Unobservable, err = oneLine(v)
	}
	return err
}

// oneLine reads a description: one line of at most 200 characters.
func oneLine(v yamlfile.Node) (string, error) {
	d, err := v.String()
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(d, "\n\r\t") || !utf8.ValidString(d) || len(d) > 200 {
		return "", v.Errorf("must be one line of at most 200 characters")
	}
	return d, nil
}

// finish fills in defaults and checks what refers to other parts of the
// file: the Service's roles, the roles' env, the disk checks.
func (l *loader) finish() error {
	d, s := l.d, &l.d.spec
	if s.Description == "" {
		s.Description = "custom workload from " + d.Dir
	}
	if s.Implicit && s.Chaos {
		return fmt.Errorf("%s: a chaos workload is never implicit; runs get it only when --workloads names it", d.at(d.implicitLine, "implicit"))
	}
	if l.service != nil {
		if err := l.readService(*l.service); err != nil {
			return err
		}
	}
	if d.packagesByGuest != nil {
		// Listings show the default family's names.
		s.Packages = d.packagesByGuest[DefaultGuest]
	}
	if s.NeedsDataDisk() {
		// mkfs.ext4, for virtwork-mount-data-disk; the same name everywhere.
		if !slices.Contains(s.Packages, "e2fsprogs") {
			s.Packages = append(s.Packages, "e2fsprogs")
		}
		for g, pkgs := range d.packagesByGuest {
			if !slices.Contains(pkgs, "e2fsprogs") {
				d.packagesByGuest[g] = append(pkgs, "e2fsprogs")
			}
		}
	}
	if err := l.checkNeedNames(); err != nil {
		return err
	}
	for i := range s.Params {
		if s.Params[i].Env == "" {
			s.Params[i].Env = "VIRTWORK_PARAM_" + strings.ToUpper(strings.ReplaceAll(s.Params[i].Name, "-", "_"))
		}
	}
	for i := range s.Roles {
		if err := l.checkRoleEnv(i); err != nil {
			return err
		}
	}
	if err := l.checkLevel(); err != nil {
		return err
	}
	if err := l.checkSignals(); err != nil {
		return err
	}
	return l.checkDiskChecks()
}
