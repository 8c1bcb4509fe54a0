# The targets a newcomer types. Everything runs inside .venv, created on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup browser demo test test-long test-crash test-pg bench fuzz lint clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# The tests render our HTML (reports, statements, appeal packets) in headless Chromium: Debian's package,
# installed here when it is missing and we are root (CI is); otherwise say how. Playwright drives it
# (a pip dev dependency); its own browser download is never used.
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "make test needs headless Chromium: run 'sudo apt-get install chromium' (or set CHROMIUM=path)" >&2; exit 1; \
	  fi; }

demo: $(STAMP)
	./scripts/demo.sh

test: $(STAMP) browser
	$(BIN)/pytest

test-long: $(STAMP)
	HYPOTHESIS_PROFILE=long $(BIN)/pytest -m slow tests

# edi watch killed (-9) at every protocol point and at random moments, restarted, checked for exactly-once.
test-crash: $(STAMP)
	$(BIN)/pytest -m slow tests/edi/test_watch.py

# Everything that runs against PostgreSQL (a server on 127.0.0.1:5432, database test, trust auth): the store
# tests on both engines, several workers on one store, and their kill -9 crash test. A missing server fails here
# (in `make test` those tests are skipped, with one line saying so).
test-pg: $(STAMP)
	EDI_REQUIRE_PG=1 $(BIN)/pytest -m pg tests

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.institutional
	$(BIN)/python -m benchmarks.batch
	$(BIN)/python -m benchmarks.guide
	$(BIN)/python -m benchmarks.office
	$(BIN)/python -m benchmarks.hostile
	$(BIN)/python -m benchmarks.workers

# Coverage-guided fuzzing of every entry point (inspect, convert, validate, post, batch on one file) for
# FUZZ_SECONDS (default 600): atheris when it installs (the [fuzz] extra), else hypothesis over mutated corpus
# files. A crash is minimised into fixtures/hostile/ (a reproducer `make test` replays); exits 1 when it found one.
FUZZ_SECONDS ?= 600

fuzz: $(STAMP)
	$(BIN)/pip install --quiet -e '.[fuzz]' || echo "fuzz: atheris does not install here; using hypothesis"
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m fuzz

# Lint and format are one check: `ruff format` (without --check) fixes the formatting.
LINTED := edi parsers rules writers tests benchmarks fuzz

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .fuzz
