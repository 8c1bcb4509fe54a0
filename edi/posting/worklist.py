"""The worklist as a biller works it: open denial and review items by deadline, and claims sent onward that
their payer has not answered past its response window."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from edi.config import Settings
from edi.store import open_existing_store
from rules.deadlines import RESPONSE_WAIT, deadline

from .poster import Poster

WORKLIST_FIELDS = (
    "id",
    "claim_id",
    "line",
    "payer",
    "payer_claim_number",
    "group",
    "reason",
    "amount",
    "action",
    "deadline",
    "flag",
    "stage",
    "note",
)


def add_review_item(store, claim_id: str, original_id: int | None, reason: str, note: str) -> bool:
    """Put a claim the runner could not send (not renderable, failed the outbound gate) on the worklist: an
    open REVIEW item on its account, with the reason. False when the claim has no account to hang it on."""
    accounts = [a for a in store.accounts(claim_id) if original_id is None or a.original_id == original_id]
    if not accounts:
        return False
    account = accounts[0]
    store.add_worklist_item(
        {
            "account_id": account.id,
            "posting_id": None,
            "claim_id": claim_id,
            "line": "",
            "payer_id": "",
            "payer_claim_number": "",
            "grp": "",
            "reason": reason,
            "amount": account.charge,
            "action": "REVIEW",
            "note": note,
        }
    )
    return True


def worklist_rows(settings: Settings, today: date) -> list[dict]:
    """Open worklist items by deadline (none last) then amount (largest first), plus every claim sent onward
    that its payer has not answered past its response window (flag 'unanswered')."""
    store = open_existing_store(settings.store)
    try:
        rows = [_open_row(item, today) for item in store.worklist("open")]
        rows += _unanswered_rows(store, settings, today)
    finally:
        store.close()

    def key(r):
        return (r["deadline"] == "", r["deadline"], -Decimal(r["amount"] or 0), r["claim_id"])

    return sorted(rows, key=key)


def _open_row(item, today: date) -> dict:
    """One open item as a row, flagged 'overdue' past its deadline or 'alert' from its alert date."""
    flag = ""
    if item.deadline and today > date.fromisoformat(item.deadline):
        flag = "overdue"
    elif item.alert_on and today >= date.fromisoformat(item.alert_on):
        flag = "alert"
    return {
        **item.heading(),
        "amount": item.amount,
        "action": item.action,
        "deadline": item.deadline or "",
        "flag": flag,
        "stage": item.stage,
        "note": item.note,
    }


def _unanswered_rows(store, settings: Settings, today: date) -> list[dict]:
    """A FOLLOW-UP row for every claim sent onward that its payer has not answered past its response window."""
    rows = []
    poster = Poster(store, settings)
    for original_id, claim_id, payer_id, created in store.sent_claims():
        account = next((a for a in store.accounts(claim_id) if a.original_id == original_id), None)
        if account is not None and any(a.payer_id == payer_id for a in poster.load(account).active()):
            continue
        sent = datetime.fromisoformat(created).date()
        due = deadline(settings.posting.payer_class(payer_id), RESPONSE_WAIT, sent, settings.posting.deadline_table())
        if due is None or today <= due.due:
            continue
        row = dict.fromkeys(WORKLIST_FIELDS, "")
        row |= {
            "claim_id": claim_id,
            "payer": payer_id,
            "action": "FOLLOW-UP",
            "deadline": due.due.isoformat(),
            "flag": "unanswered",
            "note": f"sent {sent.isoformat()}; no answer past the payer's "
            f"{due.window.days}-day response window: check claim status (276)",
        }
        rows.append(row)
    return rows
