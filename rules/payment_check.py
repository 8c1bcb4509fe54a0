"""Checks of a payer's answer before billing onward (§1.7, §5 of the domain contract): balancing (B1, B2),
CLP05 against the PR adjustments, allowed against paid and patient responsibility, overpayment, and
underpayment against a fee schedule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from parsers.models import ClaimPayment, ServicePayment

from . import denials
from .carc import POST_ALLOWED_CARCS

ZERO = Decimal(0)
FeeSchedule = Mapping[tuple[str, tuple[str, ...]], Decimal]  # (procedure code, modifiers) -> allowed per unit


@dataclass(frozen=True, slots=True)
class Discrepancy:
    kind: str  # B1 | B2 | clp05 | allowed-mismatch | overpayment | underpayment
    message: str
    line: str = ""
    expected: Decimal | None = None
    actual: Decimal | None = None


def check_primary_payment(payment: ClaimPayment, fee_schedule: FeeSchedule | None = None) -> list[Discrepancy]:
    """Per claim: B2, CLP05 = Σ PR (not for reversals), paid > charge. Per line: B1; with AMT*B6, paid + PR
    (+ post-allowed CO-253/144) = allowed, and paid > allowed is an overpayment; paid > charge; allowed below
    the fee schedule's (code, modifiers) amount x units paid is an underpayment."""
    out = _claim_checks(payment)
    for i, svc in enumerate(payment.services):
        out += _line_checks(svc, denials.line_key(svc, i), None if payment.is_reversal else fee_schedule)
    return out


def _claim_checks(payment: ClaimPayment) -> list[Discrepancy]:
    out = []
    if not payment.b2_balances():
        message = f"CLP03 {payment.charge} - adjustments {payment.adjustment_total()} != CLP04 {payment.paid}"
        out.append(Discrepancy("B2", message, expected=payment.b2_paid(), actual=payment.paid))
    if not payment.is_reversal:
        pr = payment.patient_responsibility_total()
        clp05 = payment.patient_responsibility
        if (clp05 if clp05 is not None else ZERO) != pr:
            message = f"CLP05 {clp05 if clp05 is not None else '(empty)'} != Σ PR {pr}"
            out.append(Discrepancy("clp05", message, expected=pr, actual=clp05))
    if payment.paid > payment.charge > 0:
        message = f"claim paid {payment.paid} exceeds the charge {payment.charge}"
        out.append(Discrepancy("overpayment", message, expected=payment.charge, actual=payment.paid))
    return out


def _line_checks(svc: ServicePayment, key: str, fee_schedule: FeeSchedule | None) -> list[Discrepancy]:
    out = []
    if not svc.b1_balances():
        message = f"SVC02 {svc.charge} - adjustments {svc.adjustment_total()} != SVC03 {svc.paid}"
        out.append(Discrepancy("B1", message, key, svc.b1_paid(), svc.paid))
    pr = sum((a.amount for a in svc.adjustments if a.group == "PR"), ZERO)
    post_allowed = sum(
        (a.amount for a in svc.adjustments if a.group in ("CO", "PI") and a.reason in POST_ALLOWED_CARCS), ZERO
    )
    allowed = svc.amounts.get("B6")
    if allowed is not None:
        if svc.paid + pr + post_allowed != allowed:
            message = f"allowed {allowed} != paid {svc.paid} + patient responsibility {pr}" + (
                f" + {post_allowed}" if post_allowed else ""
            )
            out.append(Discrepancy("allowed-mismatch", message, key, allowed, svc.paid + pr + post_allowed))
        if svc.paid > allowed:
            out.append(Discrepancy("overpayment", f"paid {svc.paid} exceeds allowed {allowed}", key, allowed, svc.paid))
    if svc.paid > svc.charge > 0:
        message = f"paid {svc.paid} exceeds the line charge {svc.charge}"
        out.append(Discrepancy("overpayment", message, key, svc.charge, svc.paid))
    if fee_schedule is not None:
        proc = svc.submitted_procedure
        rate = fee_schedule.get((proc.code, tuple(proc.modifiers)))
        if rate is not None:
            expected = rate * (svc.units_paid if svc.units_paid is not None else Decimal(1))
            basis = allowed if allowed is not None else svc.paid + pr + post_allowed
            if basis < expected:
                code = proc.code + "".join("-" + m for m in proc.modifiers)
                message = f"allowed {basis} below the fee schedule {expected} for {code}"
                out.append(Discrepancy("underpayment", message, key, expected, basis))
    return out
