package render

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// Names follow one scheme, stable for the same run id and inputs and
// distinct across runs (the first 8 hex digits of the run id are part of
// every name):
//
//	VirtualMachine  virtwork-<workload>-<run8>-<i>           (single-role workloads)
//	                virtwork-<workload>-<run8>-<role>-<i>    (server/client workloads)
//	                ...-<i>-<j>                              (a role with several VMs per instance)
//	DataVolume      <vm>-data                                (data disk)
//	                <vm>-root                                (a cloned or imported root disk)
//	Secret          virtwork-<workload>-<run8>-<role>-userdata  (shared by a role's VMs)
//	Service         virtwork-<workload>-<run8>-<i>
//	Service host    <service>.<namespace>.svc                  (what a client VM of instance <i> reaches)
//
// <i> counts instances from 0; a server and its client share it. <j> counts
// a role's VMs within an instance, for custom workloads whose role has a
// count above 1.

const namePrefix = "virtwork"

// maxVMName is the limit on VM names: a VMI's name becomes a label value
// and its pod's hostname.
const maxVMName = 63

func shortRun(runID string) string { return runID[:8] }

// vmNamePrefix is what every VM name of the role has before <i>.
func vmNamePrefix(workload, runID, role string, multiRole bool) string {
	if multiRole {
		return fmt.Sprintf("%s-%s-%s-%s-", namePrefix, workload, shortRun(runID), role)
	}
	return fmt.Sprintf("%s-%s-%s-", namePrefix, workload, shortRun(runID))
}

func vmName(workload, runID, role string, multiRole bool, i, j int, perInstance int) string {
	return indexedName(vmNamePrefix(workload, runID, role, multiRole), i, j, perInstance)
}

// indexedName is prefix<i>, or prefix<i>-<j> when there are several per
// instance: a VM's name after its role's prefix, a Service's after its
// workload's.
func indexedName(prefix string, i, j, perInstance int) string {
	if perInstance > 1 {
		return prefix + itoa(i) + "-" + itoa(j)
	}
	return prefix + itoa(i)
}

// VMNamePattern is a regular expression (RE2, as PromQL's =~ takes it)
// that matches exactly the names of one role's VMs of a workload in a run,
// so a query can select them by KubeVirt's name label.
func VMNamePattern(spec workloads.Spec, runID, role string) string {
	prefix := vmNamePrefix(spec.Name, runID, role, len(spec.Roles) > 1)
	return regexp.QuoteMeta(prefix) + "[0-9]+(-[0-9]+)?"
}

func serviceName(workload, runID string, i int) string {
	return indexedName(servicePrefix(workload, runID), i, 0, 1)
}

// servicePrefix is what every Service name of the workload has before <i>.
func servicePrefix(workload, runID string) string {
	return fmt.Sprintf("%s-%s-%s-", namePrefix, workload, shortRun(runID))
}

// serviceHostRule is how a client VM of the role derives its Service host
// from its own name (serviceName(i) + "." + namespace + ".svc" for a VM of
// instance i): what vmName puts before <i>, what serviceName puts before it,
// and the namespace's suffix.
func serviceHostRule(spec workloads.Spec, runID, role, namespace string) workloads.HostRule {
	return workloads.HostRule{
		VMPrefix:      vmNamePrefix(spec.Name, runID, role, len(spec.Roles) > 1),
		ServicePrefix: servicePrefix(spec.Name, runID),
		ServiceSuffix: "." + namespace + ".svc",
	}
}

func roleSecretName(workload, runID, role string) string {
	return fmt.Sprintf("%s-%s-%s-%s-userdata", namePrefix, workload, shortRun(runID), role)
}

// The suffixes of a VM's DataVolumes.
const (
	rootDV = "root"
	dataDV = "data"
)

func dataVolumeName(vm, suffix string) string { return vm + "-" + suffix }

func itoa(i int) string { return strconv.Itoa(i) }

// objectFile is where an object's file goes: <kind folder>/<name>.yaml,
// and the Namespace in namespace.yaml. In a run spread over namespaces,
// where a role's Secret has the same name in each, namespaced objects go in
// <kind folder>/<namespace>/<name>.yaml and the Namespaces in
// namespaces/<name>.yaml. The kustomization sets no namespace: each object
// keeps its own.
func objectFile(obj map[string]any, spread bool) string {
	kind := obj["kind"].(string)
	name := nameOf(obj)
	if kind == "Namespace" {
		if spread {
			return path.Join("namespaces", name+".yaml")
		}
		return "namespace.yaml"
	}
	dir := map[string]string{"Service": "services", "Secret": "secrets", "VirtualMachine": "virtualmachines"}[kind]
	if dir == "" {
		dir = strings.ToLower(kind)
	}
	if spread {
		dir = path.Join(dir, obj["metadata"].(map[string]any)["namespace"].(string))
	}
	return path.Join(dir, name+".yaml")
}
