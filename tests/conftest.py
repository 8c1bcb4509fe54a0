"""Shared test configuration: hypothesis profiles, chosen with the HYPOTHESIS_PROFILE environment variable.

* "default": fast, for every `make test` (the whole default run stays well under a few minutes);
* "long": 10,000 examples per property, for `make test-long` (HYPOTHESIS_PROFILE=long pytest -m slow tests).

And `store_location`, the one fixture that runs a store test on both engines (SQLite, PostgreSQL).
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, settings

from tests.support import postgres

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("default", max_examples=60, **_COMMON)
settings.register_profile("long", max_examples=10_000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# ------------------------------------------------------------------ the store on both engines
_pg_skipped: list[str] = []


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def store_location(request, tmp_path):
    """Where a test's store lives, once per engine: a state directory (SQLite), then the URL of a fresh
    PostgreSQL schema (dropped after the test). Without a server the PostgreSQL case is skipped (one line in
    the summary says how to run it), or fails under `make test-pg`."""
    if request.param == "sqlite":
        yield str(tmp_path / "state")
        return
    with _postgres_schema(request) as location:
        yield location


@pytest.fixture
def pg_location(request):
    """The URL of a fresh PostgreSQL schema, for what only PostgreSQL has (several machines' workers); mark
    the test `pg`."""
    with _postgres_schema(request) as location:
        yield location


@contextmanager
def _postgres_schema(request):
    url = postgres.server_url()
    if url is None:
        if postgres.required():
            pytest.fail("EDI_REQUIRE_PG=1 but " + postgres.HOW_TO_RUN)
        _pg_skipped.append(request.node.nodeid)
        pytest.skip(postgres.HOW_TO_RUN)
    with postgres.temporary_schema(url) as location:
        yield location


def pytest_terminal_summary(terminalreporter):
    if _pg_skipped:
        terminalreporter.write_line(f"{postgres.HOW_TO_RUN} ({len(_pg_skipped)} test(s))")
