// Package lint runs the real validators over what a guest receives: the
// cloud-init user-data (cloud-init schema), its systemd units
// (systemd-analyze verify) and its shell scripts (shellcheck). It backs
// `kubectl virtwork validate` and the tests of the built-in workloads, so a
// custom workload passes exactly the checks the built-in ones pass. A tool
// that is not installed is reported as skipped, never as passed.
package lint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// Status is the outcome of one check.
type Status string

// The statuses of a check.
const (
	OK      Status = "ok"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// Result is one validator's verdict on one user-data document.
type Result struct {
	// Check names the validator ("cloud-init schema").
	Check  string
	Status Status
	// Detail is the validator's output on failure, or why it was skipped.
	Detail string
}

// File is a write_files entry as cloud-init reads it.
type File struct {
	Path        string `json:"path"`
	Permissions string `json:"permissions"`
	Content     string `json:"content"`
}

// CloudConfig is the part of a #cloud-config the validators look at.
type CloudConfig struct {
	WriteFiles []File     `json:"write_files"`
	RunCmd     [][]string `json:"runcmd"`
}

// Parse reads a #cloud-config document.
func Parse(userData []byte) (CloudConfig, error) {
	var cc CloudConfig
	if err := yaml.Unmarshal(userData, &cc); err != nil {
		return CloudConfig{}, fmt.Errorf("user-data is not YAML: %w", err)
	}
	return cc, nil
}

// Units lists the systemd units among the files.
func (cc CloudConfig) Units() []File {
	var out []File
	for _, f := range cc.WriteFiles {
		if ext := path.Ext(f.Path); (ext == ".service" || ext == ".timer") && strings.HasPrefix(f.Path, "/etc/systemd/system/") {
			out = append(out, f)
		}
	}
	return out
}

// Scripts lists the shell scripts among the files (by their #! line).
func (cc CloudConfig) Scripts() []File {
	var out []File
	for _, f := range cc.WriteFiles {
		first, _, _ := strings.Cut(f.Content, "\n")
		if strings.HasPrefix(first, "#!") && (strings.HasSuffix(first, "/sh") || strings.HasSuffix(first, "bash")) {
			out = append(out, f)
		}
	}
	return out
}

// UserData runs every validator on one user-data document. work is a
// scratch directory the caller owns and removes.
func UserData(ctx context.Context, work string, userData []byte) []Result {
	cc, err := Parse(userData)
	if err != nil {
		return []Result{{Check: "cloud-init schema", Status: Failed, Detail: err.Error()}}
	}
	return []Result{
		cloudInitSchema(ctx, work, userData),
		systemdVerify(ctx, work, cc),
		shellcheck(ctx, work, cc),
	}
}

func run(ctx context.Context, name string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

func missing(tool string) (string, bool) {
	p, err := exec.LookPath(tool)
	if err != nil {
		return "", true
	}
	return p, false
}

func cloudInitSchema(ctx context.Context, work string, userData []byte) Result {
	const check = "cloud-init schema"
	ci, gone := missing("cloud-init")
	if gone {
		return Result{Check: check, Status: Skipped, Detail: "cloud-init is not installed"}
	}
	p := filepath.Join(work, "user-data")
	if err := os.WriteFile(p, userData, 0o600); err != nil {
		return Result{Check: check, Status: Failed, Detail: err.Error()}
	}
	out, err := run(ctx, ci, "schema", "-c", p)
	if err != nil || !strings.Contains(out, "Valid cloud-config") {
		return Result{Check: check, Status: Failed, Detail: strings.TrimSpace(out)}
	}
	return Result{Check: check, Status: OK}
}

// systemdVerify writes the files into a root next to a copy of the host's
// unit tree and verifies the units there. Commands a unit runs that the
// root lacks (they come from the guest's packages) are stubbed, so the
// check is about the units' syntax and references, not about this host.
func systemdVerify(ctx context.Context, work string, cc CloudConfig) Result {
	const check = "systemd-analyze verify"
	units := cc.Units()
	if len(units) == 0 {
		return Result{Check: check, Status: Failed, Detail: "no systemd unit in the user-data"}
	}
	sa, gone := missing("systemd-analyze")
	if gone {
		return Result{Check: check, Status: Skipped, Detail: "systemd-analyze is not installed"}
	}
	root := filepath.Join(work, "root")
	if err := WriteRoot(ctx, root, cc.WriteFiles); err != nil {
		return Result{Check: check, Status: Failed, Detail: err.Error()}
	}
	for _, u := range units {
		for _, cmd := range execPaths(u.Content) {
			p := filepath.Join(root, cmd)
			if _, err := os.Stat(p); err == nil {
				continue
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return Result{Check: check, Status: Failed, Detail: err.Error()}
			}
			if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
				return Result{Check: check, Status: Failed, Detail: err.Error()}
			}
		}
	}
	args := []string{"verify", "--root=" + root}
	for _, u := range units {
		args = append(args, filepath.Join(root, u.Path))
	}
	// systemd-analyze exits 0 on some warnings; any output is a failure.
	out, err := run(ctx, sa, args...)
	if err != nil || strings.TrimSpace(out) != "" {
		return Result{Check: check, Status: Failed, Detail: strings.TrimSpace(strings.ReplaceAll(out, root, ""))}
	}
	return Result{Check: check, Status: OK}
}

// execPaths lists the absolute commands of a unit's Exec* lines.
func execPaths(unit string) []string {
	var out []string
	for _, line := range strings.Split(unit, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || !strings.HasPrefix(k, "Exec") {
			continue
		}
		cmd := strings.TrimLeft(strings.Fields(v + " x")[0], "-@:+!|")
		if strings.HasPrefix(cmd, "/") && !slices.Contains(out, cmd) {
			out = append(out, cmd)
		}
	}
	return out
}

// WriteRoot writes files under root, next to a copy of the host's systemd
// unit tree, so that systemd-analyze --root sees what a guest would.
func WriteRoot(ctx context.Context, root string, files []File) error {
	sys := filepath.Join(root, "usr/lib/systemd")
	if err := os.MkdirAll(sys, 0o755); err != nil {
		return err
	}
	if out, err := run(ctx, "cp", "-r", "/usr/lib/systemd/system", filepath.Join(sys, "system")); err != nil {
		return fmt.Errorf("copying the host's systemd unit tree: %v: %s", err, out)
	}
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(path.Clean("/"+f.Path)))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if f.Permissions == "0755" {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(f.Content), mode); err != nil {
			return err
		}
	}
	return nil
}

func shellcheck(ctx context.Context, work string, cc CloudConfig) Result {
	const check = "shellcheck"
	scripts := cc.Scripts()
	if len(scripts) == 0 {
		return Result{Check: check, Status: OK, Detail: "no scripts"}
	}
	sc, gone := missing("shellcheck")
	if gone {
		return Result{Check: check, Status: Skipped, Detail: "shellcheck is not installed"}
	}
	dir := filepath.Join(work, "scripts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{Check: check, Status: Failed, Detail: err.Error()}
	}
	var failures []string
	for _, s := range scripts {
		p := filepath.Join(dir, path.Base(s.Path))
		if err := os.WriteFile(p, []byte(s.Content), 0o644); err != nil {
			return Result{Check: check, Status: Failed, Detail: err.Error()}
		}
		out, err := run(ctx, sc, "--severity=style", p)
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			return Result{Check: check, Status: Failed, Detail: err.Error()}
		}
		if err != nil {
			failures = append(failures, s.Path+":\n"+strings.TrimSpace(strings.ReplaceAll(out, p, s.Path)))
		}
	}
	if len(failures) > 0 {
		return Result{Check: check, Status: Failed, Detail: strings.Join(failures, "\n")}
	}
	return Result{Check: check, Status: OK}
}

// Summary joins results into one line: "cloud-init schema ok, ...".
func Summary(rs []Result) string {
	var b bytes.Buffer
	for i, r := range rs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", r.Check, r.Status)
	}
	return b.String()
}
