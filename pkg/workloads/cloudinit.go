package workloads

import (
	"fmt"
	"path"
	"strings"

	"github.com/virtwork/kubectl-virtwork/templates"
)

// CloudConfig is the workload's part of a VM's #cloud-config: render adds
// users and SSH settings around it.
type CloudConfig struct {
	Packages   []string
	WriteFiles []File
	RunCmd     [][]string
}

// File is a cloud-init write_files entry.
type File struct {
	Path        string
	Permissions string
	Content     string
}

// Guest paths shared by every workload.
const (
	guestBinDir  = "/usr/local/bin"
	guestUnitDir = "/etc/systemd/system"
	guestEnvDir  = "/etc/virtwork"
)

// EnvFilePath is where a workload's EnvironmentFile lives in the guest.
func EnvFilePath(workload string) string { return path.Join(guestEnvDir, workload+".env") }

// guestFile is one file of templates/lib installed into the guest.
type guestFile struct {
	src  string // path under templates/
	dest string
	mode string
}

// mountDataDisk is the shared setup script that formats and mounts a data
// disk; every role with a data disk gets it first.
var mountDataDisk = guestFile{src: "lib/virtwork-mount-data-disk.sh", dest: path.Join(guestBinDir, "virtwork-mount-data-disk"), mode: "0755"}

// EnvVar is one line of a workload's EnvironmentFile.
type EnvVar struct{ Name, Value string }

// templateFile reads one file of the embedded template tree.
func templateFile(src string) (string, error) {
	content, err := templates.FS.ReadFile(src)
	if err != nil {
		return "", fmt.Errorf("reading template %s: %w", src, err)
	}
	return string(content), nil
}

// assembleFiles builds a CloudConfig that installs files, writes the
// workload's EnvironmentFile and enables and starts startUnit. Values in
// env are validated (canonical params, constants checked at load, names
// render derived); it checks them once more so that no newline or quote can
// ever reach the file. hostVars name the lines the guest adds at first boot.
func assembleFiles(workload string, packages []string, env []EnvVar, hostVars []string, startUnit string, files []File) (CloudConfig, error) {
	cc := CloudConfig{Packages: packages}
	var b strings.Builder
	b.WriteString("# Written by kubectl-virtwork; read by the virtwork-* units.\n")
	for _, v := range hostVars {
		fmt.Fprintf(&b, "# %s, this VM's Service host, is added at first boot by %s.\n", v, serviceHostScript.dest)
	}
	for _, e := range env {
		if !envSafe(e.Value) {
			return CloudConfig{}, fmt.Errorf("workload %s: value of %s contains characters not allowed in an EnvironmentFile: %q", workload, e.Name, e.Value)
		}
		fmt.Fprintf(&b, "%s=%s\n", e.Name, e.Value)
	}
	cc.WriteFiles = append(cc.WriteFiles, File{Path: EnvFilePath(workload), Permissions: "0644", Content: b.String()})
	cc.WriteFiles = append(cc.WriteFiles, files...)
	cc.RunCmd = [][]string{
		{"systemctl", "daemon-reload"},
		// --no-block: runcmd runs inside cloud-final; waiting for the unit
		// from there can deadlock the boot.
		{"systemctl", "enable", "--now", "--no-block", startUnit},
	}
	return cc, nil
}

// envSafe reports whether v can be written unquoted in an EnvironmentFile and
// used as one shell word: letters, digits and . _ - / : only.
func envSafe(v string) bool {
	if v == "" {
		return false
	}
	for _, r := range v {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '.', r == '_', r == '-', r == '/', r == ':':
		default:
			return false
		}
	}
	return true
}
