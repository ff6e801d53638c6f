# Local control plane targets, included by the top-level Makefile. They need
# BIN (the plugin binary target) from it. Everything is built from Go modules
# through the module proxy and cached under $XDG_CACHE_HOME/virtwork.

DEMO_NAMESPACE ?= virtwork
DEMO_WORKLOADS ?= cpu,memory,database,network,disk
DEMO_TIMEOUT   ?= 300s

.PHONY: k8s-bins crds dev-cluster dev-cluster-down demo

## k8s-bins: build etcd, kube-apiserver and kube-controller-manager (cached)
k8s-bins:
	nice -n 10 hack/build-k8s-bins.sh

## crds: regenerate test/crds from KubeVirt, CDI and prometheus-operator sources
crds:
	hack/gen-crds.sh

## dev-cluster: start the local control plane, CRDs and VMI simulator
dev-cluster:
	hack/dev-cluster.sh up

## dev-cluster-down: stop the processes dev-cluster started
dev-cluster-down:
	hack/dev-cluster.sh down

## demo: start the dev cluster, apply a small run of every workload with the plugin, wait, show it
demo: $(BIN)
	hack/dev-cluster.sh up >/dev/null
	export KUBECONFIG="$$(hack/dev-cluster.sh kubeconfig)" && \
	$(BIN) apply -n $(DEMO_NAMESPACE) --workloads $(DEMO_WORKLOADS) --vm-count 1 --timeout $(DEMO_TIMEOUT) && \
	kubectl get vm,vmi -n $(DEMO_NAMESPACE) -o wide
	@echo
	@echo "The dev cluster keeps running: export KUBECONFIG=$$(hack/dev-cluster.sh kubeconfig)"
	@echo "Try: kubectl get vm,vmi,dv -A; stop it with: make dev-cluster-down"
