# Concord — build and test.
#
#   make test    install what the tests need (Debian chromium, poppler-utils, postgresql) when missing, vet,
#                test everything with -race on SQLite, then the models and handlers tests on a throw-away
#                PostgreSQL server (skipped with a loud warning when PostgreSQL is not installed, an error
#                with CONCORD_REQUIRE_POSTGRES=1)
#   make test-postgres   only the PostgreSQL run
#   make run     serve on http://127.0.0.1:8080 with ./concord.db
#   make demo    serve with the sample consultation and demo accounts
#   make bench   run the aggregation and save-path benchmarks (figures as ratios to a baseline measured in the same run)
#   make loadtest        32 delegates save through the real server for 10 s, with a kill -9 half-way
#   make loadtest-smoke  the same, 4 delegates for 3 s (CI)
#   make loadtest-smoke-postgres  the same on a throw-away PostgreSQL with two server instances (CI)
#   make build   build ./bin/concord
#   make fuzz    fuzz the position form, then the scale-label counter (FUZZTIME=1m each)

GO ?= go
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || true)

.PHONY: test test-postgres deps vet build run demo bench fuzz clean loadtest loadtest-smoke loadtest-smoke-postgres

test: deps vet
	$(GO) test -race -count=1 ./...
	$(postgres-run)

test-postgres: deps
	$(postgres-run)

# The PostgreSQL run: scripts/pgtest starts a server in a fresh folder, the
# tests get its admin URL in CONCORD_TEST_POSTGRES (internal/testdb makes a
# database per test on it), and the server is stopped and its folder removed
# however the run ends. pgtest exits with 3 when PostgreSQL is not installed.
PGTEST ?= scripts/pgtest
PG_PACKAGES ?= ./models/... ./handlers/...
PG_TESTFLAGS ?= -race
define postgres-run
@dir=$$(mktemp -d /tmp/concord-pg.XXXXXX) || exit 1; \
trap '$(PGTEST) stop "$$dir"' EXIT; trap 'exit 130' INT TERM; \
url=$$($(PGTEST) start "$$dir"); rc=$$?; \
if [ $$rc -eq 3 ]; then \
	echo "" >&2; \
	echo "**********************************************************************" >&2; \
	echo "***  PostgreSQL NOT FOUND: the PostgreSQL test run is SKIPPED.     ***" >&2; \
	echo "***  Only SQLite was tested. Install Debian's postgresql package   ***" >&2; \
	echo "***  (make deps does, as root), or set CONCORD_REQUIRE_POSTGRES=1  ***" >&2; \
	echo "***  to make its absence an error.                                 ***" >&2; \
	echo "**********************************************************************" >&2; \
	echo "" >&2; \
	if [ "$$CONCORD_REQUIRE_POSTGRES" = 1 ]; then echo "CONCORD_REQUIRE_POSTGRES=1: failing" >&2; exit 1; fi; \
	exit 0; \
fi; \
[ $$rc -eq 0 ] || { echo "the PostgreSQL test server did not start" >&2; exit $$rc; }; \
echo "PostgreSQL test server: $$url"; \
echo "CONCORD_TEST_POSTGRES=$$url $(GO) test $(PG_TESTFLAGS) -count=1 $(PG_PACKAGES)"; \
CONCORD_TEST_POSTGRES="$$url" $(GO) test $(PG_TESTFLAGS) -count=1 $(PG_PACKAGES)
endef

# Browser tests need Debian's chromium, the PDF tests poppler-utils' pdftotext
# and the PostgreSQL run the postgresql server; install whichever is missing
# when we can (one apt-get update for all).
PDFTOTEXT ?= $(shell command -v pdftotext || true)
SOFFICE ?= $(shell command -v soffice || true)
PG_INITDB ?= $(shell command -v initdb || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -n 1)
deps:
	@missing=""; \
	if [ -z "$(CHROMIUM)" ]; then missing="$$missing chromium"; fi; \
	if [ -z "$(PDFTOTEXT)" ]; then missing="$$missing poppler-utils"; fi; \
	if [ -z "$(PG_INITDB)" ]; then missing="$$missing postgresql"; fi; \
	if [ -z "$(SOFFICE)" ]; then missing="$$missing libreoffice-calc-nogui"; fi; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
			echo "installing$$missing for the browser, PDF, PostgreSQL and spreadsheet tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "missing and cannot be installed here (need root and apt-get):$$missing; the browser, PDF, PostgreSQL or spreadsheet tests will be skipped"; \
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

# Two instances on one throw-away PostgreSQL database (its empty "postgres"
# database), the first killed half-way. The test server runs with fsync
# off: this proves behaviour, not speed.
loadtest-smoke-postgres: build
	@dir=$$(mktemp -d /tmp/concord-pg.XXXXXX) || exit 1; \
	trap '$(PGTEST) stop "$$dir"' EXIT; trap 'exit 130' INT TERM; \
	url=$$($(PGTEST) start "$$dir"); rc=$$?; \
	if [ $$rc -eq 3 ] && [ "$$CONCORD_REQUIRE_POSTGRES" != 1 ]; then \
		echo "*** PostgreSQL NOT FOUND: the PostgreSQL load test is SKIPPED ***" >&2; exit 0; \
	fi; \
	[ $$rc -eq 0 ] || { echo "the PostgreSQL test server did not start" >&2; exit 1; }; \
	bin/concord loadtest -smoke -kill9 -instances 2 -db "$$url"

clean:
	rm -rf bin

# Fuzz the position form decoding and validation, then the count of scale
# labels against decoding them, for a while each (FUZZTIME=1m by default).
FUZZTIME ?= 1m
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzPositionForm -fuzztime $(FUZZTIME) ./handlers/
	$(GO) test -run '^$$' -fuzz FuzzCountList -fuzztime $(FUZZTIME) ./models/
