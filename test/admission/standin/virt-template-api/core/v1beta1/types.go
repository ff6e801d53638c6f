// Package v1beta1 is a stand-in for kubevirt.io/virt-template-api/core/v1beta1
// (see ../../../README.md): only the object type an informer is declared with.
package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// VirtualMachineTemplate carries no spec: nothing in the admission test reads one.
type VirtualMachineTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
}

// DeepCopyObject makes VirtualMachineTemplate a runtime.Object.
func (t *VirtualMachineTemplate) DeepCopyObject() runtime.Object {
	out := &VirtualMachineTemplate{TypeMeta: t.TypeMeta}
	t.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	return out
}
