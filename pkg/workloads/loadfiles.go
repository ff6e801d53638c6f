package workloads

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/virtwork/kubectl-virtwork/pkg/suggest"
	"github.com/virtwork/kubectl-virtwork/pkg/yamlfile"
)

// readDropIns reads drop_ins: files of the directory installed as drop-ins
// of other service units (<unit>.d/<file>), such as a distribution's
// postgresql.service.
func (l *loader) readDropIns(n yamlfile.Node) error {
	return n.List(func(_ int, v yamlfile.Node) error {
		var name string
		var units []string
		err := v.Mapping([]string{"file", "units"}, func(k string, v yamlfile.Node) error {
			if k == "file" {
				var err error
				if name, err = v.String(); err != nil {
					return err
				}
				if !dropInName.MatchString(name) {
					return v.Errorf("%q must be a <name>.conf file whose name holds the word virtwork (lowercase letters, digits, '-'), so it cannot replace another package's drop-in", name)
				}
				return nil
			}
			if v.IsList() && v.Len() == 0 {
				return v.Errorf("must list at least one unit")
			}
			return v.List(func(_ int, v yamlfile.Node) error {
				u, err := v.String()
				if err != nil {
					return err
				}
				if !serviceUnit.MatchString(u) || len(u) > 100 {
					return v.Errorf("%q must be the name of a service unit, such as postgresql.service or postgresql@.service", u)
				}
				units = append(units, u)
				return nil
			})
		})
		if err != nil {
			return err
		}
		if err := v.Require("file", "units"); err != nil {
			return err
		}
		var dests []string
		for _, u := range units {
			dests = append(dests, path.Join(guestUnitDir, u+".d", name))
		}
		return l.declare(v, name, dests)
	})
}

// readDataFiles reads data_files: files of the directory installed
// read-only in a directory of their own under /etc/virtwork.
func (l *loader) readDataFiles(n yamlfile.Node) error {
	return n.List(func(_ int, v yamlfile.Node) error {
		var name, dir string
		err := v.Mapping([]string{"file", "dir"}, func(k string, v yamlfile.Node) error {
			val, err := v.String()
			switch {
			case err != nil:
				return err
			case k == "file" && (!dataFileName.MatchString(val) || slices.Contains([]string{".service", ".timer", ".sh"}, path.Ext(val))):
				return v.Errorf("%q must be virtwork-<name>.<ext> (lowercase letters, digits, '-'), not a unit or script", val)
			case k == "dir" && (!dataDir.MatchString(val) || path.Clean(val) != val):
				return v.Errorf("%q must be a directory under /etc/virtwork, such as /etc/virtwork/fio", val)
			case k == "file":
				name = val
			default:
				dir = val
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := v.Require("file", "dir"); err != nil {
			return err
		}
		return l.declare(v, name, []string{path.Join(dir, name)})
	})
}

func (l *loader) declare(v yamlfile.Node, name string, dests []string) error {
	if _, dup := l.installs[name]; dup {
		return v.Errorf("%s is declared twice in drop_ins and data_files", name)
	}
	l.installs[name] = install{node: v, dests: dests}
	return nil
}

// loadFiles reads the files next to workload.yaml, checks every name and
// placeholder, and resolves which files each role gets.
func (l *loader) loadFiles(fsys fs.FS, spec []byte) error {
	d := l.d
	des, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return fmt.Errorf("%s: cannot read: %w", d.Dir, unwrapPath(err))
	}
	var declared []string
	for _, ps := range d.spec.Params {
		declared = append(declared, ps.Name)
	}
	sum := sha256.New()
	sum.Write(spec)
	for _, de := range des {
		name := de.Name()
		if name == SpecFile {
			continue
		}
		f, data, err := l.readFile(fsys, de, declared)
		if err != nil {
			return err
		}
		fmt.Fprintf(sum, "\x00%s\x00%d\x00", name, len(data))
		sum.Write(data)
		d.files = append(d.files, f)
	}
	sum.Sum(d.sum[:0])
	for name, in := range l.installs {
		if !slices.ContainsFunc(d.files, func(f dirFile) bool { return f.name == name }) {
			return in.node.Errorf("%s is not a file in %s", name, d.Dir)
		}
	}
	if err := l.checkNeeds(); err != nil {
		return err
	}
	return l.resolveRoles()
}

// readFile reads and checks one file of the directory.
func (l *loader) readFile(fsys fs.FS, de fs.DirEntry, declared []string) (dirFile, []byte, error) {
	name := de.Name()
	file := path.Join(l.d.Dir, name)
	if !de.Type().IsRegular() {
		return dirFile{}, nil, fmt.Errorf("%s: must be a regular file (no directories or symlinks in a workload directory)", file)
	}
	f := dirFile{name: name, mode: "0644"}
	if in, ok := l.installs[name]; ok {
		f.dests = in.dests
	} else {
		dest, mode, ok := customDest(name)
		if !ok || !customFileName.MatchString(name) {
			return dirFile{}, nil, fmt.Errorf("%s: file name must be virtwork-<name>.service, .timer or .sh (lowercase letters, digits, '-'), so it cannot replace a system unit or command; other files must be declared in drop_ins or data_files", file)
		}
		f.dests, f.mode = []string{dest}, mode
	}
	if slices.Contains(reservedFiles, name) {
		return dirFile{}, nil, fmt.Errorf("%s: %s is installed by virtwork itself (data disk setup, schedule reader, Service host or package check); choose another name", file, name)
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return dirFile{}, nil, fmt.Errorf("%s: cannot read: %w", file, unwrapPath(err))
	}
	if len(data) > maxCustomFileSize {
		return dirFile{}, nil, fmt.Errorf("%s: %d bytes, over the %d-byte limit for a template", file, len(data), maxCustomFileSize)
	}
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return dirFile{}, nil, fmt.Errorf("%s: must be UTF-8 text", file)
	}
	f.parts, err = splitPlaceholders(string(data), file, declared)
	return f, data, err
}

// customDest is where a unit or script of a workload goes in the guest,
// and with what mode: units to the systemd unit directory, scripts
// (without .sh) to /usr/local/bin. ok is false for any other kind of file.
func customDest(name string) (dest, mode string, ok bool) {
	switch path.Ext(name) {
	case ".service", ".timer":
		return path.Join(guestUnitDir, name), "0644", true
	case ".sh":
		return path.Join(guestBinDir, strings.TrimSuffix(name, ".sh")), "0755", true
	}
	return "", "", false
}

// resolveRoles turns each role's files (all of the directory's when it
// lists none) into indexes, and checks that its units are among them and
// that every file goes to some role.
func (l *loader) resolveRoles() error {
	d := l.d
	used := make([]bool, len(d.files))
	for i, role := range d.spec.Roles {
		setup, rn := &d.roles[i], l.roles[i]
		if rn.files == nil {
			for j := range d.files {
				setup.files = append(setup.files, j)
			}
		}
		for _, v := range rn.files {
			name := v.Value()
			j := slices.IndexFunc(d.files, func(f dirFile) bool { return f.name == name })
			if j < 0 {
				return v.Errorf("%s is not a file in %s", name, d.Dir)
			}
			if slices.Contains(setup.files, j) {
				return v.Errorf("%s is listed twice", name)
			}
			setup.files = append(setup.files, j)
		}
		for _, j := range setup.files {
			used[j] = true
		}
		if err := l.checkUnit(setup, rn.unit, role.Unit); err != nil {
			return err
		}
		for k, u := range setup.start {
			if !customFileName.MatchString(u) || path.Ext(u) == ".sh" || u == role.Unit || slices.Index(setup.start, u) != k {
				return rn.start[k].Errorf("%q must be another virtwork-*.service or .timer of the role, listed once", u)
			}
			if err := l.checkUnit(setup, rn.start[k], u); err != nil {
				return err
			}
		}
	}
	for j, ok := range used {
		if !ok {
			return fmt.Errorf("%s: no role's files list it; add it to a role's files or remove it", path.Join(d.Dir, d.files[j].name))
		}
	}
	return nil
}

// checkUnit reports whether unit is a file of the directory that the
// role installs.
func (l *loader) checkUnit(setup *roleSetup, at yamlfile.Node, unit string) error {
	j := slices.IndexFunc(l.d.files, func(f dirFile) bool { return f.name == unit })
	if j < 0 {
		return at.Errorf("%s is not a file in %s", unit, l.d.Dir)
	}
	if !slices.Contains(setup.files, j) {
		return at.Errorf("%s is not among the role's files", unit)
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
