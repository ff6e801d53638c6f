// Package virttemplate is a stand-in for
// kubevirt.io/virt-template-client-go/virttemplate (see ../../README.md).
package virttemplate

import (
	"errors"

	"k8s.io/client-go/rest"
)

// Clientset has the one method pkg/controller calls on the real one.
type Clientset struct{}

// TemplateV1beta1 is never reached: NewForConfig never returns a Clientset.
func (*Clientset) TemplateV1beta1() *V1beta1 { return nil }

// V1beta1 has the one method pkg/controller calls on the real one.
type V1beta1 struct{}

// RESTClient is never reached, see TemplateV1beta1.
func (*V1beta1) RESTClient() rest.Interface { return nil }

// NewForConfig always fails, so a caller of the stand-in fails loudly.
func NewForConfig(*rest.Config) (*Clientset, error) {
	return nil, errors.New("virt-template-client-go stand-in: the admission test has no VirtualMachineTemplate client")
}
