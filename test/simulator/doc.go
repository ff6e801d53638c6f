// Package simulator stands in for KubeVirt's virt-controller and for CDI on a
// control plane that has the CRDs but no KubeVirt, no nodes and no storage.
// It watches VirtualMachines and, for each that should run, creates the
// VirtualMachineInstance and DataVolumes the real controllers would create,
// then walks their status through the phases the real ones report, so code
// that applies, watches and waits on VMs can be tested end to end. Per-VM
// annotations inject the failures a real cluster shows. It is for tests and
// the dev cluster only; it never runs against a real cluster on purpose.
package simulator
