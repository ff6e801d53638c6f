// Package admission runs KubeVirt v1.9.0's own VirtualMachine validating
// webhook (the virt-api VMsAdmitter, as on a VM create) offline on every
// VirtualMachine the plugin renders: the golden files of pkg/render and
// fresh renders of the built binary with flags. The CRD schema misses most
// of KubeVirt's rules (a dataVolumeTemplate every volume list references,
// disks matching volumes, one user-data source, instance type conflicts), so
// a VM that passes the schema could still be refused by the cluster; here it
// fails `make test` instead. A VM with an instance type or preference gets
// them, through a fake clientset, from KubeVirt's own finders, then the VMI
// its controller would create is admitted with them applied by KubeVirt's
// own applier: a conflict, an unmet preference requirement or a missing
// object fails the test.
//
// It is its own Go module so that kubevirt.io/kubevirt, with its k8s.io
// versions and replace lines, never enters the plugin's dependencies.
package admission
