# The targets a newcomer types. Everything runs inside .venv, created on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-long test-crash test-pg bench lint clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	./scripts/demo.sh

test: $(STAMP)
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
	$(BIN)/python -m benchmarks.workers

# Lint and format are one check: `ruff format` (without --check) fixes the formatting.
LINTED := edi parsers rules writers tests benchmarks

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
