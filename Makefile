# Lindungi — `make run` starts the bot, `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/lindungi?sslmode=disable
export DATABASE_URL
# Tests create (and drop) their own databases through this server.
LINDUNGI_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export LINDUNGI_TEST_DATABASE_URL

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHSTAT   := golang.org/x/perf/cmd/benchstat@v0.0.0-20250813145418-2f7363a06fe1
FUZZTIME    ?= 10000x
LONGFUZZ    ?= 2m
# cmd/lindungi refuses this key with LINDUNGI_ENV=production.
DEV_KEY     := .lindungi/dev-data-key
BIN         := bin/lindungi

# The database named in DATABASE_URL, and the same server's "postgres" database.
DB_NAME   = $(shell echo '$(DATABASE_URL)' | sed -E 's#^[^/]*//[^/]*/([^?]*).*#\1#')
ADMIN_URL = $(shell echo '$(DATABASE_URL)' | sed -E 's#^([^/]*//[^/]*/)[^?]*#\1postgres#')

FUZZ_TARGETS := ./clock:FuzzParse ./nik:FuzzParse ./tanggal:FuzzParse ./telepon:FuzzParse ./nama:FuzzParse ./nama:FuzzMatch ./flows:FuzzAgentInput ./tanggal:FuzzParseWhen ./markup:FuzzHTML ./roster:FuzzCheck ./roster:FuzzOpen ./kpj:FuzzRead ./iuran:FuzzParseAmount ./iuran:FuzzParse ./iuran:FuzzParseDiscounts ./iuran:FuzzCoverage ./wilayah:FuzzSearch ./flows:FuzzParseCommand ./payments/midtrans:FuzzVerify ./payments/midtrans:FuzzTamper ./payments/midtrans:FuzzCancelAnswer ./payments/midtrans:FuzzAccountAnswer ./payments/midtrans:FuzzSubscriptionAnswer ./payments/midtrans:FuzzVerifyRecurring ./payments/sandbox:FuzzVerify ./bot/whatsapp:FuzzWebhook ./bot/whatsapp:FuzzSignature ./bot/whatsapp:FuzzFit ./flows:FuzzReadLink ./flows:FuzzParseChargeDay

# The clocks make test-future runs the unit tests at: about 400 days ahead,
# and the leap day 2028 at 08:00 WIB (see clock/clock.go).
FUTURE_CLOCKS ?= +400d 2028-02-29T08:00:00+07:00
# make test runs every package under the race detector.
RACE ?= -race

.PHONY: help run chat build test test-future lint vet unit pg-check browser-check fuzz-short fuzz bench db key

help:
	@echo "make run    start the bot: the web chat on http://127.0.0.1:8080/ (and Telegram with TELEGRAM_BOT_TOKEN)"
	@echo "make chat   talk to the bot in this terminal"
	@echo "make test   lint + all tests under the race detector (needs PostgreSQL at 127.0.0.1:5432)"
	@echo "make test-future  the unit tests again with the clock moved to $(FUTURE_CLOCKS)"
	@echo "make bench  benchmarks: engine throughput vs pgbench, parsers"
	@echo "make fuzz   fuzz every parser for $(LONGFUZZ) each"

build:
	go build -o $(BIN) ./cmd/lindungi

run: build db key
	@if [ -z "$$LINDUNGI_DATA_KEY" ] && [ -z "$$LINDUNGI_DATA_KEY_FILE" ]; then export LINDUNGI_DATA_KEY_FILE=$(DEV_KEY); fi; \
	if [ -z "$$TELEGRAM_BOT_TOKEN" ]; then echo "No TELEGRAM_BOT_TOKEN: serving the web chat only. Open the address below in a browser."; fi; \
	exec ./$(BIN) serve

chat: build db key
	@if [ -z "$$LINDUNGI_DATA_KEY" ] && [ -z "$$LINDUNGI_DATA_KEY_FILE" ]; then export LINDUNGI_DATA_KEY_FILE=$(DEV_KEY); fi; \
	exec ./$(BIN) chat

# db makes sure the server answers and the database exists.
db:
	@command -v psql >/dev/null || { echo "!!! psql is missing: apt-get install postgresql-client"; exit 1; }
	@psql "$(ADMIN_URL)" -Atqc 'SELECT 1' >/dev/null 2>&1 || { \
	  echo "!!! PostgreSQL does not answer at $(ADMIN_URL)."; \
	  echo "!!! Start it: pg_ctlcluster --skip-systemctl-redirect \$$(ls /etc/postgresql) main start (or set DATABASE_URL)"; exit 1; }
	@if [ "$$(psql "$(ADMIN_URL)" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$(DB_NAME)'")" != 1 ]; then \
	  psql "$(ADMIN_URL)" -qc 'CREATE DATABASE "$(DB_NAME)"' && echo "created database $(DB_NAME)"; fi

# key creates a development data key when none is configured.
key:
	@if [ -z "$$LINDUNGI_DATA_KEY" ] && [ -z "$$LINDUNGI_DATA_KEY_FILE" ] && [ ! -s $(DEV_KEY) ]; then \
	  mkdir -p $(dir $(DEV_KEY)) && umask 077 && head -c 32 /dev/urandom | base64 > $(DEV_KEY) && \
	  echo "created a development data key in $(DEV_KEY) (set LINDUNGI_DATA_KEY or LINDUNGI_DATA_KEY_FILE in production)"; fi

test: lint browser-check unit fuzz-short

# The web chat's browser test needs Debian's chromium; without it that test skips, and says so here.
browser-check:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "!!! SKIP: the web chat's browser test (bot/web) needs Chromium: apt-get install chromium"; fi

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go run $(STATICCHECK) ./...

vet:
	go vet ./...

pg-check:
	@psql "$(LINDUNGI_TEST_DATABASE_URL)" -Atqc 'SELECT 1' >/dev/null 2>&1 || { \
	  echo "!!! PostgreSQL does not answer at $(LINDUNGI_TEST_DATABASE_URL): the tests need it."; \
	  echo "!!! Start it: pg_ctlcluster --skip-systemctl-redirect \$$(ls /etc/postgresql) main start"; exit 1; }

unit: pg-check
	go test -count=1 $(RACE) ./...

# test-future runs every package's tests again at each of FUTURE_CLOCKS: the
# project's clock (package clock) reads LINDUNGI_TEST_CLOCK, and every Now
# default and test helper reads that clock. The first line of each run says
# the date it runs at.
test-future: pg-check browser-check
	@set -e; for c in $(FUTURE_CLOCKS); do \
	  echo "=== the unit tests with LINDUNGI_TEST_CLOCK=$$c"; \
	  LINDUNGI_TEST_CLOCK=$$c go test -count=1 -v -run '^TestReportClock$$' ./clock | grep -E '^ +clock_test.go:[0-9]+: clock: ' | sed -E 's/^ +clock_test.go:[0-9]+: //'; \
	  LINDUNGI_TEST_CLOCK=$$c go test -count=1 ./...; \
	done

fuzz-short:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
	  go test -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(FUZZTIME) $$pkg >/tmp/lindungi-fuzz.log 2>&1 || { cat /tmp/lindungi-fuzz.log; exit 1; }; \
	done

fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "fuzz $$pkg $$fn ($(LONGFUZZ))"; \
	  go test -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(LONGFUZZ) $$pkg || exit 1; \
	done

bench:
	@command -v pgbench >/dev/null || { echo "!!! pgbench is missing: apt-get install postgresql-contrib"; exit 1; }
	go test -run='^$$' -bench=. -benchmem ./nik ./tanggal ./telepon ./nama ./wilayah ./iuran ./roster
	go run ./cmd/lindungi-bench -min-ratio 0
	$(MAKE) fuzz LONGFUZZ=30s
