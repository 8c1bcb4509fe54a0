"""A payer's remittance for one claim rendered as a readable EOB page: the payer, the check or EFT, the dates,
each line's charge, allowed and paid amounts, and every adjustment and remark with its meaning."""

from __future__ import annotations

from decimal import Decimal

from parsers.models import ClaimPayment
from rules.carc import GROUP_MEANINGS, carc_description, rarc_description
from rules.payer_order import CROSSOVER_STATUSES, STATUS_SEQUENCE

from .page import esc, table
from .parties import person_name

PLACES = {"P": "primary", "S": "secondary", "T": "tertiary"}


def day(value: str) -> str:
    """CCYYMMDD as CCYY-MM-DD."""
    return f"{value[:4]}-{value[4:6]}-{value[6:8]}" if len(value) == 8 else value


def status_words(status: str) -> str:
    """CLP02 in words."""
    if status == "4":
        return "denied"
    if status == "22":
        return "reversal of an earlier payment"
    place = STATUS_SEQUENCE.get(status)
    if place is None:
        return f"status {status}"
    forwarded = ", forwarded to the next payer" if status in CROSSOVER_STATUSES else ""
    return f"processed as {PLACES.get(place, place)}{forwarded}"


def adjustment_text(group: str, reason: str, amount: Decimal) -> str:
    return f"{group}-{reason} {amount}: {carc_description(reason)} ({GROUP_MEANINGS.get(group, group)})"


def payment_words(payment: ClaimPayment) -> list[tuple[str, str]]:
    """The remittance's header facts: payer, method, number, dates."""
    rem = payment.remittance
    if rem is None:
        return []
    method = {"CHK": "check", "ACH": "EFT (ACH)", "FWT": "wire", "NON": "no payment"}.get(rem.payment_method, "")
    payer = rem.payer.name if rem.payer else ""
    return [
        ("payer", f"{payer} ({rem.payer_id})" if payer else rem.payer_id),
        ("payment", f"{method or rem.payment_method} {rem.trace_number}".strip()),
        ("amount of the payment", str(rem.payment_amount)),
        ("payment date", day(rem.payment_date)),
        ("remittance date", day(rem.production_date)),
    ]


def render_eob(payment: ClaimPayment, title: str) -> str:
    """The EOB section (HTML, no page shell) of one 835 claim."""
    facts = payment_words(payment) + [
        ("claim", payment.claim_id),
        ("payer's claim number", payment.payer_claim_number),
        ("claim status", status_words(payment.status)),
        ("charged", str(payment.charge)),
        ("paid", str(payment.paid)),
        ("patient responsibility", str(payment.patient_responsibility or 0)),
    ]
    rows = []
    for svc in payment.services:
        adjustments = "; ".join(adjustment_text(a.group, a.reason, a.amount) for a in svc.adjustments)
        remarks = "; ".join(f"{code}: {rarc_description(code)}" for q, code in svc.remarks if q == "HE")
        rows.append(
            [
                day(svc.service_date) if svc.service_date else "",
                svc.procedure.code,
                str(svc.charge),
                str(svc.amounts.get("B6", "")),
                str(svc.paid),
                adjustments + (f" Remarks: {remarks}" if remarks else ""),
            ]
        )
    claim_level = [adjustment_text(a.group, a.reason, a.amount) for a in payment.adjustments]
    claim_remarks = [f"{c}: {rarc_description(c)}" for c in payment.remark_codes()]
    patient_name = person_name(payment.names.get("QC") or payment.names.get("IL"))
    return (
        f"<h2>{esc(title)}</h2>"
        + table(["", ""], [[k, v] for k, v in facts if v])
        + ("<p>Patient: " + esc(patient_name) + "</p>" if patient_name else "")
        + table(["date", "service", "charge", "allowed", "paid", "adjustments"], rows, {2, 3, 4})
        + ("<p><b>Claim adjustments:</b> " + esc("; ".join(claim_level)) + "</p>" if claim_level else "")
        + ("<p><b>Remarks:</b> " + esc("; ".join(claim_remarks)) + "</p>" if claim_remarks else "")
    )
