package access

import (
	"errors"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The messages are the API server's own (kube-apiserver v1.37 with RBAC);
// test/rbac checks them against a live server.
func TestExplain(t *testing.T) {
	forbidden := func(gr schema.GroupResource, name, reason string) error {
		return apierrors.NewForbidden(gr, name, errors.New(reason))
	}
	tests := []struct {
		err  error
		want string
	}{
		{
			forbidden(schema.GroupResource{Group: "kubevirt.io", Resource: "virtualmachines"}, "vm",
				`User "jane" cannot patch resource "virtualmachines" in API group "kubevirt.io" in the namespace "ns"`),
			"missing permission: patch virtualmachines.kubevirt.io in namespace ns (" + Hint + ")",
		},
		{
			forbidden(schema.GroupResource{Resource: "namespaces"}, "",
				`User "jane" cannot create resource "namespaces" in API group "" at the cluster scope`),
			"missing permission: create namespaces cluster-wide (" + Hint + ")",
		},
		{
			forbidden(schema.GroupResource{Resource: "pods"}, "p",
				`User "jane" cannot get resource "pods/log" in API group "" in the namespace "ns"`),
			"missing permission: get pods/log in namespace ns (" + Hint + ")",
		},
		{
			forbidden(schema.GroupResource{Group: "cdi.kubevirt.io", Resource: "datavolumes"}, "",
				`User "jane" cannot create resource "datavolumes/source" in API group "cdi.kubevirt.io" in the namespace "os-images"`),
			"missing permission: create datavolumes.cdi.kubevirt.io/source in namespace os-images (" + Hint + ")",
		},
		{apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, "s"), `secrets "s" not found`},
		{forbidden(schema.GroupResource{Resource: "secrets"}, "s", "a webhook said no"), `secrets "s" is forbidden: a webhook said no`},
	}
	for _, tt := range tests {
		got := Explain(fmt.Errorf("wrapped: %w", tt.err))
		if want := tt.want; got.Error() != want && got.Error() != "wrapped: "+want {
			t.Errorf("Explain(%v) = %q, want %q", tt.err, got, want)
		}
		if !errors.Is(got, tt.err) {
			t.Errorf("Explain(%v) does not wrap the API server's error", tt.err)
		}
	}
}
