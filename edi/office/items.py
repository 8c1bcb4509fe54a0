"""Working a worklist item on the store: `edi worklist note`, `edi worklist set`, `edi worklist show`.

The rules of each step are `rules.appeals`; this module reads the item and its history, records the step
(append-only history), moves the item's stage, status and deadline, and posts the administrative write-off of
a lost or written-off denial (and its reversal when the item is reopened) through `edi.office.postings`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from edi.config import Settings
from edi.posting import Poster
from edi.store import ClaimStore
from edi.store.interface import WorklistItem
from rules.appeals import NOTE, OPEN, StepRefused, state_of, take_step
from rules.carc import carc_description
from rules.deadlines import SUBMISSION, Window, compute_deadline

from .postings import post_moves, write_off_move


class OfficeError(ValueError):
    """Bad usage of an office command (unknown item, a step refused): one line, exit 2."""


def find_item(store: ClaimStore, item_id: int) -> WorklistItem:
    """The worklist item `item_id`, or OfficeError."""
    item = store.worklist_item(item_id)
    if item is None:
        raise OfficeError(f"no worklist item {item_id}")
    return item


def item_view(store: ClaimStore, item: WorklistItem) -> dict:
    """An item with its history, as `edi worklist show --json` prints it."""
    history = [
        {
            "step": e.step,
            "on": e.happened_on,
            "by": e.actor,
            "amount": e.amount,
            "level": e.level,
            "deadline": e.deadline or "",
            "text": e.text,
            "recorded_at": e.recorded_at,
        }
        for e in store.worklist_events(item.id)
    ]
    return {
        **item.heading(),
        "description": carc_description(item.reason) if item.group else item.note,
        "amount": item.amount,
        "action": item.action,
        "status": item.status,
        "stage": item.stage,
        "deadline": item.deadline or "",
        "created_at": item.created_at,
        "note": item.note,
        "history": history,
    }


def claim_items(store: ClaimStore, claim_id: str) -> list[dict]:
    """Every worklist item of a claim (open or not), each with its history."""
    return [item_view(store, i) for i in store.worklist_items() if i.claim_id == claim_id]


def add_note(store: ClaimStore, item_id: int, text: str, on: date, by: str) -> dict:
    """Append a note to the item's history."""
    if not text.strip():
        raise OfficeError("a note needs some text")
    item = find_item(store, item_id)
    store.add_worklist_event(item.id, NOTE, on.isoformat(), actor=by, text=text)
    return item_view(store, item)


def record_step(
    store: ClaimStore,
    settings: Settings,
    item_id: int,
    step: str,
    on: date,
    *,
    amount: Decimal | None = None,
    by: str = "",
    text: str = "",
    now: Callable[[], datetime] = datetime.now,
) -> dict:
    """Record `step` on the item (rules.appeals), move its stage/status/deadline, post its write-off."""
    with store.transaction():
        item = find_item(store, item_id)
        events = store.worklist_events(item.id)
        deadline = date.fromisoformat(item.deadline) if item.deadline else None
        state = state_of(Decimal(item.amount or 0), item.status, deadline, events)
        payer_class = settings.posting.payer_class(item.payer_id)
        poster = Poster(store, settings, now)
        record = store.account(item.account_id)
        open_amount = open_in_statement(poster, record, item)
        denial = item.action not in ("REVIEW", "FOLLOW-UP") and open_amount > 0
        try:
            windows = settings.posting.deadline_table()
            outcome = take_step(state, step, on, payer_class, amount if step != "won" else None, denial, windows)
        except StepRefused as refused:
            raise OfficeError(f"worklist item {item.id}: {refused}") from None
        if outcome.write_off > open_amount:
            raise OfficeError(f"worklist item {item.id}: only {open_amount} is open on the claim for {item.reason}")
        if outcome.write_off:
            post_moves(store, record, [write_off_move(store, item, outcome.write_off, step)], now())
        due = outcome.deadline
        alert = alert_date(on, due)
        store.update_worklist_item(item.id, outcome.stage, outcome.status, due.isoformat() if due else None, alert)
        shown = outcome.write_off if outcome.write_off else (amount if step == "won" and amount else "")
        store.add_worklist_event(
            item.id,
            step,
            on.isoformat(),
            amount=str(shown),
            actor=by,
            text="; ".join(t for t in (text, outcome.message) if t),
            level=outcome.level,
            deadline=due.isoformat() if due else None,
        )
        view = item_view(store, find_item(store, item.id))
    view["message"] = outcome.message
    return view


def open_in_statement(poster: Poster, record, item: WorklistItem) -> Decimal:
    """What the claim's statement still holds open (category other) for the item's payer, group and CARC."""
    stmt = poster.account_statement(record)
    return sum(
        (
            a.amount
            for a in stmt.adjustments
            if a.category == "other" and (a.payer, a.group, a.reason) == (item.payer_id, item.group, item.reason)
        ),
        Decimal(0),
    )


def alert_date(on: date, due: date | None) -> str | None:
    """The alert date of a moved deadline: 80% of the way from the step's date to it (rules.deadlines)."""
    if due is None:
        return None
    if due <= on:
        return due.isoformat()
    return compute_deadline(Window(days=(due - on).days, anchor=SUBMISSION), on).alert_on.isoformat()


__all__ = ["OPEN", "OfficeError", "add_note", "claim_items", "find_item", "item_view", "record_step"]
