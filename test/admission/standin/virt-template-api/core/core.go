// Package core is a stand-in for kubevirt.io/virt-template-api/core (see
// ../../README.md): the names kubevirt.io/kubevirt/pkg/controller uses.
package core

const (
	GroupName            = "template.kubevirt.io"
	SingularResourceName = "virtualmachinetemplate"
	PluralResourceName   = "virtualmachinetemplates"
)
