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
    "open_store",
    "redacted",
    "payments_from_raw",
    "raw_remittance",
]
