# coldsig build and test entry points. `make test` is what CI runs.
GO        ?= go
BIN       := bin/coldsig
GOFLAGS_BUILD := -trimpath
export CGO_ENABLED ?= 0
# Iteration counts, not durations: a time-based -fuzztime can end with a
# spurious "context deadline exceeded" failure when it expires mid-run.
FUZZTIME  ?= 2000x

.PHONY: all build test unit lint fuzz fuzz-short chaos chaos-short race bench demo clean vectors release release-check

all: build

build:
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN) ./cmd/coldsig

# The full gate: formatting, vet, the unit and CLI suites, the -race run of
# the state engine, a short pass of every fuzz target, and the short form of
# the reliability campaign (>= 30 SIGKILLs and faults, a few minutes), and
# two clean release builds that must hash the same (issue 12: a second
# build anyone can run must give the published SHA256SUMS).
test: lint unit race fuzz-short chaos-short release-check

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -timeout 30m ./...

# -race needs cgo; the race run covers the packages that run goroutines
# inside tss-lib rounds.
race:
	scripts/race.sh

fuzz-short:
	scripts/fuzz.sh $(FUZZTIME)

fuzz:
	scripts/fuzz.sh 200000x

# The reliability campaign (scripts/chaos, ceremony/chaos_test.go): the
# short form in make test, the long form (>= 200 SIGKILLs) on demand.
chaos-short:
	scripts/chaos short

chaos:
	scripts/chaos long

bench:
	$(GO) test -run='^$$' -bench=. -benchtime=1x -timeout 60m ./...

demo: build
	scripts/demo.sh

# Regenerate every test vector set (docs/format.md, "Test vectors").
vectors:
	scripts/vectors.sh

# Reproducible release binaries for linux/amd64, linux/arm64, darwin/arm64
# and windows/amd64, with SHA256SUMS, built from the committed HEAD.
release:
	rm -rf dist
	scripts/release.sh dist

# Two clean release builds must give identical SHA256SUMS.
release-check:
	scripts/release-check.sh

clean:
	rm -rf bin dist
