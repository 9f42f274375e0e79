# Sluice build. Every tool the build needs is installed here from the registries
# (Go module proxy, npm), pinned, into ./bin and ./tools/node_modules.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO    ?= go
BIN   := $(CURDIR)/bin
BUF   := tools/node_modules/.bin/buf

PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
GRPCURL_VERSION            := v1.9.3

# buf breaking compares the protos with main; on main itself, with the commit before.
BREAKING_REF ?= $(shell if [ "$$(git rev-parse --abbrev-ref HEAD 2>/dev/null)" != main ]; then echo main; \
                  elif git rev-parse -q --verify HEAD~1 >/dev/null; then echo HEAD~1; fi)

TEST_FLAGS ?= -race -timeout 15m

.PHONY: help run build test test-go test-chaos test-clients generate lint check-generated breaking bench tools clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# `make build` stamps the version and commit that `sluice version` prints.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# Extra flags for `make run`, e.g. make run ARGS='--log-format json --log-level debug'.
ARGS ?=

run: build ## Build and start a single-node broker (data in ./sluice-data, listening on 127.0.0.1:7070); ARGS='...' adds serve flags
	$(BIN)/sluice serve $(ARGS)

build: ## Build bin/sluice, stamped with the version and commit
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/sluice ./cmd/sluice

test: tools lint check-generated breaking build test-go fuzz-short test-clients ## Install tools, check generated code, lint, run every test

# The log lets a failure be repeated at the end of the output, where CI shows it.
GO_TEST_LOG ?= $(CURDIR)/.go-test.log

# The Go tests include a short run of the fault-injection suite (chaos/,
# CHAOS_SHORT_SECONDS of faults on three brokers in network namespaces) and
# the observability tests against a real Prometheus server.
CHAOS_SHORT_SECONDS ?= 45

test-go: chaos-deps prometheus-deps ## Run the Go tests (race detector on), with a short fault-injection run
	PATH="$(BIN):$$PATH" SLUICE_REQUIRE_CHAOS=1 SLUICE_CHAOS_SECONDS=$(CHAOS_SHORT_SECONDS) SLUICE_REQUIRE_PROMETHEUS=1 $(GO) test $(TEST_FLAGS) ./... 2>&1 | tee $(GO_TEST_LOG) || \
	  { scripts/test-failures.sh $(GO_TEST_LOG); exit 1; }

# Every native Go fuzz target (scripts/fuzz.sh finds them), one after the
# other. test-go already replays each target's seeds and testdata/fuzz
# crashers; these search for new ones.
FUZZ_TIME       ?= 60s
FUZZ_SHORT_TIME ?= 2s

.PHONY: fuzz fuzz-short
fuzz: ## Fuzz every target for FUZZ_TIME each (default 60s; 14 targets, about 16 min)
	GO=$(GO) FUZZ_TIME=$(FUZZ_TIME) scripts/fuzz.sh

fuzz-short: ## Fuzz every target briefly (FUZZ_SHORT_TIME each, default 2s: about a minute); part of make test
	GO=$(GO) FUZZ_TIME=$(FUZZ_SHORT_TIME) scripts/fuzz.sh

# clients/<lang>/Makefile installs that language's tools and tests its package.
CLIENT_DIRS := $(patsubst %/Makefile,%,$(wildcard clients/*/Makefile))

# buf.gen.yaml generates every language; the SDKs' plugins come with their tools.
generate: tools $(foreach d,$(CLIENT_DIRS),tools-$(notdir $(d))) ## Regenerate gen/ from proto/
	$(BUF) generate

tools-%: ## Install the tools of clients/% (used by generate)
	$(MAKE) -C clients/$* tools

test-clients: build ## Test every client SDK against a real broker
	@for d in $(CLIENT_DIRS); do echo "== $$d"; $(MAKE) -C $$d test SLUICE_BIN=$(BIN)/sluice || exit 1; done

lint: tools ## buf lint, buf format, gofmt, go vet
	$(BUF) lint
	$(BUF) format --diff --exit-code
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^gen/') ); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	$(GO) vet ./...

check-generated: generate ## Fail if regenerating changes gen/
	@if [ -n "$$(git status --porcelain -- gen/)" ]; then \
	  echo "gen/ is out of date with proto/: run 'make generate' and commit"; git status --short -- gen/; exit 1; fi

breaking: tools ## buf breaking (FILE) against main
	@if [ -z "$(BREAKING_REF)" ] || ! git cat-file -e "$(BREAKING_REF):proto" 2>/dev/null; then \
	  echo "buf breaking: no earlier protos to compare with"; else \
	  echo "buf breaking against $(BREAKING_REF)"; $(BUF) breaking --against '.git#ref=$(BREAKING_REF),subdir=proto'; fi

test-chaos: ## Three broker processes killed in turn for 30 s while a producer writes; no acked record may be lost
	SLUICE_CHAOS_SECONDS=30 $(GO) test -count=1 -v -run TestNoAckedRecordLostWhileBrokersAreKilled ./cmd/sluice

bench: build bench-deps ## Run the benchmarks and write docs/benchmarks.md
	PATH="$(BIN):$$PATH" ./scripts/bench.sh

tools: $(BUF) $(BIN)/.protoc-gen-go-$(PROTOC_GEN_GO_VERSION) $(BIN)/.protoc-gen-go-grpc-$(PROTOC_GEN_GO_GRPC_VERSION) $(BIN)/.grpcurl-$(GRPCURL_VERSION) ## Install pinned tools

# npm install rather than npm ci: the registry serves only some of buf's
# per-platform packages, and npm ci refuses a lock file that lacks the others.
# The version is pinned exactly in package.json either way.
$(BUF): tools/package.json tools/package-lock.json
	npm install --prefix tools --no-audit --no-fund --no-save --loglevel=error
	touch $@

$(BIN)/.protoc-gen-go-$(PROTOC_GEN_GO_VERSION):
	GOBIN=$(BIN) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	touch $@

$(BIN)/.protoc-gen-go-grpc-$(PROTOC_GEN_GO_GRPC_VERSION):
	GOBIN=$(BIN) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	touch $@

$(BIN)/.grpcurl-$(GRPCURL_VERSION):
	GOBIN=$(BIN) $(GO) install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)
	touch $@

clean: ## Remove build outputs and installed tools
	rm -rf $(BIN) tools/node_modules

# The fault-injection suite (chaos/) runs brokers in network namespaces and
# injects faults with iptables: Debian's iproute2 and iptables, as root.
.PHONY: chaos-deps chaos chaos-long
chaos-deps: ## Install Debian's iproute2 and iptables when missing (for the fault-injection suite)
	@command -v ip >/dev/null && command -v iptables >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends iproute2 iptables; }

SEED    ?=
SECONDS ?= 120
BROKERS ?= 3
KINDS   ?=
chaos: chaos-deps ## One seeded fault schedule: make chaos SEED=n SECONDS=s [BROKERS=5] [KINDS=kill,pause]
	SLUICE_REQUIRE_CHAOS=1 SLUICE_CHAOS_SEED=$(SEED) SLUICE_CHAOS_SECONDS=$(SECONDS) SLUICE_CHAOS_BROKERS=$(BROKERS) \
	  SLUICE_CHAOS_KINDS=$(KINDS) $(GO) test -count=1 -v -timeout 0 -run '^TestNemesis$$' ./chaos/

# At least 1,000 faults in under an hour: faults of 0.5-3 s, 0.5-1.5 s apart,
# for 55 minutes; the summary goes to docs/chaos/ (see docs/reliability.md).
LONG_SECONDS ?= 3300
chaos-long: chaos-deps ## About 1,200 seeded faults in 55 minutes; writes docs/chaos/long-run-$(BROKERS)-brokers.md
	mkdir -p docs/chaos
	SLUICE_REQUIRE_CHAOS=1 SLUICE_CHAOS_SEED=$(SEED) SLUICE_CHAOS_SECONDS=$(LONG_SECONDS) SLUICE_CHAOS_BROKERS=$(BROKERS) \
	  SLUICE_CHAOS_KINDS=$(KINDS) SLUICE_CHAOS_FAULT_MS=500-3000 SLUICE_CHAOS_GAP_MS=500-1500 \
	  SLUICE_CHAOS_REPORT=$(CURDIR)/docs/chaos/long-run-$(BROKERS)-brokers.json \
	  SLUICE_CHAOS_MARKDOWN=$(CURDIR)/docs/chaos/long-run-$(BROKERS)-brokers.md \
	  $(GO) test -count=1 -v -timeout 0 -run '^TestNemesis$$' ./chaos/

# The observability tests scrape a three-broker cluster with a real
# Prometheus server: Debian's package (2.42; its service is not started, the
# tests run their own on loopback ports).
.PHONY: prometheus-deps
prometheus-deps: ## Install Debian's prometheus when missing (for the observability tests)
	@command -v prometheus >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends prometheus; }

.PHONY: bench-deps
bench-deps: ## Debian packages the benchmark scripts use (jq, curl), installed when missing
	@command -v jq >/dev/null && command -v curl >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq jq curl; }

.PHONY: bench-peers
bench-peers: build bench-deps ## NATS JetStream, Kafka and Sluice, three nodes each, side by side (about 6 min here); writes docs/bench/ and docs/benchmarks.md
	PATH="$(BIN):$$PATH" ./scripts/bench-peers.sh

.PHONY: bench-tls
bench-tls: build bench-deps ## Produce and consume throughput of one local broker with TLS off and on (figures in docs/security.md)
	PATH="$(BIN):$$PATH" ./scripts/bench-tls.sh

.PHONY: bench-cluster
bench-cluster: build bench-deps ## Three local brokers: idle cost of 1,000 RF=3 partitions and RF=3 produce; writes docs/benchmarks-cluster.md
	PATH="$(BIN):$$PATH" ./scripts/bench-cluster.sh

.PHONY: bench-compression
bench-compression: ## Ratio and CPU cost of each codec on batches of 1 KiB JSON-like records (Go benchmarks; figures in docs/benchmarks.md)
	$(GO) test -run '^$$' -bench BenchmarkCompression -benchtime 2s -count 3 ./server/compress

.PHONY: bench-catchup bench-nonreader
bench-catchup: build ## Follower catch-up: a broker stopped while 300 MB is produced, restarted, timed until caught up (bounded: 300 s produce, 180 s catch-up); figures in docs/benchmarks.md
	PATH="$(BIN):$$PATH" ./scripts/bench-catchup.sh

bench-nonreader: build ## What a producer that never reads costs the other producers of its broker (3 pairs of 5 s runs); figures in docs/benchmarks.md
	./scripts/bench-nonreader.sh
