// Package e2e holds the tests that need a real kube-apiserver with the
// KubeVirt and CDI CRDs: schema validation, label-selector deletes and
// watches, namespace deletion, owner-reference garbage collection, and the
// VMI simulator's phases and fault modes. They run on the control plane of
// package test/cluster and skip when its binaries are absent, unless
// VIRTWORK_REQUIRE_CLUSTER=1.
package e2e
