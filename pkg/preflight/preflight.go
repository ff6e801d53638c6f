package preflight

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/retry"
)

// The API groups and versions virtwork writes and reads.
const (
	KubeVirtGroup   = "kubevirt.io"
	KubeVirtVersion = "v1"
	CDIGroup        = "cdi.kubevirt.io"
	CDIVersion      = "v1beta1"
)

// DefaultClassAnnotation marks the cluster's default StorageClass.
const DefaultClassAnnotation = "storageclass.kubernetes.io/is-default-class"

// Needs is what a command is about to do; the checks follow from it.
type Needs struct {
	// Command names the command, for the checklist's heading.
	Command string
	// Namespace is where the command works; "" for every namespace.
	Namespace string
	// Namespaces are those of a run spread over several (see Spread);
	// Namespace is then "".
	Namespaces []string
	// CreateNamespace: the command creates Namespace when it is absent
	// (apply), which takes permission to create namespaces.
	CreateNamespace bool
	// Permissions are those the command uses.
	Permissions []access.Permission
	// DataVolumes: the command writes or follows data disks, so the CDI
	// API must be served.
	DataVolumes bool
	// DefaultStorageClass: some data disk has no StorageClass of its own.
	DefaultStorageClass bool
	// CloneFrom is the DataSource or PVC the root disks are cloned from:
	// it must exist (a DataSource be Ready) and the user may clone it.
	CloneFrom *Object
	// Objects must exist: the instance types and preferences the VMs name.
	Objects []Object
}

// Check is one line of the checklist.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	// Permission is set on the lines that check one.
	Permission *access.Permission `json:"permission,omitempty"`
}

// Problem says in one phrase what a failed check lacks:
// "missing permission: patch virtualmachines.kubevirt.io in namespace ns".
func (c Check) Problem() string {
	if c.Permission != nil {
		return "missing permission: " + c.Permission.String()
	}
	return c.Name + ": " + c.Detail
}

// Report is the checklist.
type Report struct {
	Command    string   `json:"command"`
	Namespace  string   `json:"namespace,omitempty"`
	Namespaces []string `json:"namespaces,omitempty"`
	Checks     []Check  `json:"checks"`
}

// OK reports whether every check passed.
func (r *Report) OK() bool { return len(r.Missing()) == 0 }

// Missing returns the checks that failed.
func (r *Report) Missing() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

// Print writes the checklist for people: one "[ok]" or "[missing]" line
// per check, then a verdict.
func (r *Report) Print(w io.Writer) {
	where := "every namespace"
	switch n := len(r.Namespaces); {
	case n > 1:
		where = fmt.Sprintf("%d namespaces, %s to %s", n, r.Namespaces[0], r.Namespaces[n-1])
	case r.Namespace != "":
		where = "namespace " + r.Namespace
	}
	fmt.Fprintf(w, "Preflight for %s in %s:\n", r.Command, where)
	for _, c := range r.Checks {
		mark := "[ok]     "
		if !c.OK {
			mark = "[missing]"
		}
		line := mark + " " + c.Name
		if c.Detail != "" {
			line += ": " + c.Detail
		}
		fmt.Fprintln(w, line)
	}
	if m := len(r.Missing()); m > 0 {
		fmt.Fprintf(w, "%d of %d checks failed (%s)\n", m, len(r.Checks), access.Hint)
	} else {
		fmt.Fprintf(w, "all %d checks passed\n", len(r.Checks))
	}
}

// PrintJSON writes the checklist as JSON.
func (r *Report) PrintJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Run checks needs against the cluster. It returns an error only when the
// API server cannot be asked at all; everything else is a line of the
// report. Requests are retried like apply's, within ctx.
func Run(ctx context.Context, client kubernetes.Interface, needs Needs) (*Report, error) {
	r := &Report{Command: needs.Command, Namespace: needs.Namespace, Namespaces: needs.Namespaces}
	if err := r.apis(ctx, client, needs); err != nil {
		return nil, err
	}
	perms := slices.Clone(needs.Permissions)
	created := needs.Namespaces
	if needs.Namespace != "" {
		created = []string{needs.Namespace}
	}
	create := false
	for _, ns := range created {
		if !needs.CreateNamespace {
			break
		}
		absent, err := r.namespace(ctx, client, ns)
		if err != nil {
			return nil, err
		}
		create = create || absent
	}
	if create {
		perms = append(perms, access.Permission{Verb: "create", Resource: "namespaces"})
	}
	checks, err := permissions(ctx, client, perms)
	if err != nil {
		return nil, err
	}
	r.Checks = append(r.Checks, checks...)
	if checks, err = objects(ctx, client, needs); err != nil {
		return nil, err
	}
	r.Checks = append(r.Checks, checks...)
	if needs.DefaultStorageClass {
		c, err := defaultStorageClass(ctx, client)
		if err != nil {
			return nil, err
		}
		r.Checks = append(r.Checks, c)
	}
	return r, nil
}

// apis checks that KubeVirt's and, when needed, CDI's APIs are served in
// the versions virtwork uses, and says which versions are.
func (r *Report) apis(ctx context.Context, client kubernetes.Interface, needs Needs) error {
	var versions map[string][]string
	err := retry.Do(ctx, retry.DefaultBackoff(), func() error {
		groups, err := client.Discovery().ServerGroups()
		if err != nil {
			return err
		}
		versions = map[string][]string{}
		for _, g := range groups.Groups {
			for _, v := range g.Versions {
				versions[g.Name] = append(versions[g.Name], v.Version)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("asking the API server which APIs it serves: %w", access.Explain(err))
	}
	api := func(name, group, version, install string, needed bool) Check {
		c := Check{Name: name + " API " + group + "/" + version, OK: true}
		served := versions[group]
		switch {
		case slices.Contains(served, version):
			c.Detail = "served (versions: " + strings.Join(served, ", ") + ")"
		case !needed:
			c.Detail = "not served (not needed: no data disks)"
		case len(served) > 0:
			c.OK, c.Detail = false, "only versions "+strings.Join(served, ", ")+" are served"
		default:
			c.OK, c.Detail = false, "not served: "+install
		}
		return c
	}
	r.Checks = append(r.Checks,
		api("KubeVirt", KubeVirtGroup, KubeVirtVersion, "install KubeVirt", true),
		api("CDI", CDIGroup, CDIVersion, "install CDI, or choose workloads without data disks", needs.DataVolumes),
	)
	return nil
}

// namespace reports whether ns must be created, with a line saying so.
func (r *Report) namespace(ctx context.Context, client kubernetes.Interface, ns string) (bool, error) {
	allowed, err := review(ctx, client, access.Permission{Verb: "get", Resource: "namespaces", Namespace: ns})
	if err != nil || !allowed {
		return false, err // the permission line says it is missing
	}
	var exists bool
	err = retry.Do(ctx, retry.DefaultBackoff(), func() error {
		_, err := client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		switch {
		case err == nil:
			exists = true
		case apierrors.IsNotFound(err):
			exists = false
		default:
			return err
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("reading namespace %s: %w", ns, access.Explain(err))
	}
	c := Check{Name: "namespace " + ns, OK: true, Detail: "exists"}
	if !exists {
		c.Detail = "does not exist; apply creates it"
	}
	r.Checks = append(r.Checks, c)
	return !exists, nil
}

// permissions asks the API server's authorizer about each permission, all
// at once (each is one request, and a slow server should not add them up).
func permissions(ctx context.Context, client kubernetes.Interface, perms []access.Permission) ([]Check, error) {
	checks := make([]Check, len(perms))
	errs := make([]error, len(perms))
	var wg sync.WaitGroup
	for i, p := range perms {
		wg.Go(func() {
			allowed, err := review(ctx, client, p)
			checks[i], errs[i] = Check{Name: p.String(), OK: allowed, Permission: &p}, err
			if !allowed {
				checks[i].Detail = "not allowed"
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return checks, nil
}

// review asks whether the user may do p: a SelfSubjectAccessReview, which
// every authenticated user may create.
func review(ctx context.Context, client kubernetes.Interface, p access.Permission) (bool, error) {
	ssar := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: p.Namespace, Verb: p.Verb, Group: p.Group, Resource: p.Resource, Subresource: p.Subresource,
		},
	}}
	if p.Resource == "namespaces" && p.Namespace != "" {
		ssar.Spec.ResourceAttributes.Name = p.Namespace // the namespace itself
	}
	var out *authorizationv1.SelfSubjectAccessReview
	err := retry.Do(ctx, retry.DefaultBackoff(), func() error {
		var err error
		out, err = client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, ssar, metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("checking permission to %s: %w", p, access.Explain(err))
	}
	return out.Status.Allowed, nil
}

// defaultStorageClass checks that exactly one StorageClass is the default.
func defaultStorageClass(ctx context.Context, client kubernetes.Interface) (Check, error) {
	c := Check{Name: "default StorageClass"}
	var names []string
	err := retry.Do(ctx, retry.DefaultBackoff(), func() error {
		list, err := client.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		names = nil
		for _, sc := range list.Items {
			if sc.Annotations[DefaultClassAnnotation] == "true" {
				names = append(names, sc.Name)
			}
		}
		return nil
	})
	if apierrors.IsForbidden(err) {
		c.Detail = "cannot tell: " + access.Explain(err).Error()
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("listing StorageClasses: %w", err)
	}
	sort.Strings(names)
	switch len(names) {
	case 0:
		c.Detail = "none; mark one with the annotation " + DefaultClassAnnotation + "=true, or pass --storage-class"
	case 1:
		c.OK, c.Detail = true, names[0]
	default:
		// Kubernetes picks the newest; it works, but is likely a mistake.
		c.OK, c.Detail = true, strings.Join(names, ", ")+" are all marked default; the newest is used"
	}
	return c, nil
}
