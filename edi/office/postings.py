"""The office's ledger rows (rules.office moves) appended on the store. The one place the office writes to
the ledger: a write-off of a denial (administrative), bad debt, charity, a patient's payment, and their
reversals. Each move is two rows that sum to zero, so `edi ledger export` summed by category still equals
`edi statement`."""

from __future__ import annotations

from datetime import datetime

from edi.store import AccountRecord, ClaimStore
from rules.office import Move


def post_moves(store: ClaimStore, record: AccountRecord, moves: list[Move], when: datetime) -> int:
    """Append the rows of `moves` to the account's ledger; returns how many rows were written."""
    rows = [row for move in moves if move.amount for row in move.rows(when)]
    if rows:
        store.add_ledger_entries(record.id, None, rows)
    return len(rows)
