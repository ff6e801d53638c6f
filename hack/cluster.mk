# Local control plane targets, included by the top-level Makefile. They need
# BIN (the plugin binary target) from it. Everything is built from Go modules
# through the module proxy and cached under $XDG_CACHE_HOME/virtwork.

DEMO_NAMESPACE ?= virtwork
DEMO_WORKLOADS ?= cpu,memory,database,network,disk
DEMO_TIMEOUT   ?= 300s
DEMO_START     ?= 20s
DEMO_PLAY      ?= 85
DEMO_REPORT    ?= $(CURDIR)/demo-verify.html
DEMO_PROFILES  ?= --profile cpu=square:high=80,low=20,period=30s --profile memory=square:high=60,low=20,period=30s \
	--profile database=square:high=40,low=10,period=30s --profile network=square:high=400,low=100,period=30s \
	--profile disk=square:high=200,low=50,period=30s

.PHONY: k8s-bins crds dev-cluster dev-cluster-down demo

## k8s-bins: build etcd, kube-apiserver, kube-controller-manager and kube-scheduler (cached)
k8s-bins:
	nice -n 10 hack/build-k8s-bins.sh

## crds: regenerate test/crds from KubeVirt, CDI and prometheus-operator sources
crds:
	hack/gen-crds.sh

## dev-cluster: start the local control plane, CRDs, VMI simulator and a Prometheus scraping its KubeVirt metrics
dev-cluster:
	hack/dev-cluster.sh up

## dev-cluster-down: stop the processes dev-cluster started
dev-cluster-down:
	hack/dev-cluster.sh down

## demo: start the dev cluster, apply a small run of every workload on short square profiles, wait, then verify it against the dev cluster's Prometheus and write the HTML report
demo: $(BIN)
	hack/dev-cluster.sh up >/dev/null
	export KUBECONFIG="$$(hack/dev-cluster.sh kubeconfig)" && \
	$(BIN) apply -n $(DEMO_NAMESPACE) --workloads $(DEMO_WORKLOADS) --vm-count 1 --timeout $(DEMO_TIMEOUT) \
		--start-at +$(DEMO_START) $(DEMO_PROFILES) && \
	kubectl get vm,vmi -n $(DEMO_NAMESPACE) -o wide
	@echo
	@if url=$$(hack/dev-cluster.sh prometheus-url 2>/dev/null); then \
		echo "Letting two periods of the profiles play ($(DEMO_PLAY) s), then verifying against $$url"; \
		sleep $(DEMO_PLAY); \
		KUBECONFIG="$$(hack/dev-cluster.sh kubeconfig)" $(BIN) verify -n $(DEMO_NAMESPACE) --prometheus "$$url" \
			--rate-window 5s --settle 3s --step 1s --report $(DEMO_REPORT); \
		echo "Its Prometheus, scraping the VMs' KubeVirt metrics: $$url"; \
	else echo "No Prometheus in the dev cluster (install Debian's prometheus package), so no verify"; fi
	@echo "The dev cluster keeps running: export KUBECONFIG=$$(hack/dev-cluster.sh kubeconfig)"
	@echo "Try: kubectl get vm,vmi,dv -A; stop it with: make dev-cluster-down"
