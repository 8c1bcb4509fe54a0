"""A PostgreSQL server for the tests: found on 127.0.0.1:5432 (database ``test``, trust auth, as the current
user or ``postgres``; ``EDI_TEST_PG_URL`` names another), and a fresh schema per test, dropped afterwards.

Where no server answers, the PostgreSQL tests are skipped with `HOW_TO_RUN`; ``make test-pg`` sets
``EDI_REQUIRE_PG=1``, which turns that skip into a failure (CI runs it, with the server up).
"""

from __future__ import annotations

import getpass
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

HOW_TO_RUN = (
    "PostgreSQL tests skipped: no server on 127.0.0.1:5432 (database test, trust auth); start one and run "
    "`make test-pg` (or set EDI_TEST_PG_URL)"
)


def candidate_urls() -> list[str]:
    if os.environ.get("EDI_TEST_PG_URL"):
        return [os.environ["EDI_TEST_PG_URL"]]
    users = dict.fromkeys([getpass.getuser(), "postgres", "root"])
    return [f"postgresql://{user}@127.0.0.1:5432/test" for user in users]


@cache
def server_url() -> str | None:
    """The first URL a connection succeeds on, or None."""
    import psycopg

    for url in candidate_urls():
        try:
            with psycopg.connect(url, connect_timeout=3):
                return url
        except psycopg.Error:
            continue
    return None


def required() -> bool:
    """`make test-pg`: a missing server is a failure, not a skip."""
    return os.environ.get("EDI_REQUIRE_PG") == "1"


def with_schema(url: str, schema: str) -> str:
    """`url` with its search path set to `schema` (libpq ``options``)."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@contextmanager
def temporary_schema(url: str) -> Iterator[str]:
    """A new empty schema; yields the store URL that works in it; drops it (and all it holds) at the end."""
    import psycopg

    schema = f"edi_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield with_schema(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
