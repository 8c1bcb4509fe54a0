"""Deciding what happens to a claim before any COB data is derived (reference §3.8, §3.10, §5.4).

`decide` returns the disposition that stops the claim here, or None when it should be converted.
"""

from __future__ import annotations

from parsers.models import Claim837, ClaimPayment

from .carc import (
    CORRECTABLE_CARCS,
    CORRECTABLE_RARCS,
    CROSSOVER_FAILED_RARCS,
    CROSSOVER_RARCS,
    SEQUENCING_CARCS,
)
from .cas import adjustment_label
from .outcome import CROSSOVER, NEEDS_REVIEW, NO_SECONDARY, NOTHING_DUE, REBILL_PRIMARY
from .payer_order import CROSSOVER_STATUSES, LATER_PAYER_STATUSES, next_payer
from .policy import Policy


def crossover_signals(payment: ClaimPayment) -> list[str]:
    """Rule X1: the primary says it forwarded the claim itself."""
    signals = []
    if payment.status in CROSSOVER_STATUSES:
        signals.append(f"CLP02={payment.status} (processed and forwarded)")
    if "TT" in payment.names:
        signals.append("NM1*TT crossover carrier named")
    remarks = set(payment.remark_codes())
    signals += [f"remark {code}" for code in sorted(remarks & CROSSOVER_RARCS)]
    return signals


def decide(payment: ClaimPayment, claim: Claim837, policy: Policy) -> tuple[str | None, list[str]]:
    remarks = set(payment.remark_codes())
    if payment.status == "23":
        return NEEDS_REVIEW, ["payer says this is not its claim and forwarded it (CLP02=23)"]
    if payment.status == "25":
        return NEEDS_REVIEW, ["predetermination pricing only (CLP02=25): nothing was adjudicated"]
    if payment.status in LATER_PAYER_STATUSES:
        return NEEDS_REVIEW, [
            f"claim was processed as a later payer (CLP02={payment.status}); this remittance "
            "is posted, not billed onward as a primary's"
        ]
    signals = crossover_signals(payment)
    if signals:
        failed = sorted(remarks & CROSSOVER_FAILED_RARCS)
        if not failed:
            return CROSSOVER, [
                f"crossover: {'; '.join(signals)}; the primary forwarded the claim, so no "
                "secondary claim is sent (hold until the secondary answers or the wait ends)"
            ]
    destination = next_payer(claim)
    if payment.status == "4":
        routed = _route_denial(payment, remarks, policy)
        if routed is not None:
            return routed
    if destination is None:
        return NO_SECONDARY, ["the original claim names no further payer (no 2320 after the primary)"]
    remaining = payment.patient_responsibility_total()
    if remaining == 0 and not (policy.send_nothing_due or destination.payer_id in policy.send_nothing_due_to):
        return NOTHING_DUE, ["no patient responsibility left after the primary: nothing for the secondary to pay"]
    return None, []


def _route_denial(payment: ClaimPayment, remarks: set[str], policy: Policy) -> tuple[str, list[str]] | None:
    """A whole-claim denial (CLP02=4): correct and rebill the primary, send onward, or hold (§3.8)."""
    adjustments = [a for a in payment.all_adjustments() if a.amount != 0]
    correctable = [a for a in adjustments if a.reason in CORRECTABLE_CARCS and a.group != "PR"]
    rarcs = sorted(remarks & CORRECTABLE_RARCS)
    if correctable or rarcs:
        what = ", ".join([adjustment_label(a) for a in correctable] + rarcs)
        return REBILL_PRIMARY, [
            f"primary denied the claim as correctable ({what}): correct it and rebill the primary, not the secondary"
        ]
    waiting = [a for a in adjustments if a.reason in SEQUENCING_CARCS and a.group != "PR"]
    if waiting:
        what = ", ".join(adjustment_label(a) for a in waiting)
        return REBILL_PRIMARY, [
            f"primary denied the claim until a related claim is adjudicated ({what}): wait for it, then rebill "
            "the primary, not the secondary"
        ]
    if adjustments and all(a.group == "PR" for a in adjustments):
        return None  # patient-responsibility denial: the secondary may cover it
    liability = [a for a in adjustments if a.group in ("CO", "PI", "OA")]
    if liability and not policy.send_provider_liability_denials:
        what = ", ".join(adjustment_label(a) for a in liability)
        return NEEDS_REVIEW, [
            f"primary denied the claim as provider liability ({what}): appeal the primary; "
            "not sent to the secondary (policy send_provider_liability_denials is off)"
        ]
    if not adjustments:
        return NEEDS_REVIEW, ["primary denied the claim without giving adjustments"]
    return None


__all__ = ["decide", "crossover_signals"]
