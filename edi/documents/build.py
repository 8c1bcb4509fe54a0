"""The documents built from the store: a claim's patient statement, every patient statement due, the appeal
packet of a worklist item. PHI leaves the store only here, in files written owner-only (0600)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from edi.config import Settings
from edi.office.items import OfficeError, find_item, item_view
from edi.posting import Poster
from edi.store import ClaimStore, open_existing_store, payments_from_raw
from parsers.models import ClaimPayment

from .appeal import packet_pages, packet_pdf
from .page import write_document
from .statement import render_statement


def claim_statements(store: ClaimStore, settings: Settings, claim_id: str, today: date) -> list[str]:
    """The statement page of every account of CLAIM_ID (empty when none)."""
    poster = Poster(store, settings)
    pages = []
    for record in store.accounts(claim_id):
        original = store.original_claim(record.original_id)
        if original is not None:
            pages.append(render_statement(original.claim, poster.account_statement(record), today))
    return pages


def statement_file(settings: Settings, claim_id: str, out: Path, today: date) -> Path | None:
    """Write CLAIM_ID's statement at `out`; None when the claim has no account."""
    store = open_existing_store(settings.store)
    try:
        pages = claim_statements(store, settings, claim_id, today)
    finally:
        store.close()
    if not pages:
        return None
    return write_document(out, pages[0] if len(pages) == 1 else "\n".join(pages))


def patients_owing(store: ClaimStore, settings: Settings) -> list[tuple]:
    """(account record, statement) of every claim whose balance is due from the patient."""
    poster = Poster(store, settings)
    out = []
    for record in store.all_accounts():
        stmt = poster.account_statement(record)
        if stmt.patient_balance.due_from == "patient" and stmt.patient_balance.total > 0:
            out.append((record, stmt))
    return out


def patient_statements(settings: Settings, out_dir: Path, today: date) -> list[Path]:
    """A statement for every patient balance due, written in `out_dir` as statement-CLAIM.html."""
    store = open_existing_store(settings.store)
    written = []
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        for record, stmt in patients_owing(store, settings):
            original = store.original_claim(record.original_id)
            if original is None:
                continue
            name = f"statement-{safe(record.claim_id)}-{record.id}.html"
            written.append(write_document(out_dir / name, render_statement(original.claim, stmt, today)))
    finally:
        store.close()
    return written


def safe(text: str) -> str:
    """A claim id as a file-name part."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)


def answer(store: ClaimStore, account_id: int, posting_id: int | None, sequence: str = "") -> ClaimPayment | None:
    """The 835 claim of a posting (by id), or the latest answer of the payer at `sequence`, re-read exactly."""
    postings = [p for p in store.postings(account_id) if not p.reversal]
    chosen = (
        [p for p in postings if p.id == posting_id] if posting_id else [p for p in postings if p.sequence == sequence]
    )
    if not chosen:
        return None
    p = chosen[-1]
    found = [c for c in payments_from_raw(p.raw) if c.payer_claim_number == p.payer_claim_number and not c.is_reversal]
    return found[-1] if found else None


def appeal_packet(settings: Settings, item_id: int, out_dir: Path, today: date) -> list[Path]:
    """The appeal packet of worklist ITEM in `out_dir`: letter, EOB pages, claim summary (HTML) and
    appeal-packet.pdf. Raises OfficeError for an unknown item or one that is not a payer's denial."""
    store = open_existing_store(settings.store)
    try:
        item = find_item(store, item_id)
        if not item.group:
            raise OfficeError(f"worklist item {item_id} is a review item, not a payer's denial: nothing to appeal")
        view = item_view(store, item)
        record = store.account(item.account_id)
        original = store.original_claim(record.original_id)
        stmt = Poster(store, settings).account_statement(record)
        primary = answer(store, record.id, None, "P")
        denial = answer(store, record.id, item.posting_id)
    finally:
        store.close()
    if denial is not None and primary is not None and denial.payer_claim_number == primary.payer_claim_number:
        denial = primary
    pages = packet_pages(view, original.claim, stmt, primary, denial, today)
    written = [write_document(out_dir / name, html) for name, html in pages.items()]
    written.append(write_document(out_dir / "appeal-packet.pdf", packet_pdf(pages)))
    return written
