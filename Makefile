# trustlayer: build, run and test the functions. See README.md.
#
# make dev              the whole stack locally (infra/cmd/devstack up), Ctrl-C stops it
# make test             the same stack on free ports around `go test ./...` (each package
#                       may take 40 min: the e2e package runs its tests one after another)
# make deps             install missing Debian packages (dev, test and bench run it first)
# make bench            Go benchmarks with the stack (the default -benchtime: store and
#                       scan benchmarks take over a second per iteration, so they run once)
# make bench-coldstart  binary size and cold start of every function under RIE
#                       (COLDSTART_FLAGS="-fn keyless -rounds 41" for one function;
#                       -also keyless=old/bootstrap measures another build in the same rounds)
# make bench-scale      a Hub-shaped workload on the stack's DynamoDB and git, reads and
#                       writes counted at the store layer (BENCHSCALE_FLAGS=-files 5000
#                       for a quick run; see infra/cmd/benchscale)
# make invoke FN=health EVENT=infra/events/http-api-v2-get-health.json
# make build            every function for Lambda: .build/lambda/<LogicalId>/bootstrap (arm64)
# make build-HealthFunction ARTIFACTS_DIR=dir   what `sam build` calls (BuildMethod: makefile)

SHELL   := /bin/bash
GO      ?= go
# Built, then run (not `go run`), so Ctrl-C and exit codes reach make unchanged.
DEVSTACK = $(GO) build -o .build/devstack ./infra/cmd/devstack && .build/devstack
LAMBDA_FLAGS = -tags lambda.norpc,grpcnotrace -trimpath -ldflags "-s -w"
# Logical id -> folder: strip "Function", lower-case (HealthFunction -> functions/health).
FUNCTIONS := $(shell sed -n 's/^  \([A-Za-z0-9]\+Function\):$$/\1/p' template.yaml)

.PHONY: dev test bench bench-scale bench-coldstart invoke build deps tools vet fmt clean

# Missing Debian packages first (installed as root or with passwordless
# sudo, otherwise the one command to run is printed), before any download.
deps:
	@bash infra/deps.sh

dev: deps
	$(DEVSTACK) up $(DEVSTACK_FLAGS)

test: deps
	$(DEVSTACK) test -- $(GO) test ./... -count=1 -timeout 40m $(TESTFLAGS)

bench: deps
	$(DEVSTACK) test -- $(GO) test -run '^$$' -bench . -timeout 20m ./...

bench-scale: deps
	$(DEVSTACK) test -- $(GO) run ./infra/cmd/benchscale $(BENCHSCALE_FLAGS)

bench-coldstart:
	$(DEVSTACK) coldstart $(COLDSTART_FLAGS)

invoke:
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=health EVENT=infra/events/http-api-v2-get-health.json"; exit 2; }
	$(DEVSTACK) invoke -fn $(FN) -event $(EVENT)

build: $(addprefix lambda-,$(FUNCTIONS))

lambda-%Function:
	$(MAKE) --no-print-directory build-$*Function ARTIFACTS_DIR=.build/lambda/$*Function

# sam build (BuildMethod: makefile) runs `make build-<LogicalId>` with
# ARTIFACTS_DIR set; provided.al2023 on arm64 wants a static `bootstrap`.
build-%Function:
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set (sam build sets it)"; exit 2; }
	mkdir -p $(ARTIFACTS_DIR)
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(shell echo '$*' | tr '[:upper:]' '[:lower:]')

tools:
	bash infra/tools.sh

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w $$(git ls-files '*.go')

clean:
	rm -rf .build .devstack
