"""The durable claim store: what a batch or watch run must remember across runs and crashes, and the claim
accounts, postings, ledger and worklist of posting.

Rooms: `interface` (the records and the `ClaimStore` interface), `sql` (every query, in SQL both engines
run), `sqlite` (the SQLite engine), `migrations` (the schema), `codecs` (claims and answers as exact text).
"""

from .codecs import payments_from_raw, raw_remittance
from .interface import (
    ALREADY_BILLED,
    CONVERTED,
    PENDING_ORIGINAL,
    READY,
    AccountRecord,
    ClaimStore,
    StoredClaim,
)
from .sqlite import STORE_FILE, SQLiteStore, StoreError, open_existing_store, open_store

__all__ = [
    "ALREADY_BILLED",
    "CONVERTED",
    "PENDING_ORIGINAL",
    "READY",
    "STORE_FILE",
    "AccountRecord",
    "ClaimStore",
    "SQLiteStore",
    "StoreError",
    "StoredClaim",
    "open_existing_store",
    "open_store",
    "payments_from_raw",
    "raw_remittance",
]
