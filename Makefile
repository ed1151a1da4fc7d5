# BacklogAI: `make run` starts the app (with the sandbox: emulated Jira and
# demo project); `make test` runs every test. See README.md.

GO        ?= go
BIN       := bin/backlogai
# Every Go package except those npm ships inside node_modules.
PKGS      := $(shell $(GO) list ./... | grep -v /node_modules/)
# The version `backlogai version` prints and traces carry.
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/backlogai/backlogai/server/cli.Version=$(VERSION)
MYSQL_TEST_DSN ?= root:@tcp(127.0.0.1:3306)/test
export MYSQL_TEST_DSN

.PHONY: build run serve test test-sqlite test-mysql test-race lint bench bench-load eval e2e e2e-mcp screenshots docker clean

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./server/cmd/backlogai

# The sandbox: the app on the embedded database, the emulated Jira with the
# demo project, a signed install, and one URL to open.
run: build
	./$(BIN) sandbox

# Only the app, configured from the environment (see README).
serve: build
	./$(BIN) serve

# Every Go test; store tests run on SQLite and, when MYSQL_TEST_DSN reaches a
# server, on MySQL/MariaDB as well (CI=true makes an unreachable MySQL fail).
test: forge-validate-deps
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 20m $(PKGS)

# Atlassian's manifest validator (@forge/manifest) for manifest.yml, run by
# server/forge's tests, and the Custom UI bundles the manifest names (the
# validator checks them); without npm those tests skip (CI has it).
.PHONY: forge-validate-deps
forge-validate-deps:
	@if command -v npm >/dev/null 2>&1; then (cd forge/validate && npm ci --no-audit --no-fund --silent) && $(MAKE) --no-print-directory forge-ui; fi

# The Custom UI resources of manifest.yml, built from the Connect pages'
# files (forge/ui/build.mjs): forge/ui/glance and forge/ui/project. Build
# outputs, not in git: run before `forge deploy` (make test runs it too).
.PHONY: forge-ui
forge-ui:
	cd forge/ui && npm ci --no-audit --no-fund --silent && node build.mjs

test-sqlite:
	MYSQL_TEST_DSN= $(GO) test -count=1 $(PKGS)

test-race:
	$(GO) test -count=1 -race -timeout 30m $(PKGS)

# Formatting, a tidy go.mod, go vet, staticcheck and errcheck (both pinned as
# go.mod tools; .errcheck-excludes says which calls need no check), and
# eslint on the browser scripts (pinned in frontend/package-lock.json).
lint: frontend/node_modules/.package-lock.json
	@test -z "$$(gofmt -l server migrations *.go)" || (gofmt -l server migrations *.go; echo "gofmt needed"; exit 1)
	$(GO) mod tidy -diff
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)
	$(GO) tool errcheck -ignoretests -exclude .errcheck-excludes $(PKGS)
	cd frontend && npx --no-install eslint static

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x -timeout 30m $(PKGS)

# Load figures that need a quiet machine (not part of make test): one tenant
# floods the API while another's latency is measured (docs/performance.md).
bench-load:
	FAIRNESS_TEST=1 $(GO) test -count=1 -run TestFairnessUnderFlood -v -timeout 10m ./server/e2e/

eval: build
	./$(BIN) eval --data ../shared/data

# Story generation measured against the LLM endpoint the environment
# configures (OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL); it says so
# and fails when there is none. Offline, the same scenarios run in
# `go test ./server/generate -run TestScenarios -v`.
.PHONY: eval-generate
eval-generate:
	$(GO) run ./server/generate/cmd/evalgen

e2e: build
	cd e2e && npm ci --no-audit --no-fund && node run.mjs

# The MCP server end to end with the official TypeScript MCP SDK (Node 20).
e2e-mcp: build
	cd e2e/mcp && npm ci --no-audit --no-fund && node test.mjs

screenshots: build
	cd e2e && npm ci --no-audit --no-fund && UPDATE_SCREENSHOTS=1 node run.mjs

# The production image, stamped with the same version as `make build`.
docker:
	docker build --build-arg VERSION=$(VERSION) -t backlogai:$(VERSION) .

clean:
	rm -rf bin
