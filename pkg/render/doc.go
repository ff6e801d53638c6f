// Package render turns a validated config into the objects of one run: the
// Namespace, the workloads' Services, Secrets holding cloud-init user-data,
// and VirtualMachines with their DataVolumeTemplates, all labelled with the
// run id. It is pure: the run id and every name come from its input, it
// reads no clock, file or cluster, and the same input always yields the same
// bytes. Encoders write the objects as a YAML stream, a v1 List in JSON, or
// the files of a kustomize directory.
package render
