"""The denial report: how often each payer denies and for how much, by payer and by reason (the CARC in
words), open against resolved, what was won, lost or written off, and the average days from the denial to
its resolution. Read from the worklist (its denial items and their histories) and the payers' answers.

Review items (payment-check discrepancies) are not denials and are left out. An item is *resolved* when the
office recorded lost / written-off, when the payer's new answer was posted after a won appeal (paid), or when
the answer it came from was reversed (closed).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from edi.store.interface import WorklistEvent, WorklistItem
from rules.appeals import CLOSED, PAID, written_off
from rules.carc import carc_description

from .writeoffs import money

ZERO = Decimal(0)
NOT_DENIALS = ("REVIEW", "FOLLOW-UP")
RESOLVING = ("lost", "written-off", PAID)


def is_denial(item: WorklistItem) -> bool:
    """A worklist item that is a payer's denial (not a review item)."""
    return item.action not in NOT_DENIALS and bool(item.group)


def resolution(item: WorklistItem, history: list[WorklistEvent]) -> tuple[str, date | None]:
    """(outcome, the day it was resolved) of an item: open, won (paid), lost, written-off or reversed."""
    if item.status == "open":
        return ("won" if item.stage == "won" else "open"), None
    last = next((e for e in reversed(history) if e.step in RESOLVING), None)
    if item.status == CLOSED or last is None:  # the answer it came from was reversed (its write-offs undone)
        return "reversed", None
    return ("won" if last.step == PAID else last.step), date.fromisoformat(last.happened_on)


def ratio(part: Decimal, whole: Decimal) -> str:
    """part / whole to four places ('' when whole is 0)."""
    return str((part / whole).quantize(Decimal("0.0001"), ROUND_HALF_UP)) if whole else ""


def bucket() -> dict:
    return {
        "items": 0,
        "amount": ZERO,
        "open": 0,
        "open_amount": ZERO,
        "resolved": 0,
        "written_off": ZERO,
        "won": 0,
        "lost": 0,
        "days": [],
        "answers": set(),
    }


def add(
    acc: dict, item: WorklistItem, outcome: str, day: date | None, history: list[WorklistEvent], made: date
) -> None:
    amount = Decimal(item.amount or 0)
    acc["items"] += 1
    acc["amount"] += amount
    acc["answers"].add((item.account_id, item.payer_claim_number))
    if outcome in ("open",) or (outcome == "won" and day is None):
        acc["open"] += 1
        acc["open_amount"] += amount
    else:
        acc["resolved"] += 1
    acc["won"] += outcome == "won"
    acc["lost"] += outcome in ("lost", "written-off")
    acc["written_off"] += written_off(history)
    if day is not None:
        acc["days"].append((day - made).days)


def finish(acc: dict) -> dict:
    days = acc.pop("days")
    acc.pop("answers")
    for k in ("amount", "open_amount", "written_off"):
        acc[k] = money(acc[k])
    acc["average_days_to_resolve"] = (
        str((Decimal(sum(days)) / len(days)).quantize(Decimal("0.1"), ROUND_HALF_UP)) if days else ""
    )
    return acc


def denial_report(
    items: Iterable[WorklistItem],
    events: Iterable[WorklistEvent],
    answers: Iterable[tuple[str, int]],
    start: date | None = None,
    end: date | None = None,
    denied_on: dict[int, date] | None = None,
) -> dict:
    """{"from", "to", "totals", "by_payer": [...], "by_reason": [...]}: denial rate = answers with a denial /
    answers posted (per payer), amounts as exact decimal strings. `denied_on`: item id -> the date of the
    denial (the payer's adjudication date); the item's creation date when not given. The date range selects
    items by their denial date."""
    history: dict[int, list[WorklistEvent]] = {}
    for e in events:
        history.setdefault(e.item_id, []).append(e)
    posted = dict(answers)
    total, payers, reasons = bucket(), {}, {}
    for item in items:
        made = (denied_on or {}).get(item.id) or date.fromisoformat(item.created_at[:10])
        if not is_denial(item) or (start and made < start) or (end and made > end):
            continue
        outcome, day = resolution(item, history.get(item.id, []))
        for acc in (
            total,
            payers.setdefault(item.payer_id, bucket()),
            reasons.setdefault((item.group, item.reason), bucket()),
        ):
            add(acc, item, outcome, day, history.get(item.id, []), made)
    by_payer = []
    for payer, acc in sorted(payers.items()):
        denied = len(acc["answers"])
        row = {
            "payer": payer,
            "answers": posted.get(payer, 0),
            "denied_answers": denied,
            "denial_rate": ratio(Decimal(denied), Decimal(posted.get(payer, 0))),
        }
        row.update(finish(acc))
        by_payer.append(row)
    by_reason = []
    for (group, reason), acc in reasons.items():
        row = {"reason": f"{group}-{reason}", "description": carc_description(reason)}
        row.update(finish(acc))
        by_reason.append(row)
    by_reason.sort(key=lambda r: (-Decimal(r["amount"]), r["reason"]))
    all_answers = Decimal(sum(posted.values()))
    summary = {
        "answers": int(all_answers),
        "denied_answers": len(total["answers"]),
        "denial_rate": ratio(Decimal(len(total["answers"])), all_answers),
    }
    summary.update(finish(total))
    return {
        "from": start.isoformat() if start else "",
        "to": end.isoformat() if end else "",
        "totals": summary,
        "by_payer": by_payer,
        "by_reason": by_reason,
    }
