# kaji — see README.md. Every target installs what it needs; nothing is assumed on the machine
# beyond Go and make.
SHELL := /bin/bash
GO ?= go
BIN := bin/kaji
CACHE := $(CURDIR)/.cache
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X kaji.dev/kaji/internal/version.Version=$(VERSION)

.PHONY: all build release test test-short fuzz demo controlplane controlplane-demo helm helmfile helmdiff flux dev-cluster dev-cluster-down schema bench cdk-fixtures clean

all: build

# Static and with -trimpath, as the control plane, devcluster and the Helm CLI are built: a cold
# `make demo` compiles the packages they share once (tools/controlplane requires kaji's versions).
build: ## build bin/kaji
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/kaji

PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64

release: ## build stripped, static binaries for $(PLATFORMS) into dist/, version stamped, with SHA256SUMS
	@hack/release.sh $(VERSION) $(PLATFORMS)

controlplane: ## build kube-apiserver, etcd, kubectl, kube-controller-manager, kube-scheduler and kwok from Go modules into .cache/controlplane (once)
	@hack/build-controlplane.sh

controlplane-demo: ## build only what the demo and the dev cluster run: kube-apiserver, etcd and kubectl
	@hack/build-controlplane.sh demo

helm: ## build the Helm v4 CLI of the same version into .cache/bin (for the import tests and the benchmarks)
	@hack/build-helm.sh

helmfile: ## build helmfile from its Go module into .cache/bin (for the benchmarks only; make bench builds it when missing)
	@hack/build-helmfile.sh >/dev/null

helmdiff: ## build the helm-diff plugin from its Go module into .cache/helm-plugins (for the benchmarks only; make bench builds it when missing)
	@hack/build-helmdiff.sh >/dev/null

flux: ## build Flux's source-controller and helm-controller, and their CRDs, from Go modules into .cache/flux (once), for the tests of the hand-over to Flux
	@hack/build-flux.sh

test: controlplane helm flux ## run every test (the Helm CLI installs the releases that the import tests take over; Flux takes kaji's releases over), integration tests included, the unit tests again under the race detector, and the packages that plan, apply and lock concurrently under it against the control plane too
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	$(GO) test -race -short -count=1 ./...
	$(GO) test -race -count=1 ./internal/plan ./internal/release ./internal/apply ./internal/lock

test-short: ## unit tests only (no control plane)
	$(GO) test -short ./...

FUZZTIME ?= 1m
fuzz: ## run each fuzz target for FUZZTIME (default 1m), one after the other (hack/fuzz.sh)
	@FUZZTIME=$(FUZZTIME) hack/fuzz.sh

dev-cluster: controlplane-demo ## start a local control plane in the background; kubeconfig in .cache/dev-cluster/kubeconfig
	@hack/dev-cluster.sh up

dev-cluster-down: ## stop the local control plane
	@hack/dev-cluster.sh down

# kaji first, then the smaller part of the control plane, which reuses the packages compiled for
# kaji (tools/controlplane requires the modules they share at kaji's versions).
demo: build controlplane-demo ## apply examples/quickstart on a local control plane, show, destroy
	@hack/demo.sh

bench: controlplane ## run the benchmarks and print a report for BENCHMARKS.md
	@hack/bench.sh

schema: ## regenerate schema/kaji.schema.json from the Go types
	$(GO) run ./hack/genschema > schema/kaji.schema.json

cdk-fixtures: ## synthesize the CDK app of internal/importer/cdk/testdata/app with the cdk CLI (npm packages into .cache/cdk) and refresh its committed templates
	@hack/cdk-fixtures.sh

clean:
	rm -rf bin dist
