package access

import (
	"errors"
	"fmt"
	"regexp"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Permission is one RBAC permission: a verb on a resource of an API group,
// in a namespace ("" for cluster-wide).
type Permission struct {
	Verb     string `json:"verb"`
	Group    string `json:"group,omitempty"`
	Resource string `json:"resource"`
	// Subresource is set for a permission on one, as CDI's clone
	// authorization asks for create on datavolumes/source.
	Subresource string `json:"subresource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
}

// String reads as "patch virtualmachines.kubevirt.io in namespace ns",
// "create datavolumes.cdi.kubevirt.io/source in namespace ns" or "create
// namespaces cluster-wide", the way kubectl auth can-i takes them.
func (p Permission) String() string {
	res := p.Resource
	if p.Group != "" {
		res += "." + p.Group
	}
	if p.Subresource != "" {
		res += "/" + p.Subresource
	}
	where := "cluster-wide"
	if p.Namespace != "" {
		where = "in namespace " + p.Namespace
	}
	return p.Verb + " " + res + " " + where
}

// MissingError is a request the API server refused for want of Permission.
type MissingError struct {
	Permission Permission
	// Err is the API server's answer.
	Err error
}

// Hint points at what grants every permission virtwork needs.
const Hint = "deploy/rbac/ grants what virtwork needs"

func (e *MissingError) Error() string {
	return fmt.Sprintf("missing permission: %s (%s)", e.Permission, Hint)
}

func (e *MissingError) Unwrap() error { return e.Err }

// rbacDenial matches the reason the RBAC authorizer gives, as the API
// server words it in a Forbidden status:
//
//	User "jane" cannot patch resource "virtualmachines" in API group "kubevirt.io" in the namespace "ns"
//	User "jane" cannot create resource "namespaces" in API group "" at the cluster scope
var rbacDenial = regexp.MustCompile(`cannot (\S+) resource "([^"/]+)(?:/([^"]*))?" in API group "([^"]*)"(?: in the namespace "([^"]+)")?`)

// Denied reports the permission a Forbidden error names.
func Denied(err error) (Permission, bool) {
	if !apierrors.IsForbidden(err) {
		return Permission{}, false
	}
	m := rbacDenial.FindStringSubmatch(err.Error())
	if m == nil {
		return Permission{}, false
	}
	return Permission{Verb: m[1], Resource: m[2], Subresource: m[3], Group: m[4], Namespace: m[5]}, true
}

// Explain returns err unchanged unless it is a Forbidden answer naming a
// permission; then a *MissingError that names it and wraps err.
func Explain(err error) error {
	var missing *MissingError
	if errors.As(err, &missing) {
		return err
	}
	if p, ok := Denied(err); ok {
		return &MissingError{Permission: p, Err: err}
	}
	return err
}
