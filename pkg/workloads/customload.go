package workloads

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/virtwork/kubectl-virtwork/pkg/suggest"
)

// SpecFile is the file that makes a directory a custom workload.
const SpecFile = "workload.yaml"

// Limits on custom workloads.
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
	// Unit and script file names carry the tool's prefix, so a custom
	// workload can never replace a unit or command of the system.
	customFileName = regexp.MustCompile(`^virtwork-[a-z0-9]+(-[a-z0-9]+)*\.(service|timer|sh)$`)
	paramName      = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	packageName    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9+._-]{0,99}$`)
	serialName     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
	// A mount point is an absolute path of plain segments.
	mountPath = regexp.MustCompile(`^(/[A-Za-z0-9._-]+)+$`)
	// placeholder is {{ param-name }}; any other "{{" is an error.
	placeholder = regexp.MustCompile(`^\{\{[ \t]*([A-Za-z0-9_-]*)[ \t]*\}\}`)
)

// Directories a data disk must never be mounted over.
var systemDirs = []string{"/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/opt", "/proc", "/root",
	"/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/bin", "/usr/lib", "/usr/local", "/usr/local/bin", "/usr/sbin",
	"/var", "/var/lib", "/var/log", "/var/tmp"}

// reservedFiles are files virtwork itself installs next to custom ones.
var reservedFiles = []string{path.Base(mountDataDisk.src)}

// Entry is one directory that LoadDir read: a custom workload, or why it is
// not one.
type Entry struct {
	// Dir is the workload's directory as the user would spell it.
	Dir      string
	Workload *Custom
	Err      error
}

// LoadDir reads custom workloads from fsys, which is the directory dir
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
	w, err := loadCustom(fsys, dir)
	return Entry{Dir: dir, Workload: w, Err: err}
}

// AddCustom returns a registry of r's workloads and the valid entries'. A
// name that is already registered (built in, or from an earlier entry) is an
// error that names the entry's file.
func (r *Registry) AddCustom(entries []Entry) (*Registry, error) {
	ws := make([]Workload, 0, len(r.names)+len(entries))
	for _, n := range r.names {
		ws = append(ws, r.byName[n])
	}
	for _, e := range entries {
		if e.Err != nil {
			return nil, e.Err
		}
		if err := r.checkName(e.Workload, ws); err != nil {
			return nil, err
		}
		ws = append(ws, e.Workload)
	}
	return NewRegistry(ws...)
}

// CheckName reports whether a custom workload's name is free in r.
func (r *Registry) CheckName(c *Custom) error { return r.checkName(c, nil) }

func (r *Registry) checkName(c *Custom, more []Workload) error {
	name := c.spec.Name
	where := path.Join(c.Dir, SpecFile) + ":" + strconv.Itoa(c.nameLine) + ": name"
	for _, w := range append(r.list(), more...) {
		if w.Spec().Name != name {
			continue
		}
		if o, ok := w.(*Custom); ok {
			return fmt.Errorf("%s: workload %q is also defined in %s; names must be unique", where, name, path.Join(o.Dir, SpecFile))
		}
		return fmt.Errorf("%s: %q is a built-in workload; choose another name", where, name)
	}
	return nil
}

func (r *Registry) list() []Workload {
	out := make([]Workload, 0, len(r.names))
	for _, n := range r.names {
		out = append(out, r.byName[n])
	}
	return out
}

// specParser walks workload.yaml, keeping the file name for messages.
type specParser struct{ file string }

func (p specParser) errf(n *yaml.Node, field, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s: %s", p.file, n.Line, field, fmt.Sprintf(format, args...))
}

// fields walks a mapping, calling fn for each key in known (in the file's
// order) and failing on any other key. required keys must be present.
func (p specParser) fields(n *yaml.Node, field string, known, required []string, fn func(k string, v *yaml.Node, field string) error) error {
	n = derefNode(n)
	if n.Kind != yaml.MappingNode {
		if field == "" {
			return fmt.Errorf("%s:%d: the top level must be a mapping", p.file, n.Line)
		}
		return p.errf(n, field, "must be a mapping")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		sub := k.Value
		if field != "" {
			sub = field + "." + k.Value
		}
		if !slices.Contains(known, k.Value) {
			return p.errf(k, sub, "unknown field%s (known: %s)", suggest.DidYouMean(k.Value, known), strings.Join(known, ", "))
		}
		if seen[k.Value] {
			return p.errf(k, sub, "given twice")
		}
		seen[k.Value] = true
		if err := fn(k.Value, derefNode(v), sub); err != nil {
			return err
		}
	}
	for _, r := range required {
		if !seen[r] {
			where := field
			if where == "" {
				where = "the top level"
			}
			return fmt.Errorf("%s:%d: %s: missing required field %q", p.file, n.Line, where, r)
		}
	}
	return nil
}

func (p specParser) str(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errf(n, field, "must be a single value")
	}
	return n.Value, nil
}

func (p specParser) list(n *yaml.Node, field string, fn func(i int, v *yaml.Node, field string) error) error {
	if n.Kind != yaml.SequenceNode {
		return p.errf(n, field, "must be a list")
	}
	for i, v := range n.Content {
		if err := fn(i, derefNode(v), fmt.Sprintf("%s[%d]", field, i)); err != nil {
			return err
		}
	}
	return nil
}

func (p specParser) integer(n *yaml.Node, field string, lo, hi int64) (int64, error) {
	s, err := p.str(n, field)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, p.errf(n, field, "must be an integer between %d and %d, got %q", lo, hi, s)
	}
	return v, nil
}

func derefNode(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// loadCustom reads and validates one workload directory.
func loadCustom(fsys fs.FS, dir string) (*Custom, error) {
	file := path.Join(dir, SpecFile)
	data, err := fs.ReadFile(fsys, SpecFile)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read: %w", file, unwrapPath(err))
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty; it needs at least name and roles", file)
		}
		return nil, fmt.Errorf("%s: not valid YAML: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: must hold one YAML document, found more", file)
	}
	p := specParser{file: file}
	c := &Custom{Dir: dir, unitLines: map[string]int{}}
	s := &c.spec
	var serviceNode *yaml.Node
	top := []string{"name", "description", "packages", "chaos", "roles", "service", "params"}
	err = p.fields(doc.Content[0], "", top, []string{"name", "roles"}, func(k string, v *yaml.Node, field string) error {
		switch k {
		case "name":
			name, err := p.str(v, field)
			if err != nil {
				return err
			}
			if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 || len(name) > maxCustomName {
				return p.errf(v, field, "%q must be a DNS-1123 label of at most %d characters (lowercase letters, digits and '-', starting and ending with a letter or digit)", name, maxCustomName)
			}
			s.Name, c.nameLine = name, v.Line
		case "description":
			d, err := p.str(v, field)
			if err != nil {
				return err
			}
			if strings.ContainsAny(d, "\n\r\t") || !utf8.ValidString(d) || len(d) > 200 {
				return p.errf(v, field, "must be one line of at most 200 characters")
			}
			s.Description = d
		case "packages":
			if v.Kind != yaml.MappingNode {
				pkgs, err := p.packages(v, field)
				s.Packages = pkgs
				return err
			}
			// Per guest family: each family the workload supports, by
			// its own package names.
			c.packagesByGuest = map[Guest][]string{}
			var known []string
			for _, g := range Guests() {
				known = append(known, string(g))
			}
			return p.fields(v, field, known, nil, func(k string, v *yaml.Node, field string) error {
				pkgs, err := p.packages(v, field)
				c.packagesByGuest[Guest(k)] = pkgs
				return err
			})
		case "chaos":
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
				return p.errf(v, field, "must be true or false")
			}
			s.Chaos = v.Value == "true"
		case "roles":
			return p.roles(s, c.unitLines, v, field)
		case "service":
			serviceNode = v
		case "params":
			return p.params(s, v, field)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.Description == "" {
		s.Description = "custom workload from " + dir
	}
	if serviceNode != nil {
		if err := p.service(s, serviceNode, "service"); err != nil {
			return nil, err
		}
	}
	if c.packagesByGuest != nil {
		// Listings show the default family's names.
		s.Packages = c.packagesByGuest[DefaultGuest]
	}
	if s.NeedsDataDisk() {
		// mkfs.ext4, for virtwork-mount-data-disk; the same name everywhere.
		if !slices.Contains(s.Packages, "e2fsprogs") {
			s.Packages = append(s.Packages, "e2fsprogs")
		}
		for g, pkgs := range c.packagesByGuest {
			if !slices.Contains(pkgs, "e2fsprogs") {
				c.packagesByGuest[g] = append(pkgs, "e2fsprogs")
			}
		}
	}
	for i := range s.Params {
		s.Params[i].Env = "VIRTWORK_PARAM_" + strings.ToUpper(strings.ReplaceAll(s.Params[i].Name, "-", "_"))
	}
	if err := c.loadFiles(fsys, p); err != nil {
		return nil, err
	}
	return c, nil
}

func (p specParser) packages(n *yaml.Node, field string) ([]string, error) {
	var out []string
	err := p.list(n, field, func(_ int, v *yaml.Node, field string) error {
		pkg, err := p.str(v, field)
		if err != nil {
			return err
		}
		if !packageName.MatchString(pkg) {
			return p.errf(v, field, "%q is not a package name (letters, digits and + . _ -)", pkg)
		}
		out = append(out, pkg)
		return nil
	})
	return out, err
}

func (p specParser) roles(s *Spec, unitLines map[string]int, n *yaml.Node, field string) error {
	if n.Kind == yaml.SequenceNode && (len(n.Content) == 0 || len(n.Content) > maxCustomRoles) {
		return p.errf(n, field, "must list 1 to %d roles", maxCustomRoles)
	}
	diskSize := ""
	return p.list(n, field, func(_ int, v *yaml.Node, field string) error {
		var r Role
		var unitNode *yaml.Node
		err := p.fields(v, field, []string{"name", "unit", "count", "data_disk"}, []string{"name", "unit"}, func(k string, v *yaml.Node, field string) error {
			switch k {
			case "name":
				name, err := p.str(v, field)
				if err != nil {
					return err
				}
				if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 || len(name) > 15 {
					return p.errf(v, field, "%q must be a DNS-1123 label of at most 15 characters", name)
				}
				if _, dup := s.Role(name); dup {
					return p.errf(v, field, "role %q is declared twice", name)
				}
				r.Name = name
			case "unit":
				u, err := p.str(v, field)
				if err != nil {
					return err
				}
				if !customFileName.MatchString(u) || path.Ext(u) != ".service" {
					return p.errf(v, field, "%q must be a virtwork-*.service file of this workload", u)
				}
				r.Unit, unitNode = u, v
			case "count":
				n, err := p.integer(v, field, 1, maxRoleCount)
				if err != nil {
					return err
				}
				r.Count = int(n)
			case "data_disk":
				d, err := p.dataDisk(v, field, &diskSize)
				if err != nil {
					return err
				}
				r.DataDisk = d
			}
			return nil
		})
		if err != nil {
			return err
		}
		unitLines[r.Name] = unitNode.Line
		s.Roles = append(s.Roles, r)
		return nil
	})
}

func (p specParser) dataDisk(n *yaml.Node, field string, size *string) (*DataDisk, error) {
	d := &DataDisk{Serial: dataDiskSerial}
	err := p.fields(n, field, []string{"mount_point", "serial", "size"}, []string{"mount_point"}, func(k string, v *yaml.Node, field string) error {
		val, err := p.str(v, field)
		if err != nil {
			return err
		}
		switch k {
		case "mount_point":
			if !mountPath.MatchString(val) || path.Clean(val) != val || slices.Contains(systemDirs, val) || strings.Contains(val, "/..") || strings.Contains(val, "/./") {
				return p.errf(v, field, "%q must be an absolute path of plain names, not a system directory such as /, /var or /usr", val)
			}
			d.MountPoint = val
		case "serial":
			if !serialName.MatchString(val) || len(val) > maxSerial {
				return p.errf(v, field, "%q must be 1-%d letters, digits, '-' or '_'", val, maxSerial)
			}
			d.Serial = val
		case "size":
			q, err := resource.ParseQuantity(val)
			lo, hi := resource.MustParse(minCustomDisk), resource.MustParse(maxCustomDisk)
			if err != nil || q.Cmp(lo) < 0 || q.Cmp(hi) > 0 {
				return p.errf(v, field, "%q must be a Kubernetes quantity between %s and %s", val, minCustomDisk, maxCustomDisk)
			}
			if *size != "" && *size != q.String() {
				return p.errf(v, field, "%q differs from another role's %s: a workload's data disks share one size (the disk-size setting)", val, *size)
			}
			*size = q.String()
			d.Size = q.String()
		}
		return nil
	})
	return d, err
}

func (p specParser) service(s *Spec, n *yaml.Node, field string) error {
	svc := &Service{}
	err := p.fields(n, field, []string{"role", "clients", "ports"}, []string{"role", "ports"}, func(k string, v *yaml.Node, field string) error {
		switch k {
		case "role":
			role, err := p.str(v, field)
			if err != nil {
				return err
			}
			if _, ok := s.Role(role); !ok {
				return p.errf(v, field, "no role named %q (roles: %s)", role, strings.Join(roleNames(s), ", "))
			}
			svc.Role = role
		case "clients":
			return p.list(v, field, func(_ int, v *yaml.Node, field string) error {
				role, err := p.str(v, field)
				if err != nil {
					return err
				}
				if _, ok := s.Role(role); !ok {
					return p.errf(v, field, "no role named %q (roles: %s)", role, strings.Join(roleNames(s), ", "))
				}
				svc.ClientRoles = append(svc.ClientRoles, role)
				return nil
			})
		case "ports":
			if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				return p.errf(v, field, "must list at least one port")
			}
			return p.list(v, field, func(_ int, v *yaml.Node, field string) error {
				sp := ServicePort{Protocol: "TCP"}
				err := p.fields(v, field, []string{"name", "port", "protocol"}, []string{"name", "port"}, func(k string, v *yaml.Node, field string) error {
					switch k {
					case "name":
						name, err := p.str(v, field)
						if err != nil {
							return err
						}
						if msgs := validation.IsValidPortName(name); len(msgs) > 0 {
							return p.errf(v, field, "%q is not a port name: %s", name, msgs[0])
						}
						sp.Name = name
					case "port":
						port, err := p.integer(v, field, 1, 65535)
						if err != nil {
							return err
						}
						sp.Port = int32(port)
					case "protocol":
						proto, err := p.str(v, field)
						if err != nil {
							return err
						}
						if proto != "TCP" && proto != "UDP" {
							return p.errf(v, field, "must be TCP or UDP, got %q", proto)
						}
						sp.Protocol = proto
					}
					return nil
				})
				if err != nil {
					return err
				}
				for _, o := range svc.Ports {
					if o.Name == sp.Name || (o.Port == sp.Port && o.Protocol == sp.Protocol) {
						return p.errf(v, field, "port %s (%d/%s) repeats another port's name or number", sp.Name, sp.Port, sp.Protocol)
					}
				}
				svc.Ports = append(svc.Ports, sp)
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if slices.Contains(svc.ClientRoles, svc.Role) {
		return p.errf(n, field+".clients", "the Service's own role %q cannot be its client", svc.Role)
	}
	s.Service = svc
	return nil
}

func roleNames(s *Spec) []string {
	var out []string
	for _, r := range s.Roles {
		out = append(out, r.Name)
	}
	return out
}

func (p specParser) params(s *Spec, n *yaml.Node, field string) error {
	return p.list(n, field, func(_ int, v *yaml.Node, field string) error {
		ps := ParamSpec{}
		var nodes = map[string]*yaml.Node{}
		err := p.fields(v, field, []string{"name", "type", "default", "min", "max", "values", "description"}, []string{"name", "type", "default"}, func(k string, v *yaml.Node, field string) error {
			nodes[k] = v
			if k == "values" {
				return p.list(v, field, func(_ int, v *yaml.Node, field string) error {
					val, err := p.str(v, field)
					if err != nil {
						return err
					}
					if !safeString.MatchString(val) {
						return p.errf(v, field, "%q must be 1-63 letters, digits, '.', '_' or '-' starting with a letter or digit", val)
					}
					if slices.Contains(ps.Allowed, val) {
						return p.errf(v, field, "%q is listed twice", val)
					}
					ps.Allowed = append(ps.Allowed, val)
					return nil
				})
			}
			val, err := p.str(v, field)
			if err != nil {
				return err
			}
			switch k {
			case "name":
				if !paramName.MatchString(val) || len(val) > 32 {
					return p.errf(v, field, "%q must be kebab-case (lowercase letters, digits, single '-'), at most 32 characters", val)
				}
				if _, dup := s.Param(val); dup {
					return p.errf(v, field, "param %q is declared twice", val)
				}
				ps.Name = val
			case "type":
				switch t := ParamType(val); t {
				case Int, Size, Enum, String:
					ps.Type = t
				default:
					return p.errf(v, field, "must be int, size, enum or string, got %q", val)
				}
			case "default":
				ps.Default = val
			case "description":
				if strings.ContainsAny(val, "\n\r\t") || len(val) > 200 {
					return p.errf(v, field, "must be one line of at most 200 characters")
				}
				ps.Description = val
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := p.paramRange(&ps, nodes, field); err != nil {
			return err
		}
		if _, err := ps.Parse(ps.Default); err != nil {
			return p.errf(nodes["default"], field+".default", "%v", err)
		}
		s.Params = append(s.Params, ps)
		return nil
	})
}

// paramRange reads min and max (int and size params need both) and values
// (enum params need it); other combinations are errors.
func (p specParser) paramRange(ps *ParamSpec, nodes map[string]*yaml.Node, field string) error {
	ranged := ps.Type == Int || ps.Type == Size
	for _, k := range []string{"min", "max"} {
		n, ok := nodes[k]
		if !ok {
			if ranged {
				return p.errf(nodes["type"], field, "a %s param needs %s", ps.Type, k)
			}
			continue
		}
		if !ranged {
			return p.errf(n, field+"."+k, "only int and size params take a range")
		}
		var v int64
		var err error
		if ps.Type == Int {
			v, err = strconv.ParseInt(n.Value, 10, 64)
		} else {
			v, err = ParseSize(n.Value)
		}
		if err != nil {
			return p.errf(n, field+"."+k, "%q is not a %s", n.Value, ps.Type)
		}
		if k == "min" {
			ps.Min = v
		} else {
			ps.Max = v
		}
	}
	if ranged && ps.Min > ps.Max {
		return p.errf(nodes["max"], field+".max", "is below min")
	}
	if n, ok := nodes["values"]; ok && ps.Type != Enum {
		return p.errf(n, field+".values", "only enum params take values")
	}
	if ps.Type == Enum && len(ps.Allowed) == 0 {
		return p.errf(nodes["type"], field, "an enum param needs a non-empty values list")
	}
	return nil
}

// loadFiles reads the unit and script templates next to workload.yaml and
// checks every name and placeholder.
func (c *Custom) loadFiles(fsys fs.FS, p specParser) error {
	des, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return fmt.Errorf("%s: cannot read: %w", c.Dir, unwrapPath(err))
	}
	var declared []string
	for _, ps := range c.spec.Params {
		declared = append(declared, ps.Name)
	}
	for _, de := range des {
		name := de.Name()
		if name == SpecFile {
			continue
		}
		file := path.Join(c.Dir, name)
		if !de.Type().IsRegular() {
			return fmt.Errorf("%s: must be a regular file (no directories or symlinks in a workload directory)", file)
		}
		dest, mode, ok := customDest(name)
		if !ok || !customFileName.MatchString(name) {
			return fmt.Errorf("%s: file name must be virtwork-<name>.service, .timer or .sh (lowercase letters, digits, '-'), so it cannot replace a system unit or command", file)
		}
		if slices.Contains(reservedFiles, name) {
			return fmt.Errorf("%s: %s is installed by virtwork itself for data disks; choose another name", file, name)
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("%s: cannot read: %w", file, unwrapPath(err))
		}
		if len(data) > maxCustomFileSize {
			return fmt.Errorf("%s: %d bytes, over the %d-byte limit for a template", file, len(data), maxCustomFileSize)
		}
		if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
			return fmt.Errorf("%s: must be UTF-8 text", file)
		}
		parts, err := splitPlaceholders(string(data), file, declared)
		if err != nil {
			return err
		}
		c.files = append(c.files, customFile{name: name, dest: dest, mode: mode, parts: parts})
	}
	for _, r := range c.spec.Roles {
		if !slices.ContainsFunc(c.files, func(f customFile) bool { return f.name == r.Unit }) {
			return p.errf(&yaml.Node{Line: c.unitLines[r.Name]}, "roles."+r.Name+".unit", "%s is not a file in %s", r.Unit, c.Dir)
		}
	}
	return nil
}

// splitPlaceholders splits a template at its {{ param }} placeholders; a
// placeholder must name a declared param.
func splitPlaceholders(text, file string, declared []string) ([]string, error) {
	var parts []string
	line := 1
	for {
		i := strings.Index(text, "{{")
		if i < 0 {
			return append(parts, text), nil
		}
		line += strings.Count(text[:i], "\n")
		m := placeholder.FindStringSubmatch(text[i:])
		if m == nil {
			return nil, fmt.Errorf("%s:%d: \"{{\" must start a placeholder {{ param-name }} on one line", file, line)
		}
		if !slices.Contains(declared, m[1]) {
			known := "none declared"
			if len(declared) > 0 {
				known = "declared: " + strings.Join(declared, ", ")
			}
			return nil, fmt.Errorf("%s:%d: placeholder %s names no param of the workload%s (%s)", file, line, m[0], suggest.DidYouMean(m[1], declared), known)
		}
		parts = append(parts, text[:i], m[1])
		text = text[i+len(m[0]):]
	}
}
