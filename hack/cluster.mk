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

## crds: regenerate test/crds from KubeVirt and CDI sources
crds:
	hack/gen-crds.sh

## dev-cluster: start the local control plane, CRDs and VMI simulator
dev-cluster:
	hack/dev-cluster.sh up

## dev-cluster-down: stop the processes dev-cluster started
dev-cluster-down:
	hack/dev-cluster.sh down

## demo: render five workloads onto the dev cluster and wait for them to run
demo: $(BIN)
	hack/dev-cluster.sh up
	export KUBECONFIG="$$(hack/dev-cluster.sh kubeconfig)" && \
	kubectl create namespace $(DEMO_NAMESPACE) --dry-run=client -o yaml | kubectl apply -f - && \
	$(BIN) render --workloads $(DEMO_WORKLOADS) --vm-count 1 | kubectl apply --server-side -f - && \
	kubectl wait --for=jsonpath='{.status.printableStatus}'=Running vm --all -n $(DEMO_NAMESPACE) --timeout=$(DEMO_TIMEOUT) && \
	kubectl wait --for=jsonpath='{.status.phase}'=Running vmi --all -n $(DEMO_NAMESPACE) --timeout=$(DEMO_TIMEOUT) && \
	kubectl get vm,vmi -n $(DEMO_NAMESPACE)
	@echo "The dev cluster keeps running: export KUBECONFIG=$$(hack/dev-cluster.sh kubeconfig); stop it with make dev-cluster-down"
