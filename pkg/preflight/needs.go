package preflight

import (
	"slices"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
)

// The resources virtwork touches, by kind.
var (
	namespaces             = access.Permission{Resource: "namespaces"}
	services               = access.Permission{Resource: "services"}
	secrets                = access.Permission{Resource: "secrets"}
	pvcs                   = access.Permission{Resource: "persistentvolumeclaims"}
	pods                   = access.Permission{Resource: "pods"}
	configMaps             = access.Permission{Resource: "configmaps"}
	virtualMachines        = access.Permission{Group: "kubevirt.io", Resource: "virtualmachines"}
	virtualMachineInstance = access.Permission{Group: "kubevirt.io", Resource: "virtualmachineinstances"}
	dataVolumes            = access.Permission{Group: "cdi.kubevirt.io", Resource: "datavolumes"}
	migrations             = access.Permission{Group: "kubevirt.io", Resource: "virtualmachineinstancemigrations"}
	vmRestart              = access.Permission{Group: "subresources.kubevirt.io", Resource: "virtualmachines", Subresource: "restart"}
)

// byKind maps the kinds a bundle holds to their resources.
var byKind = map[string]access.Permission{"Service": services, "Secret": secrets, "VirtualMachine": virtualMachines}

// each returns p with each verb, in namespace ns.
func each(ns string, p access.Permission, verbs ...string) []access.Permission {
	out := make([]access.Permission, 0, len(verbs))
	for _, v := range verbs {
		q := p
		q.Verb, q.Namespace = v, ns
		out = append(out, q)
	}
	return out
}

// Apply is what apply of a bundle with these kinds (besides its
// Namespace) does in ns: read the namespace (and create it when absent),
// list each kind once and server-side apply each object — a PATCH that the
// API server also authorizes as create for a new object — then, unless
// it does not wait, follow VMs, VMIs and DataVolumes with list and watch.
func Apply(ns string, kinds []string, wait, withDataVolumes, defaultStorageClass bool) Needs {
	n := Needs{Command: "apply", Namespace: ns, CreateNamespace: true, DataVolumes: withDataVolumes, DefaultStorageClass: defaultStorageClass}
	n.Permissions = each(ns, namespaces, "get")
	for _, k := range kinds {
		if p, ok := byKind[k]; ok {
			n.Permissions = append(n.Permissions, each(ns, p, "list", "create", "patch")...)
		}
	}
	if wait {
		n.Permissions = append(n.Permissions, Wait(ns, withDataVolumes).Permissions...)
	}
	return n
}

// Spread is n for a run spread over namespaces: every permission is needed
// cluster-wide, as a run follows them all with one list and watch per kind
// across the cluster (and, creating its namespaces, has its Role's rules
// bound cluster-wide anyway), and each namespace is created when absent.
func (n Needs) Spread(namespaces []string) Needs {
	if len(namespaces) < 2 {
		return n
	}
	n.Namespace, n.Namespaces = "", namespaces
	n.Permissions = slices.Clone(n.Permissions)
	for i := range n.Permissions {
		n.Permissions[i].Namespace = ""
	}
	return n
}

// Wait is what wait does: one list+watch per kind.
func Wait(ns string, withDataVolumes bool) Needs {
	n := Needs{Command: "wait", Namespace: ns, DataVolumes: withDataVolumes}
	n.Permissions = append(each(ns, virtualMachineInstance, "list", "watch"), each(ns, virtualMachines, "list", "watch")...)
	if withDataVolumes {
		n.Permissions = append(n.Permissions, each(ns, dataVolumes, "list", "watch")...)
	}
	return n
}

// Status is what status does: one list per kind.
func Status(ns string, withDataVolumes bool) Needs {
	n := Needs{Command: "status", Namespace: ns, DataVolumes: withDataVolumes}
	n.Permissions = append(each(ns, virtualMachines, "list"), each(ns, virtualMachineInstance, "list")...)
	if withDataVolumes {
		n.Permissions = append(n.Permissions, each(ns, dataVolumes, "list")...)
	}
	return n
}

// Cleanup is what cleanup does: list and collection-delete each kind a run
// leaves (the migrations disrupt made too, where the cluster serves them),
// then (unless --wait=false) list and watch each kind, the VMIs too, until
// everything is gone; with deleteNamespace also read the namespace, check
// nothing else lives there, and delete it.
func Cleanup(ns string, withDataVolumes, withMigrations, deleteNamespace bool) Needs {
	n := Needs{Command: "cleanup", Namespace: ns, DataVolumes: withDataVolumes}
	kinds := []access.Permission{virtualMachines, pvcs, services, secrets}
	if withMigrations {
		kinds = append(kinds, migrations)
	}
	if withDataVolumes {
		kinds = append(kinds, dataVolumes)
	}
	for _, k := range kinds {
		n.Permissions = append(n.Permissions, each(ns, k, "list", "watch", "deletecollection")...)
	}
	// It waits for the VMIs too, which go once their guests shut down.
	n.Permissions = append(n.Permissions, each(ns, virtualMachineInstance, "list", "watch")...)
	if deleteNamespace {
		n.Permissions = append(n.Permissions, each(ns, namespaces, "get", "delete")...)
		for _, k := range []access.Permission{pods, configMaps} {
			n.Permissions = append(n.Permissions, each(ns, k, "list")...)
		}
	}
	return n
}

// Disrupt is what disrupt does: list the run's VMs and VMIs each round;
// per event read its objects, and for a migration create and read a
// VirtualMachineInstanceMigration, for a restart delete the VMI (or, with
// restartSubresource, update virtualmachines/restart), for a stop/start
// patch the VM's runStrategy.
func Disrupt(ns string, migrate, restart, stopStart, restartSubresource bool) Needs {
	n := Needs{Command: "disrupt", Namespace: ns}
	n.Permissions = append(each(ns, virtualMachines, "list", "get"), each(ns, virtualMachineInstance, "list", "get")...)
	if migrate {
		n.Permissions = append(n.Permissions, each(ns, migrations, "create", "get")...)
	}
	switch {
	case restart && restartSubresource:
		n.Permissions = append(n.Permissions, each(ns, vmRestart, "update")...)
	case restart:
		n.Permissions = append(n.Permissions, each(ns, virtualMachineInstance, "delete")...)
	}
	if stopStart {
		n.Permissions = append(n.Permissions, each(ns, virtualMachines, "patch")...)
	}
	return n
}
