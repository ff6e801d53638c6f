package workloads

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/virtwork/kubectl-virtwork/pkg/yamlfile"
)

// checkPackagesScript is what every workload unit runs first: it fails,
// naming them, when packages the unit needs are not installed, whether
// cloud-init's install failed or a --preinstalled image lacks them.
var checkPackagesScript = guestFile{src: "lib/virtwork-check-packages.sh", dest: path.Join(guestBinDir, "virtwork-check-packages"), mode: "0755"}

// serviceSection is the line after which the check goes, so that it runs
// before any ExecStartPre of the unit's own.
const serviceSection = "[Service]"

// readNeeds reads needs: per service unit of the directory, which of the
// workload's packages it needs; a unit not listed needs them all. The
// units are checked against the directory's files by checkNeeds, the
// names against packages by checkNeedNames.
func (l *loader) readNeeds(n yamlfile.Node) error {
	l.d.needs, l.needs = map[string][]string{}, map[string]yamlfile.Node{}
	return n.Each(func(k, v yamlfile.Node) error {
		unit := k.Value()
		if !customFileName.MatchString(unit) || path.Ext(unit) != ".service" {
			return k.Errorf("%q must be a virtwork-*.service file of this workload", unit)
		}
		pkgs, err := packageList(v)
		l.d.needs[unit], l.needs[unit] = pkgs, v
		return err
	})
}

// checkNeedNames: each package a unit needs is one the workload installs,
// on some guest family for a workload that names them per family.
func (l *loader) checkNeedNames() error {
	d := l.d
	for unit, pkgs := range d.needs {
		for _, p := range pkgs {
			known := slices.Contains(d.spec.Packages, p)
			for _, fam := range d.packagesByGuest {
				known = known || slices.Contains(fam, p)
			}
			if !known {
				return l.needs[unit].Errorf("%s needs %s, which is not among the workload's packages", unit, p)
			}
		}
	}
	return nil
}

// checkNeeds: each unit needs lists is a file of the directory, and every
// service unit has the [Service] line the check goes after.
func (l *loader) checkNeeds() error {
	for unit, n := range l.needs {
		if !slices.ContainsFunc(l.d.files, func(f dirFile) bool { return f.name == unit }) {
			return n.Errorf("%s is not a file in %s", unit, l.d.Dir)
		}
	}
	for _, f := range l.d.files {
		if isService(f) && !slices.ContainsFunc(strings.Split(strings.Join(f.parts, ""), "\n"), isServiceSection) {
			return fmt.Errorf("%s: a service unit needs a %s section", path.Join(l.d.Dir, f.name), serviceSection)
		}
	}
	return nil
}

func isService(f dirFile) bool { return path.Ext(f.name) == ".service" }

func isServiceSection(line string) bool { return strings.TrimSpace(line) == serviceSection }

// unitPackages returns the packages unit needs on a guest of family g, by
// that family's names.
func (d *Definition) unitPackages(unit string, g Guest) ([]string, error) {
	need, listed := d.needs[unit]
	if d.packagesByGuest == nil {
		if !listed {
			need = d.spec.Packages
		}
		return g.Packages(need)
	}
	pkgs, err := d.PackagesFor(g)
	if err != nil || !listed {
		return pkgs, err
	}
	return slices.DeleteFunc(slices.Clone(need), func(p string) bool { return !slices.Contains(pkgs, p) }), nil
}

// withPackageCheck returns a unit with the check of pkgs as the first
// command of its [Service] section; a unit that needs no package is left
// as it is. The names are checked once more, as envSafe values are, so
// that nothing but one word each can reach the ExecStartPre line.
func withPackageCheck(unit string, pkgs []string, preinstalled bool) (string, error) {
	if len(pkgs) == 0 {
		return unit, nil
	}
	args := []string{checkPackagesScript.dest}
	if preinstalled {
		args = append(args, "--preinstalled")
	}
	for _, p := range pkgs {
		if !packageName.MatchString(p) {
			return "", fmt.Errorf("package name %q may only hold letters, digits and + . _ -", p)
		}
		args = append(args, p)
	}
	lines := strings.SplitAfter(unit, "\n")
	i := slices.IndexFunc(lines, isServiceSection)
	if i < 0 {
		return "", fmt.Errorf("the unit has no %s section", serviceSection)
	}
	// One line, so that the unit's own lines move by one only (validate
	// reports the rendered unit's line numbers).
	check := "ExecStartPre=" + strings.Join(args, " ") + "\n"
	if !strings.HasSuffix(lines[i], "\n") {
		lines[i] += "\n"
	}
	return strings.Join(slices.Insert(lines, i+1, check), ""), nil
}

// unitFiles fills the role's files with the Instance's params and adds the
// package check to its service units, with the script they run.
func (d *Definition) unitFiles(setup roleSetup, in Instance) ([]File, error) {
	g := in.Guest
	if g == "" {
		g = DefaultGuest
	}
	var files []File
	checked := false
	for _, fi := range setup.files {
		f := d.files[fi]
		content, err := f.fill(in.Params)
		if err != nil {
			return nil, fmt.Errorf("workload %s: %w", d.spec.Name, err)
		}
		if isService(f) {
			pkgs, err := d.unitPackages(f.name, g)
			if err != nil {
				return nil, fmt.Errorf("workload %s cannot run on a %s guest: %w", d.spec.Name, g, err)
			}
			if content, err = withPackageCheck(content, pkgs, in.Preinstalled); err != nil {
				return nil, fmt.Errorf("workload %s: %s: %w", d.spec.Name, f.name, err)
			}
			checked = checked || len(pkgs) > 0
		}
		for _, dest := range f.dests {
			files = append(files, File{Path: dest, Permissions: f.mode, Content: content})
		}
	}
	if !checked {
		return files, nil
	}
	script, err := templateFile(checkPackagesScript.src)
	if err != nil {
		return nil, err
	}
	return append([]File{{Path: checkPackagesScript.dest, Permissions: checkPackagesScript.mode, Content: script}}, files...), nil
}
