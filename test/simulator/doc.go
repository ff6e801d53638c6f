// Package simulator stands in for KubeVirt's virt-controller and for CDI on a
// control plane that has the CRDs but no KubeVirt, no nodes and no storage.
// It watches VirtualMachines and, for each that should run, creates the
// VirtualMachineInstance and DataVolumes the real controllers would create,
// then walks their status through the phases the real ones report, so code
// that applies, watches and waits on VMs can be tested end to end. Per-VM
// annotations inject the failures a real cluster shows. It is for tests and
// the dev cluster only; it never runs against a real cluster on purpose.
//
// Given Nodes to register (Options.Register) it also plays the part of
// virt-controller that asks the scheduler for a node: it creates a
// virt-launcher Pod per VMI with the VMI's placement and resource requests
// (pods.go), the control plane's real kube-scheduler binds it or reports it
// Unschedulable, and the VMI runs on the Pod's node or stays Scheduling
// with the scheduler's message. No kubelet runs: the simulator writes the
// Nodes' status once (nodes.go) and deletes the Pods bound to them.
//
// Given a listener (Options.MetricsListener) it also stands in for the
// virt-handlers of its nodes and for virt-controller's metrics: for every
// running VMI it exports KubeVirt's metric names and labels (names.go),
// with counters integrated second by second from what the VMI's guest
// would do with the user data it was given: its workloads' parameters and
// schedule files, read as the guest reads them (guest.go), through a small
// model of each workload's load (guestmodel.go), with seeded noise. A
// second annotation (MetricsFaultAnnotation) breaks one VM's metrics the
// ways a real monitoring setup does. ScrapeJobs gives test/prom's
// Prometheus the targets.
package simulator
