package preflight

import (
	"context"
	"encoding/json"
	"fmt"
	"path"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/retry"
)

// Object is something the run's VMs are made from and that must exist
// before they are: the DataSource or PVC their root disks are cloned from,
// an instance type, a preference.
type Object struct {
	// Kind is one of the kinds in objectKinds.
	Kind string
	// Namespace is "" for a cluster-scoped kind.
	Namespace, Name string
	// NodeSelector: VMs with their own spec.template.spec.nodeSelector
	// name this instance type, which must then set none (KubeVirt refuses
	// such a VM as a conflict).
	NodeSelector bool
}

func (o Object) String() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// objectKind is where a kind is served and what makes one usable.
type objectKind struct {
	group, version, resource string
	// list is the command that shows what exists instead.
	list string
	// usable says whether the object can be used now, and why not.
	usable func(obj *objectStatus) (bool, string)
}

// objectStatus is the part of the objects read that the checks use.
type objectStatus struct {
	Spec struct {
		// An instance type's node selector.
		NodeSelector map[string]string `json:"nodeSelector"`
		// A DataSource's source: the PVC (or snapshot) clones are made from.
		Source struct {
			PVC      *namespacedName `json:"pvc"`
			Snapshot *namespacedName `json:"snapshot"`
		} `json:"source"`
	} `json:"spec"`
	Status struct {
		Phase      string `json:"phase"`
		Conditions []struct {
			Type, Status, Reason, Message string
		} `json:"conditions"`
	} `json:"status"`
}

type namespacedName struct{ Namespace, Name string }

// The kinds Object may name.
var objectKinds = map[string]objectKind{
	"DataSource": {CDIGroup, CDIVersion, "datasources", "kubectl get datasources -A", dataSourceReady},
	"PersistentVolumeClaim": {"", "v1", "persistentvolumeclaims", "kubectl get pvc -A", func(o *objectStatus) (bool, string) {
		return true, "exists (" + o.Status.Phase + ")"
	}},
	"VirtualMachineClusterInstancetype": {InstancetypeGroup, InstancetypeVersion, "virtualmachineclusterinstancetypes", "kubectl get virtualmachineclusterinstancetypes", exists},
	"VirtualMachineInstancetype":        {InstancetypeGroup, InstancetypeVersion, "virtualmachineinstancetypes", "kubectl get virtualmachineinstancetypes -A", exists},
	"VirtualMachineClusterPreference":   {InstancetypeGroup, InstancetypeVersion, "virtualmachineclusterpreferences", "kubectl get virtualmachineclusterpreferences", exists},
	"VirtualMachinePreference":          {InstancetypeGroup, InstancetypeVersion, "virtualmachinepreferences", "kubectl get virtualmachinepreferences -A", exists},
}

// The instance type API the checks read.
const (
	InstancetypeGroup   = "instancetype.kubevirt.io"
	InstancetypeVersion = "v1beta1"
)

func exists(*objectStatus) (bool, string) { return true, "exists" }

// dataSourceReady: CDI clones a DataSource only once its Ready condition
// is True (its PVC or snapshot is there and populated); until then a VM's
// DataVolume waits, Pending, for ever.
func dataSourceReady(o *objectStatus) (bool, string) {
	for _, c := range o.Status.Conditions {
		if c.Type != "Ready" {
			continue
		}
		if c.Status == "True" {
			return true, "Ready"
		}
		why := c.Reason
		if c.Message != "" {
			why += ": " + c.Message
		}
		return false, "not Ready (" + why + ")"
	}
	return false, "not Ready (no Ready condition yet)"
}

// object reads o and checks it is usable; it also returns the object read
// (nil when it could not be).
func object(ctx context.Context, client kubernetes.Interface, o Object) (Check, *objectStatus, error) {
	c := Check{Name: o.String()}
	k, ok := objectKinds[o.Kind]
	if !ok {
		return c, nil, fmt.Errorf("preflight cannot check a %s", o.Kind)
	}
	p := path.Join("/apis", k.group, k.version)
	if k.group == "" {
		p = path.Join("/api", k.version)
	}
	if o.Namespace != "" {
		p = path.Join(p, "namespaces", o.Namespace)
	}
	p = path.Join(p, k.resource, o.Name)
	var raw []byte
	err := retry.Do(ctx, retry.DefaultBackoff(), func() error {
		var err error
		// The core client's decoder reads the API server's Status
		// answers, so a 403 or 404 comes back typed, whatever the path.
		raw, err = client.CoreV1().RESTClient().Get().AbsPath(p).Do(ctx).Raw()
		return err
	})
	switch {
	case apierrors.IsNotFound(err):
		c.Detail = "not found (" + k.list + " lists what there is)"
		return c, nil, nil
	case apierrors.IsForbidden(err):
		// What was asked is known: name it rather than parse the answer.
		get := access.Permission{Verb: "get", Group: k.group, Resource: k.resource, Namespace: o.Namespace}
		c.Detail = "cannot tell: missing permission: " + get.String()
		return c, nil, nil
	case err != nil:
		return c, nil, fmt.Errorf("reading %s: %w", o, err)
	}
	var st objectStatus
	if err := json.Unmarshal(raw, &st); err != nil {
		return c, nil, fmt.Errorf("decoding %s: %w", o, err)
	}
	c.OK, c.Detail = k.usable(&st)
	if o.NodeSelector && len(st.Spec.NodeSelector) > 0 {
		c.OK, c.Detail = false, "sets spec.nodeSelector, and KubeVirt refuses a VM with its own beside it: drop --node-selector for the workloads it sizes (the instance type places them)"
	}
	return c, &st, nil
}

// objects checks each object the VMs need, and for a clone source whether
// the user may clone from its namespace: CDI (and KubeVirt's VM admission,
// for dataVolumeTemplates) allow a clone only to whoever may create
// datavolumes/source in the namespace of the PVC or snapshot cloned.
func objects(ctx context.Context, client kubernetes.Interface, needs Needs) ([]Check, error) {
	var checks []Check
	for _, o := range needs.Objects {
		c, _, err := object(ctx, client, o)
		if err != nil {
			return nil, err
		}
		checks = append(checks, c)
	}
	if needs.CloneFrom == nil {
		return checks, nil
	}
	c, st, err := object(ctx, client, *needs.CloneFrom)
	if err != nil {
		return nil, err
	}
	checks = append(checks, c)
	ns := needs.CloneFrom.Namespace
	if st != nil {
		for _, src := range []*namespacedName{st.Spec.Source.PVC, st.Spec.Source.Snapshot} {
			if src != nil && src.Namespace != "" {
				ns = src.Namespace
			}
		}
	}
	perm, err := permissions(ctx, client, []access.Permission{{Verb: "create", Group: CDIGroup, Resource: "datavolumes", Subresource: "source", Namespace: ns}})
	if err != nil {
		return nil, err
	}
	return append(checks, perm...), nil
}
