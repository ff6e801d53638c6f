package workloads

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// HostRule is how a client VM finds its instance's Service host from its
// own name, so that every client VM of a role gets the same user-data:
// the role's VM names are VMPrefix<i> or VMPrefix<i>-<j>, and instance
// <i>'s Service host is ServicePrefix<i>ServiceSuffix. Render builds it
// from its naming scheme; the guest applies it at first boot
// (templates/lib/virtwork-service-host.sh, which TestServiceHostScript
// holds equal to Host).
type HostRule struct {
	VMPrefix, ServicePrefix, ServiceSuffix string
}

// IsZero reports whether the rule is unset: the VM has no Service host.
func (r HostRule) IsZero() bool { return r == HostRule{} }

// hostRulePart is what each part may hold, as the script checks it.
var (
	hostRulePrefix = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*$`)
	hostRuleSuffix = regexp.MustCompile(`^[a-z0-9.-]*$`)
)

func (r HostRule) check() error {
	if !hostRulePrefix.MatchString(r.VMPrefix) || !hostRulePrefix.MatchString(r.ServicePrefix) || !hostRuleSuffix.MatchString(r.ServiceSuffix) {
		return fmt.Errorf("the Service host rule %q %q %q may only hold lowercase letters, digits, '.' and '-'", r.VMPrefix, r.ServicePrefix, r.ServiceSuffix)
	}
	return nil
}

// instanceName is what follows VMPrefix in a client VM's name: its
// instance, then its index within the instance when the role has several.
var instanceName = regexp.MustCompile(`^(0|[1-9][0-9]{0,9})(-(0|[1-9][0-9]{0,9}))?$`)

// Host returns the Service host of the VM named vm (a hostname: only its
// part up to the first dot counts).
func (r HostRule) Host(vm string) (string, error) {
	name, _, _ := strings.Cut(vm, ".")
	rest, ok := strings.CutPrefix(name, r.VMPrefix)
	m := instanceName.FindStringSubmatch(rest)
	if !ok || m == nil {
		return "", fmt.Errorf("VM name %q is not %s<instance> or %s<instance>-<n>", name, r.VMPrefix, r.VMPrefix)
	}
	return r.ServicePrefix + m[1] + r.ServiceSuffix, nil
}

// serviceHostScript writes the Service host into a client VM's
// EnvironmentFile at first boot.
var serviceHostScript = guestFile{src: "lib/virtwork-service-host.sh", dest: path.Join(guestBinDir, "virtwork-service-host"), mode: "0755"}

// serviceHostCmd is the runcmd step that adds variable=<host> to the
// workload's EnvironmentFile; it runs before any unit is enabled.
func serviceHostCmd(workload, variable string, r HostRule) []string {
	return []string{serviceHostScript.dest, EnvFilePath(workload), variable, r.VMPrefix, r.ServicePrefix, r.ServiceSuffix}
}

// ServiceHostStep is one runcmd step that writes a Service host: into
// File, as Variable, by Rule.
type ServiceHostStep struct {
	File, Variable string
	Rule           HostRule
}

// ParseServiceHostCmd recognises a runcmd step that serviceHostCmd made,
// so that a simulated guest can apply it as the real one does.
func ParseServiceHostCmd(cmd []string) (ServiceHostStep, bool) {
	if len(cmd) != 6 || cmd[0] != serviceHostScript.dest {
		return ServiceHostStep{}, false
	}
	return ServiceHostStep{File: cmd[1], Variable: cmd[2], Rule: HostRule{cmd[3], cmd[4], cmd[5]}}, true
}

// serviceHostFiles are the script and the runcmd steps for the
// EnvironmentFile variables that hold the Service host.
func (d *Definition) serviceHostFiles(vars []string, r HostRule) ([]File, [][]string, error) {
	if len(vars) == 0 {
		return nil, nil, nil
	}
	if err := r.check(); err != nil {
		return nil, nil, fmt.Errorf("workload %s: %w", d.spec.Name, err)
	}
	content, err := templateFile(serviceHostScript.src)
	if err != nil {
		return nil, nil, err
	}
	var cmds [][]string
	for _, v := range vars {
		cmds = append(cmds, serviceHostCmd(d.spec.Name, v, r))
	}
	return []File{{Path: serviceHostScript.dest, Permissions: serviceHostScript.mode, Content: content}}, cmds, nil
}
