# Concord — build and test.
#
#   make test    install what the tests need (Debian chromium, poppler-utils) when missing, then vet and test with -race
#   make run     serve on http://127.0.0.1:8080 with ./concord.db
#   make demo    serve with the sample consultation and demo accounts
#   make bench   run the aggregation and save-path benchmarks (figures as ratios to a baseline measured in the same run)
#   make loadtest        32 delegates save through the real server for 10 s, with a kill -9 half-way
#   make loadtest-smoke  the same, 4 delegates for 3 s (CI)
#   make build   build ./bin/concord
#   make fuzz    fuzz the position form (FUZZTIME=1m)

GO ?= go
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || true)

.PHONY: test deps vet build run demo bench fuzz clean loadtest loadtest-smoke

test: deps vet
	$(GO) test -race -count=1 ./...

# Browser tests need Debian's chromium and the PDF tests poppler-utils' pdftotext;
# install whichever is missing when we can (one apt-get update for both).
PDFTOTEXT ?= $(shell command -v pdftotext || true)
deps:
	@missing=""; \
	if [ -z "$(CHROMIUM)" ]; then missing="$$missing chromium"; fi; \
	if [ -z "$(PDFTOTEXT)" ]; then missing="$$missing poppler-utils"; fi; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
			echo "installing$$missing for the browser and PDF tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "missing and cannot be installed here (need root and apt-get):$$missing; the browser or PDF tests will be skipped"; \
		fi; \
	fi

vet:
	$(GO) vet ./...

build:
	CGO_ENABLED=1 $(GO) build -trimpath -o bin/concord ./cmd/concord

run:
	$(GO) run ./cmd/concord

demo:
	$(GO) run ./cmd/concord -demo

bench:
	$(GO) test -run '^$$' -bench . -benchtime 5x -cpu 1 ./consensus/
	$(GO) test -run '^$$' -bench 'FormSave' -benchtime 3000x ./models/

DELEGATES ?= 32
DURATION ?= 10s
loadtest: build
	bin/concord loadtest -delegates $(DELEGATES) -duration $(DURATION) -kill9

loadtest-smoke: build
	bin/concord loadtest -smoke -kill9

clean:
	rm -rf bin

# Fuzz the position form decoding and validation for a while (FUZZTIME=1m by default).
FUZZTIME ?= 1m
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzPositionForm -fuzztime $(FUZZTIME) ./handlers/
