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
//
// Day-2 events (migration.go, restart.go, migratable.go). A
// VirtualMachineInstanceMigration of a running VMI goes through KubeVirt's
// phases, each stamped in status.phaseTransitionTimestamps, one step delay
// apart: Pending, Scheduling (with registered nodes, a target
// virt-launcher Pod labelled kubevirt.io/migrationJobUID, kept off the
// source node by a required pod anti-affinity on the VMI's created-by
// label, for kube-scheduler to bind), Scheduled, PreparingTarget,
// TargetReady, Running. The VMI's status.migrationState then names the
// source and target nodes and Pods, the migration's UID, mode PreCopy and
// the start, and the VM shows Migrating. After Options.MigrationDuration the switch-over begins
// (migrationState.targetNodeDomainDetected): for Options.MigrationPause
// no node exports the guest's metrics; then the VMI's status.nodeName is
// the target, its migrationState completed with an end time, the source
// Pod goes, the migration Succeeds, and the metrics come back labelled
// with the new node, their counters from zero, as the target's new QEMU
// process and tap device count. Without registered nodes
// the target is the next of NodeNames. The migration's own
// status.migrationState mirrors the VMI's. A migration fails at once, its
// migrationState.failureReason saying why, when the VMI does not run,
// another migration of it is in flight, or its LiveMigratable condition is
// False: the simulator sets that
// condition when a VMI runs, True unless a persistentVolumeClaim or
// dataVolume volume's claim is not ReadWriteMany (then False, reason
// DisksNotLiveMigratable, ReasonDisksNotLiveMigratable). A real cluster's
// admission webhook rejects such a migration on creation instead.
//
// A deleted VMI of a VM with runStrategy Always shuts down (Options.
// Termination; the VM shows Stopping, not ready) and comes back as a new
// VMI with a new UID; runStrategy Halted deletes the VMI (Stopping, then
// Stopped) and Always again boots a new one, Ready once its readiness
// probe succeeds, a step after it runs. Such a VMI's phases and
// conditions are stamped from when it was seen, never with its VM's first
// VMI's instants (only a VM's first VMI is Pending from the VM's creation).
//
// Given Options.Subresources it also plays virt-api's restart
// subresource, as a real aggregated API (aggregate.go, subresources.go):
// it serves HTTPS on a loopback port with a self-signed certificate for
// localhost, 127.0.0.1 and its Service's name, and registers the
// APIService v1.subresources.kubevirt.io with that certificate as its
// caBundle, pointing at an ExternalName Service for localhost (the
// aggregator sends to https://EXTERNALNAME:PORT; no kube-proxy runs and
// Endpoints refuse loopback addresses). It serves the discovery the
// aggregator and client-go read (/apis, the group, the version listing
// virtualmachines/restart) and PUT .../virtualmachines/NAME/restart:
// NotFound for a VM that does not exist, Conflict for one whose
// runStrategy is not Always or that has no VMI, else it deletes the VMI
// (as virt-controller does on virt-api's request) and counts the restart
// (Subresources.Restarts).
// The APIService is removed before the server stops: client-go's
// discovery fails on an unavailable aggregated group, and the API server
// may be shared. One left by a simulator that died is replaced; one that
// is not the simulator's (a real virt-api's) is an error.
//
// The day-2 faults, by FaultAnnotation or Options.Faults: migration-fails
// (the migration reaches Running, then Failed with MigrationFailureReason
// on its and the VMI's migrationState; the target Pod goes, the VMI stays),
// migration-never-completes (it stays Running), not-ready-after-restart
// (the VM's first VMI becomes Ready, every later one runs with Ready
// False).
package simulator
