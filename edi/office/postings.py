"""The office's ledger rows (rules.office moves) appended on the store. The one place the office writes to
the ledger: a write-off of a denial (administrative), bad debt, charity, a patient's payment, and their
reversals. Each move is two rows that sum to zero, so `edi ledger export` summed by category still equals
`edi statement`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from edi.store import AccountRecord, ClaimStore
from edi.store.interface import WorklistItem
from rules.appeals import REVERSED, written_off
from rules.office import Move


def post_moves(store: ClaimStore, record: AccountRecord, moves: list[Move], when: datetime) -> int:
    """Append the rows of `moves` to the account's ledger; returns how many rows were written."""
    rows = [row for move in moves if move.amount for row in move.rows(when)]
    if rows:
        store.add_ledger_entries(record.id, None, rows)
    return len(rows)


def write_off_move(store: ClaimStore, item: WorklistItem, amount: Decimal, step: str) -> Move:
    """The ledger move of an item's write-off (other -> administrative; negative amount: its reversal)."""
    sequence = next((p.sequence for p in store.postings(item.account_id) if p.id == item.posting_id), "")
    source, target = ("other", "administrative") if amount > 0 else ("administrative", "other")
    return Move(
        item.claim_id,
        item.payer_id,
        sequence,
        item.group,
        item.reason,
        abs(amount),
        source,
        target,
        f"worklist item {item.id} {step}",
        item.line,
    )


def undo_write_offs(store: ClaimStore, record: AccountRecord, item_ids: list[int], on: str, text: str, when) -> list:
    """The payer reversed the answer items `item_ids` came from: each write-off they posted is undone
    (administrative -> other; the reversal then nets the other away) and a `reversed` step is added to their
    history. Returns the moves posted."""
    moves = []
    for item_id in item_ids:
        item = store.worklist_item(item_id)
        written = written_off(store.worklist_events(item_id))
        if written:
            moves.append(write_off_move(store, item, -written, REVERSED))
        store.add_worklist_event(item_id, REVERSED, on, str(-written) if written else "", actor="edi", text=text)
    post_moves(store, record, moves, when)
    return moves
