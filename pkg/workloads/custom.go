package workloads

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Custom is a workload defined by a directory (see LoadDir) instead of Go
// code: a workload.yaml plus its unit and script templates. Its templates
// were checked when it was loaded; every placeholder in them names one of
// its params, so CloudConfig can only fail on a value that bypassed the
// param's validation.
type Custom struct {
	spec Spec
	// Dir is where it was loaded from, for listings and messages.
	Dir   string
	files []customFile
	// packagesByGuest, when the workload names its packages per guest
	// family, holds them; families it does not list cannot run it.
	packagesByGuest map[Guest][]string
	// Lines of workload.yaml, for messages after parsing.
	nameLine  int
	unitLines map[string]int
}

// customFile is one template of a custom workload, split at its
// placeholders.
type customFile struct {
	name string // the file's name in the workload's directory
	dest string
	mode string
	// parts alternate literal text and param names: parts[0] is text,
	// parts[1] a param, parts[2] text, and so on.
	parts []string
}

// Spec implements Workload.
func (c *Custom) Spec() Spec { return c.spec }

// CloudConfig implements Workload. Every VM of the workload receives all of
// its files; the role decides which unit starts and which settings (the
// data disk, the Service host) its EnvironmentFile carries.
func (c *Custom) CloudConfig(in Instance) (CloudConfig, error) {
	s := c.spec
	role, ok := s.Role(in.Role)
	if !ok {
		return CloudConfig{}, fmt.Errorf("workload %s: unknown role %q", s.Name, in.Role)
	}
	env := paramEnv(s, in.Params)
	if in.ServiceHost != "" {
		env = append(env, EnvVar{"VIRTWORK_SERVICE_HOST", in.ServiceHost})
	}
	var files []File
	if role.DataDisk != nil {
		env = append(env, role.DataDisk.env()...)
		content, err := templateFile(mountDataDisk.src)
		if err != nil {
			return CloudConfig{}, err
		}
		files = append(files, File{Path: mountDataDisk.dest, Permissions: mountDataDisk.mode, Content: content})
	}
	for _, f := range c.files {
		var b strings.Builder
		for i, p := range f.parts {
			if i%2 == 0 {
				b.WriteString(p)
				continue
			}
			v, ok := in.Params[p]
			if !ok || !envSafe(v) {
				return CloudConfig{}, fmt.Errorf("workload %s: %s: param %s has no safe value (%q)", s.Name, f.name, p, v)
			}
			b.WriteString(v)
		}
		files = append(files, File{Path: f.dest, Permissions: f.mode, Content: b.String()})
	}
	return assembleFiles(s.Name, s.Packages, env, role.Unit, files)
}

// PackagesFor implements guestPackager: the workload's own list for the
// family, or its one list mapped like the built-in workloads' names.
func (c *Custom) PackagesFor(g Guest) ([]string, error) {
	if c.packagesByGuest == nil {
		return g.Packages(c.spec.Packages)
	}
	pkgs, ok := c.packagesByGuest[g]
	if !ok {
		return nil, fmt.Errorf("its workload.yaml lists packages for no %s guest", g)
	}
	return slices.Clone(pkgs), nil
}

// customDest is where a custom workload's file goes in the guest, and with
// what mode: units to the systemd unit directory, scripts (without .sh) to
// /usr/local/bin. ok is false for any other kind of file.
func customDest(name string) (dest, mode string, ok bool) {
	switch path.Ext(name) {
	case ".service", ".timer":
		return path.Join(guestUnitDir, name), "0644", true
	case ".sh":
		return path.Join(guestBinDir, strings.TrimSuffix(name, ".sh")), "0755", true
	}
	return "", "", false
}
