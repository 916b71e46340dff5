# Thin wrappers over the npm scripts; `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Node 24 under every target that runs node or npm. scripts/node24.sh (shared with .ci/run) names the
# folder of a Node 24 it installs when the machine's Node is older (nothing when it is 24 or later); the
# node24 target installs it there, or stops with the command to run, before any build.
NODE24_BIN := $(shell bash scripts/node24.sh bin)
export PATH := $(if $(NODE24_BIN),$(NODE24_BIN):)$(PATH)

node_modules: package.json package-lock.json | node24
	npm ci
	@touch node_modules

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

.PHONY: node24
node24: ## Node 24 first on PATH: the machine's if 24 or later, else installed once from the npm registry
	@bash scripts/node24.sh

.PHONY: install
install: node_modules ## install npm dependencies (npm ci)

.PHONY: build
build: node_modules ## compile TypeScript to dist/
	npm run build

.PHONY: lint
lint: node_modules ## Biome lint and format check
	npm run lint

.PHONY: typecheck
typecheck: node_modules ## tsc --noEmit over src and test
	npm run typecheck

.PHONY: gen-crds
gen-crds: node_modules ## regenerate crds/ from the zod schemas in src/api
	npm run gen:crds

.PHONY: envtest-bin
envtest-bin: ## find or build etcd and kube-apiserver for the test harness
	bash scripts/envtest-bin.sh

.PHONY: test
test: node24 node_modules envtest-bin ## lint, typecheck, then unit and integration tests on a real API server
	npm run lint
	npm run typecheck
	npx vitest run

.PHONY: test-unit
test-unit: node_modules ## only the fast unit tests
	npx vitest run --project unit

.PHONY: test-integration
test-integration: node24 node_modules envtest-bin ## only the tests against the real API server and simulators
	npx vitest run --project integration

.PHONY: mutation
mutation: node_modules ## Stryker over mutation/modules.mjs with the unit and providers tests (one worker, incremental; per-file figures in mutation/baseline.json; not in make test)
	npm run mutation

.PHONY: mutation-file
mutation-file: node_modules ## Stryker on one file, its figures recorded in mutation/baseline.json: make mutation-file FILE=src/reconcilers/tenant/decide.ts
	npx tsx scripts/mutation-record.ts $(FILE)

.PHONY: mutation-tenant
mutation-tenant: node_modules ## mutation-file against only the tests that reach a tenant/engine file (mutation/narrow-tenant.mjs; a lower bound): make mutation-tenant FILE=src/reconcilers/tenant/decide.ts
	MUTATION_TESTS=$$(node mutation/narrow-tenant.mjs $(FILE)) npx tsx scripts/mutation-record.ts $(FILE)

.PHONY: mutation-integration
mutation-integration: node24 node_modules envtest-bin ## Stryker on the modules only the integration tests reach (slow; FILE=... for one)
	npx tsx scripts/mutation-record.ts --integration $(or $(FILE),src/reconcilers/engine/set-reconciler.ts src/reconcilers/connect.ts)

.PHONY: sim
sim: node_modules ## run a simulator: make sim ARGS="obshell --port 2886"
	npm run sim -- $(ARGS)

.PHONY: demo
demo: node24 node_modules envtest-bin ## local Kubernetes + simulators + examples, until Ctrl-C (DEMO_ARGS=--exit-when-settled to stop at the end states)
	npx tsx scripts/demo.ts $(DEMO_ARGS)

# --- kind, for users with Docker (not run in CI: no Docker engine there) ---
KIND_CLUSTER ?= dbfleet
# One version: package.json's. It tags the image, labels it, is what --version prints and what
# deploy/ names (a test keeps deploy/ equal to it).
VERSION = $(shell sed -n 's/^  "version": "\(.*\)",$$/\1/p' package.json)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
SOURCE ?= $(shell git config --get remote.origin.url 2>/dev/null)
IMAGE ?= dbfleet-operator:$(VERSION)

.PHONY: image
image: ## build the operator image, tagged with package.json's version, OCI labels from git
	docker build --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) --build-arg SOURCE=$(SOURCE) -t $(IMAGE) .

# dist/ is git-ignored: release files are built, never committed. RELEASE_DIR moves them (the test does).
RELEASE_DIR ?= dist

.PHONY: release
release: ## dist/install.yaml (CRDs + operator as deploy/ renders them, one file) and dist/sbom.cdx.json (CycloneDX, production dependencies)
	mkdir -p $(RELEASE_DIR)
	{ echo "# dbfleet-operator $(VERSION): CRDs and operator (kubectl kustomize deploy/). Install: kubectl apply -f install.yaml"; \
	  kubectl kustomize deploy/; } > $(RELEASE_DIR)/install.yaml.tmp
	mv $(RELEASE_DIR)/install.yaml.tmp $(RELEASE_DIR)/install.yaml
	@# npm sbom --omit=dev drops a production dependency that a dev dependency also reaches (zod here;
	@# npm/cli#7909), so it runs on a production-only install of the lock file, devDependencies removed.
	rm -rf $(RELEASE_DIR)/.sbom && mkdir -p $(RELEASE_DIR)/.sbom/dbfleet-operator
	cp package.json package-lock.json $(RELEASE_DIR)/.sbom/dbfleet-operator/
	cd $(RELEASE_DIR)/.sbom/dbfleet-operator && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline >/dev/null \
	  && npm pkg delete devDependencies && npm sbom --sbom-format cyclonedx --omit=dev > ../../sbom.cdx.json.tmp
	mv $(RELEASE_DIR)/sbom.cdx.json.tmp $(RELEASE_DIR)/sbom.cdx.json
	rm -rf $(RELEASE_DIR)/.sbom

.PHONY: kind-up
kind-up: ## create a kind cluster
	kind get clusters | grep -qx $(KIND_CLUSTER) || kind create cluster --name $(KIND_CLUSTER)

.PHONY: kind-load
kind-load: image ## load the image into the kind cluster
	kind load docker-image $(IMAGE) --name $(KIND_CLUSTER)

.PHONY: e2e-kind
e2e-kind: node24 node_modules kind-up kind-load ## deploy on kind, wait for it, then run the envtest suites against that cluster
	kubectl --context kind-$(KIND_CLUSTER) apply -k deploy/
	kubectl --context kind-$(KIND_CLUSTER) -n dbfleet-system rollout status deployment/dbfleet-operator --timeout=180s
	kind get kubeconfig --name $(KIND_CLUSTER) > .kind-kubeconfig
	DBFLEET_KUBECONFIG=$(CURDIR)/.kind-kubeconfig npx vitest run --project integration

.PHONY: bench
bench: node24 node_modules envtest-bin ## benchmarks (prints figures, writes bench/results/latest.json)
	npx tsx bench/run.ts

.PHONY: bench-compare
bench-compare: node24 ## latest benchmark results against bench/baseline.json
	npx tsx bench/compare.ts

.PHONY: chaos
chaos: node24 node_modules envtest-bin ## seeded fault-injection runs with new seeds (CHAOS_RUNS=10; make test replays 2 fixed ones)
	CHAOS_RANDOM=1 CHAOS_RUNS=$${CHAOS_RUNS:-10} npx vitest run --project chaos
