"""The durable claim store: what a batch or watch run must remember across runs and crashes, and the claim
accounts, postings, ledger and worklist of posting.

Rooms: `interface` (the records and the `ClaimStore` interface), `sql` (every query, in SQL both engines
run), `dialect` (where the engines' SQL differs), `sqlite` and `postgres` (the engines), `migrations` (the
schema, one list for both), `codecs` (claims and answers as exact text).
"""

from __future__ import annotations

from pathlib import Path

from .codecs import payments_from_raw, raw_remittance
from .interface import (
    ALREADY_BILLED,
    CONVERTED,
    PENDING_ORIGINAL,
    READY,
    AccountRecord,
    ClaimStore,
    Conflict,
    StoredClaim,
    StoreError,
)
from .location import is_store_url, redacted
from .sql import SQLStore
from .sqlite import STORE_FILE, SQLiteStore


def open_store(location: str | Path, migrate: bool = True) -> SQLStore:
    """The store at `location`: a PostgreSQL URL (``postgresql://user@host/db``), else a state directory
    (SQLite, created on first use). Migrated to the current schema (a PostgreSQL store opened with `migrate`
    False raises StoreError instead when it is behind). Raises StoreError when it cannot be opened."""
    if is_store_url(location):
        from .postgres import PostgresStore  # psycopg is loaded only by those who use it

        return PostgresStore(str(location), migrate=migrate)
    return SQLiteStore.open(location)


def open_existing_store(location: str | Path) -> SQLStore:
    """The store at `location`, which must already hold one (commands that only read it: a typo in --state
    must not answer from a new, empty store). StoreError naming it otherwise."""
    if is_store_url(location):
        return open_store(location, migrate=False)
    if not (Path(location) / STORE_FILE).is_file():
        raise StoreError(f"{location}: no claim store here (no {STORE_FILE}); check --state or $EDI_STATE_DIR")
    return SQLiteStore.open(location)


__all__ = [
    "ALREADY_BILLED",
    "CONVERTED",
    "PENDING_ORIGINAL",
    "READY",
    "STORE_FILE",
    "AccountRecord",
    "ClaimStore",
    "Conflict",
    "SQLStore",
    "SQLiteStore",
    "StoreError",
    "StoredClaim",
    "is_store_url",
    "open_existing_store",
    "open_store",
    "redacted",
    "payments_from_raw",
    "raw_remittance",
]
