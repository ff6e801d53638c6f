# kubectl-virtwork. `make help` lists the targets.

SHELL := /usr/bin/env bash
comma := ,
GO    ?= go
BIN   := bin/kubectl-virtwork

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE    ?= $(shell git log -1 --format=%cI 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/virtwork/kubectl-virtwork/pkg/version.Version=$(VERSION) \
           -X github.com/virtwork/kubectl-virtwork/pkg/version.Commit=$(COMMIT) \
           -X github.com/virtwork/kubectl-virtwork/pkg/version.Date=$(DATE)

# The tests that run the real validators and the control plane fail, rather
# than skip, when what they need is missing: `make test` provides both.
TEST_ENV := VIRTWORK_REQUIRE_TOOLS=1 VIRTWORK_REQUIRE_CLUSTER=1

.PHONY: help build run test test-deps test-guest guest-boot-times check fuzz bench golden golden-image docs release verify-release clean

## help: list the targets
help:
	@grep -hE '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /'

## build: build the plugin into bin/kubectl-virtwork
build: $(BIN)

$(BIN): FORCE
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kubectl-virtwork

## run: build and run the plugin, e.g. make run ARGS='render --workloads cpu,database'
run: $(BIN)
	@$(BIN) $(ARGS)

## test: install what the tests need (only when missing), then run every check and test
test: test-deps k8s-bins check fuzz verify-release
	$(TEST_ENV) $(GO) test -count=1 -timeout 45m ./...
	# The audit history under its other SQLite driver (pure Go, as release builds use), and under the race detector.
	CGO_ENABLED=0 $(GO) test -count=1 ./pkg/audit
	$(GO) test -count=1 -race ./pkg/audit
	# KubeVirt v1.9.0's own VM and VMI create webhooks on every golden file and on renders: its own module (test/admission), so kubevirt.io/kubevirt stays out of the plugin's go.mod.
	cd test/admission && $(GO) test -count=1 ./...

## test-deps: install the validators' Debian packages when missing
test-deps:
	hack/install-test-deps.sh

## test-guest: boot each workload in a Debian guest under qemu and check its load (WORKLOAD=cpu,network for some)
test-guest:
	hack/install-guest-deps.sh
	VIRTWORK_GUEST_TEST=1 $(GO) test -count=1 -v -timeout 45m -parallel 16 -run '^TestGuest$$$(if $(WORKLOAD),/^($(subst $(comma),|,$(WORKLOAD)))$$)' ./test/guest

## golden-image: build a bootable Debian 12 disk with every workload's packages preinstalled and pack it as a containerDisk OCI archive, bin/golden-debian.tar (GUEST=debian only; docs/golden-image.md)
GUEST ?= debian
golden-image:
	@if [ '$(GUEST)' != debian ]; then echo "golden-image: GUEST=$(GUEST) is not built here, only GUEST=debian; see docs/golden-image.md for fedora and centos-stream (virt-customize)" >&2; exit 2; fi
	hack/install-guest-deps.sh
	pkgs="$$($(GO) run ./hack/golden-image packages debian)" && dir="$$(hack/build-golden-image.sh $$pkgs)" && \
		mkdir -p bin && $(GO) run ./hack/golden-image pack -guest debian -disk "$$dir/disk.qcow2" -out bin/golden-debian.tar

## guest-boot-times: per workload, boot to unit active from the golden image (offline) and from a base image installing the packages from deb.debian.org; prints the table for the README (not in CI; WORKLOAD=cpu,network for some)
guest-boot-times:
	hack/install-guest-deps.sh
	VIRTWORK_GUEST_COMPARE=1 WORKLOAD='$(WORKLOAD)' $(GO) test -count=1 -v -timeout 180m -run '^TestGuestBootTimes$$' ./test/guest

## fuzz: run each fuzz target for FUZZTIME (seed corpora also run in every go test)
FUZZTIME ?= 15s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzBuiltinParams$$' -fuzztime $(FUZZTIME) ./pkg/workloads
	$(GO) test -run '^$$' -fuzz '^FuzzCustomParams$$' -fuzztime $(FUZZTIME) ./pkg/workloads
	$(GO) test -run '^$$' -fuzz '^FuzzUserDataParams$$' -fuzztime $(FUZZTIME) ./pkg/render
	$(GO) test -run '^$$' -fuzz '^FuzzYAMLEncoder$$' -fuzztime $(FUZZTIME) ./pkg/render
	$(GO) test -run '^$$' -fuzz '^FuzzUserDataProfile$$' -fuzztime $(FUZZTIME) ./pkg/render
	$(GO) test -run '^$$' -fuzz '^FuzzProfile$$' -fuzztime $(FUZZTIME) ./pkg/profile

## check: gofmt and go vet
check:
	@out="$$(gofmt -l cmd pkg templates test hack 2>/dev/null)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## bench: render on one core (VMs/s; peak RSS of 1,000 against 100,000 VMs); apply and wait on the test API server, against kubectl and a bare loop; apply, wait and cleanup of 1,000, 3,000 and 10,000 VMs with the real binary (VIRTWORK_BENCH_SIZES=1000 for fewer)
bench: k8s-bins
	$(GO) test -run '^$$' -bench . -cpu 1 -benchtime 10x ./pkg/render ./cmd/kubectl-virtwork
	VIRTWORK_REQUIRE_CLUSTER=1 $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 90m ./test/bench

## golden: rewrite the golden files after a deliberate change (review the diff)
golden:
	$(GO) test ./pkg/render -run Golden -update

## docs: regenerate the command reference in docs/cli and the README's settings table after a command, flag or setting changed (tests fail while they are stale)
docs:
	$(GO) run ./hack/gen-cli-docs -dir docs/cli -readme README.md

## release: build VERSION's archives, checksums and krew manifest into dist/ and copy the manifest to plugin.yaml, e.g. make release VERSION=v0.1.0
release:
	@git diff --quiet HEAD -- || { echo "release: the working tree has uncommitted changes; a release is built from a commit" >&2; exit 1; }
	rm -rf dist
	$(GO) run ./hack/release -version '$(VERSION)' -commit '$(COMMIT)' -date '$(DATE)' -mtime "$$(git log -1 --format=%ct)" -out dist
	cp dist/virtwork.yaml plugin.yaml

## verify-release: build a release into a temporary directory and check it offline with krew v0.4.3: validate, install every archive, run it through kubectl
verify-release:
	hack/verify-release.sh

## clean: remove build output
clean:
	rm -rf bin dist

FORCE:

include hack/cluster.mk
