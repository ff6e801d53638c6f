// Package cluster runs a throw-away Kubernetes control plane for tests and
// the dev cluster: etcd, kube-apiserver with RBAC authorization and
// kube-controller-manager with the namespace and garbage-collector
// controllers, all bound to 127.0.0.1 on free ports, with the KubeVirt and
// CDI CRDs from test/crds installed and a default StorageClass. It exists so
// behaviour that depends on a real API server (schema validation,
// server-side apply, label selectors, watches, owner-reference garbage
// collection, RBAC) is tested against one, with no container runtime and no
// nodes. The binaries come from hack/build-k8s-bins.sh.
package cluster
