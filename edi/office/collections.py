"""The collection effort on the store (`edi collections run|payment|charity`): statements sent recorded, bad
debt after the effort (rules.collections), its reversal when a payment comes, charity, a patient's payment.
The ledger rows are `rules.office` moves, appended through `edi.office.postings`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from edi.config import Settings
from edi.documents.page import write_document
from edi.documents.statement import render_statement
from edi.posting import Poster
from edi.store import AccountRecord, ClaimStore, open_existing_store
from rules.collections import BAD_DEBT, STATEMENT, medicare_first_bill_in_time, medicare_share, next_step
from rules.office import Move, bucket, patient_lines, patient_payment, spread

from .items import OfficeError
from .postings import post_moves

ZERO = Decimal(0)


def find_account(store: ClaimStore, claim_id: str) -> AccountRecord:
    """The one account of CLAIM_ID, or OfficeError."""
    found = store.accounts(claim_id)
    if not found:
        raise OfficeError(f"no claim account for {claim_id!r}")
    if len(found) > 1:
        raise OfficeError(f"claim {claim_id!r} has {len(found)} accounts (several original claims): ambiguous")
    return found[0]


def reverse_uncovered(record: AccountRecord, stmt, today: date) -> list[Move]:
    """Bad debt booked on an amount the patient no longer owes (a payer paid it later): reversed."""
    moves = []
    for a in stmt.adjustments:
        if a.category == "patient" and a.amount < 0:
            booked = sum(
                (
                    b.amount
                    for b in stmt.adjustments
                    if b.category == "bad-debt" and (b.payer, b.reason) == (a.payer, a.reason)
                ),
                ZERO,
            )
            take = min(-a.amount, booked)
            if take > 0:
                moves.append(
                    Move(
                        record.claim_id,
                        a.payer,
                        a.sequence,
                        a.group,
                        a.reason,
                        take,
                        "bad-debt",
                        "patient",
                        f"bad debt reversed: paid by the payer ({today.isoformat()})",
                    )
                )
    return moves


def medicare_note(store: ClaimStore, settings: Settings, record: AccountRecord, first_bill: date | None) -> str:
    """'' for a claim with no Medicare payer, else whether its deductible/coinsurance is Medicare bad debt."""
    classes = {p[1]: settings.posting.payer_class(p[1]) for p in record.payers}
    if "medicare" not in classes.values():
        return ""
    remits = []
    for p in store.postings(record.id):
        when = json.loads(p.body).get("adjudication_date")
        if when and not p.reversal:
            remits.append(date.fromisoformat(when))
    if first_bill is not None and medicare_first_bill_in_time(settings.collections.effort(), first_bill, remits):
        return "Medicare bad debt (deductible/coinsurance)"
    return "not Medicare bad debt: first bill after the 120-day window"


def bad_debt_moves(store, settings, record: AccountRecord, stmt, first_bill: date | None, today: date) -> list[Move]:
    """The whole patient balance to bad debt; on a Medicare claim the deductible/coinsurance lines say
    whether they are Medicare bad debt, the other lines that they are not."""
    medicare = medicare_note(store, settings, record, first_bill)
    moves = []
    for a in patient_lines(stmt):
        note = f"collections: bad debt after the collection effort ({today.isoformat()})"
        if medicare:
            note += "; " + (
                medicare if medicare_share(bucket(a.reason)) else "not Medicare bad debt (not deductible/coinsurance)"
            )
        moves += spread([a], a.amount, "patient", "bad-debt", note, record.claim_id)
    return moves


def run_collections(
    settings: Settings, today: date, out_dir: Path | None = None, now: Callable[[], datetime] = datetime.now
) -> list[dict]:
    """Age every patient balance: send (record, and write when `out_dir`) the statements due, book bad debt
    after the effort, reverse bad debt a payer's later payment covered. One entry per claim acted on."""
    store = open_existing_store(settings.store)
    done = []
    try:
        with store.transaction():
            poster = Poster(store, settings, now)
            for record in store.all_accounts():
                entry = collect_one(store, settings, poster, record, today, out_dir, now)
                if entry:
                    done.append(entry)
    finally:
        store.close()
    return done


def collect_one(store, settings, poster, record, today, out_dir, now) -> dict | None:
    """The collection step due today on one account (None: nothing to do)."""
    stmt = poster.account_statement(record)
    reversal = reverse_uncovered(record, stmt, today)
    if reversal:
        post_moves(store, record, reversal, now())
        amount = sum((m.amount for m in reversal), ZERO)
        store.add_collection_event(record.id, record.claim_id, "reversed", today.isoformat(), str(amount))
        return {"claim_id": record.claim_id, "step": "bad debt reversed", "amount": str(amount)}
    pb = stmt.patient_balance
    if pb.due_from != "patient" or pb.total <= 0:
        return None
    events = store.collection_events(record.id)
    last_bad = max((e.id for e in events if e.step in ("bad-debt", "charity")), default=0)
    sent = [date.fromisoformat(e.happened_on) for e in events if e.step == STATEMENT and e.id > last_bad]
    step = next_step(settings.collections.effort(), sent, today)
    if step == STATEMENT:
        store.add_collection_event(
            record.id,
            record.claim_id,
            STATEMENT,
            today.isoformat(),
            str(pb.total),
            f"statement {len(sent) + 1} of {settings.collections.statements}",
        )
        entry = {"claim_id": record.claim_id, "step": f"statement {len(sent) + 1}", "amount": str(pb.total)}
        if out_dir is not None:
            original = store.original_claim(record.original_id)
            path = out_dir / f"statement-{record.claim_id}-{record.id}-{today.isoformat()}.html"
            entry["file"] = str(write_document(path, render_statement(original.claim, stmt, today)))
        return entry
    if step == BAD_DEBT:
        moves = bad_debt_moves(store, settings, record, stmt, sent[0] if sent else None, today)
        post_moves(store, record, moves, now())
        store.add_collection_event(
            record.id, record.claim_id, "bad-debt", today.isoformat(), str(pb.total), f"after {len(sent)} statements"
        )
        return {
            "claim_id": record.claim_id,
            "step": "bad debt",
            "amount": str(pb.total),
            "notes": sorted({m.note for m in moves}),
        }
    return None


def record_payment(settings: Settings, claim_id: str, amount: Decimal, on: date, now=datetime.now) -> dict:
    """A patient's payment on a claim: reverses bad debt first (to the extent of the payment), then lowers
    the patient balance. OfficeError when it is more than the patient owes."""
    store = open_existing_store(settings.store)
    try:
        with store.transaction():
            record = find_account(store, claim_id)
            stmt = Poster(store, settings, now).account_statement(record)
            try:
                moves = patient_payment(stmt, amount, f"patient payment received {on.isoformat()}")
            except ValueError as exc:
                raise OfficeError(str(exc)) from None
            post_moves(store, record, moves, now())
            store.add_collection_event(record.id, claim_id, "payment", on.isoformat(), str(amount))
            after = Poster(store, settings, now).account_statement(record)
    finally:
        store.close()
    reversed_ = sum((m.amount for m in moves if m.source == "bad-debt"), ZERO)
    return {
        "claim_id": claim_id,
        "paid": str(amount),
        "bad_debt_reversed": str(reversed_),
        "patient_balance": str(after.patient_balance.total),
        "bad_debt": str(after.write_off.bad_debt),
    }


def record_charity(settings: Settings, claim_id: str, amount: Decimal | None, on: date, now=datetime.now) -> dict:
    """Write the patient balance (or `amount` of it) off as charity care."""
    store = open_existing_store(settings.store)
    try:
        with store.transaction():
            record = find_account(store, claim_id)
            stmt = Poster(store, settings, now).account_statement(record)
            owed = stmt.patient_balance.total if stmt.patient_balance.due_from == "patient" else ZERO
            amount = owed if amount is None else amount
            if not ZERO < amount <= owed:
                raise OfficeError(f"charity must be above 0 and at most the {owed} the patient owes on {claim_id}")
            moves = spread(
                patient_lines(stmt), amount, "patient", "charity", f"charity care ({on.isoformat()})", claim_id
            )
            post_moves(store, record, moves, now())
            store.add_collection_event(record.id, claim_id, "charity", on.isoformat(), str(amount))
    finally:
        store.close()
    return {"claim_id": claim_id, "charity": str(amount)}
