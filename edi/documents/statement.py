"""A patient's statement as a page a person reads: what was charged, what each insurer paid, what was taken
off and why ("your plan's contracted rate"), what the patient owes and why ("your deductible"), in plain
words: every code shown with its meaning. Built from the claim's statement (rules.posting + rules.office)
and its original 837 (names, address, services)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from parsers.models import Claim837
from rules.carc import patient_words
from rules.office import PATIENT_LABEL
from rules.statement import Statement

from .page import esc, page, table
from .parties import office_phone, patient, payer_names, provider, service_lines

ZERO = Decimal(0)
WHY_OFF = {
    "contractual": "Discounts your insurance negotiated with us",
    "administrative": "Amounts we wrote off",
    "bad-debt": "Balance sent to collections",
    "charity": "Financial assistance (charity care)",
    "other": "Amounts still being reviewed with your insurance (not billed to you)",
}


def dollars(value: Decimal) -> str:
    return f"${value:,.2f}"


def owed_section(stmt: Statement, names: dict[str, str]) -> str:
    """The amount due and why, or why nothing is due yet."""
    pb = stmt.patient_balance
    if pb.total <= 0:
        return '<div class="box"><div class="owe">You owe nothing on this visit.</div></div>'
    if pb.due_from != "patient":
        payer = names.get(pb.due_from, "your other insurance")
        return (
            f'<div class="box"><div class="owe">Nothing is due from you yet.</div><p>{dollars(pb.total)} has been '
            f"sent to {esc(payer)}. We will send you a statement for anything it does not pay.</p></div>"
        )
    rows = [[patient_words(a.group, a.reason), dollars(a.amount)] for a in stmt.adjustments if a.category == "patient"]
    return (
        f'<div class="box"><div class="owe">Amount you owe: {dollars(pb.total)}</div>'
        "<p>Your insurance says this part of the bill is yours to pay:</p>"
        + table(["why", "amount"], rows, {1}, ["total you owe", dollars(pb.total)])
        + "</div>"
    )


def render_statement(claim: Claim837, stmt: Statement, today: date) -> str:
    """The statement page of one claim."""
    who, office, names = patient(claim), provider(claim), payer_names(claim)
    phone = office_phone(claim)
    head = (
        f'<h1>{esc(office.name)}</h1><p class="sub">{esc(", ".join(office.address))}</p>'
        f"<h2>Statement for {esc(who.name)}</h2>"
        f"<p>{'<br>'.join(esc(line) for line in who.address)}</p>"
        f'<p class="muted">Statement date {today.isoformat()} &middot; account {esc(stmt.claim_id)}</p>'
    )
    services = table(
        ["date", "service (procedure code)", "charge"],
        [[d, f"{code} {mods}".strip(), dollars(Decimal(ch))] for d, code, mods, ch in service_lines(claim)],
        {2},
        ["total charges", "", dollars(stmt.charge)],
    )
    paid_rows = [
        ["You paid" if p == PATIENT_LABEL else f"{names.get(p, 'Insurance ' + p)} paid", dollars(a)]
        for p, a in stmt.paid_by_payer
        if a
    ]
    off_rows = []
    for category, why in WHY_OFF.items():
        lines = [a for a in stmt.adjustments if a.category == category and a.amount]
        for a in lines:
            words = patient_words(a.group, a.reason)
            words += "" if "owe" in words else "; you do not owe it"
            off_rows.append([why, words, dollars(a.amount)])
    body = (
        head
        + owed_section(stmt, names)
        + "<h2>Your visit</h2>"
        + services
        + "<h2>Payments</h2>"
        + (table(["from", "amount"], paid_rows, {1}) if paid_rows else "<p>No payments yet.</p>")
        + "<h2>Taken off your bill</h2>"
        + (table(["what", "why", "amount"], off_rows, {2}) if off_rows else "<p>Nothing was taken off.</p>")
    )
    footer = f"Questions about this statement? Call our billing office{' at ' + esc(phone) if phone else ''}."
    return page(f"Statement {stmt.claim_id}", body, footer)
