"""Rule R1: net reversals (CLP02=22) against what they reverse, before anything else (reference §1.8).

Within one 835, the adjudications of one claim id are combined into the payer's final word:
* a reversal and the earlier adjudication it names (same CLP07) cancel each other when both are present;
* a reversal whose original came in an earlier 835 cancels that earlier adjudication, which leaves the
  correction that follows it as the final word;
* what remains must be one adjudication (or a split claim, MA15, which is combined).
A negative amount never survives netting: it would mean the claim cannot go further.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from parsers.models import ZERO, ClaimPayment, ServicePayment

from .outcome import NEEDS_REVIEW, Refusal


def group_by_claim(payments: list[ClaimPayment]) -> dict[str, list[ClaimPayment]]:
    """835 claims of one remittance grouped by CLP01, in file order."""
    groups: dict[str, list[ClaimPayment]] = {}
    for payment in payments:
        groups.setdefault(payment.claim_id, []).append(payment)
    return groups


def _negates(reversal: ClaimPayment, original: ClaimPayment) -> bool:
    return (
        reversal.charge == -original.charge
        and reversal.paid == -original.paid
        and sorted((a.group, a.reason, -a.amount) for a in reversal.all_adjustments())
        == sorted((a.group, a.reason, a.amount) for a in original.all_adjustments())
    )


def net_adjudications(payments: list[ClaimPayment]) -> tuple[ClaimPayment, list[str]]:
    """The final adjudication of one claim id, and notes on what was netted. Raises Refusal."""
    notes: list[str] = []
    remaining = [p for p in payments if not p.is_reversal]
    for reversal in (p for p in payments if p.is_reversal):
        original = next((p for p in remaining if p.payer_claim_number == reversal.payer_claim_number), None)
        if original is not None:
            if not _negates(reversal, original):
                raise Refusal(
                    NEEDS_REVIEW,
                    f"reversal of payer claim {reversal.payer_claim_number} does not "
                    "exactly undo the adjudication it names",
                )
            remaining.remove(original)
            notes.append(f"payer claim {reversal.payer_claim_number} reversed within this remittance")
        else:
            notes.append(
                f"reversal of earlier payer claim {reversal.payer_claim_number} applied; the "
                "correction that follows is the payer's final word"
            )
    if not remaining:
        raise Refusal(
            NEEDS_REVIEW, "the payer reversed its payment and sent no correction (take-back); nothing to bill onward"
        )
    if len(remaining) > 1:
        if not any("MA15" in p.remark_codes() for p in remaining):
            raise Refusal(
                NEEDS_REVIEW,
                f"{len(remaining)} adjudications for one claim without a split-claim "
                "remark (MA15): duplicate or unexplained",
            )
        final = _combine_split(remaining)
        notes.append(f"split claim (MA15): {len(remaining)} adjudications combined")
    else:
        final = remaining[0]
    if final.paid < 0 or any(s.paid < 0 or s.charge < 0 for s in final.services) or final.charge < 0:
        raise Refusal(NEEDS_REVIEW, "negative amounts remain after netting reversals")
    return final, notes


def _combine_split(parts: list[ClaimPayment]) -> ClaimPayment:
    """A split claim (MA15): one adjudication whose lines and amounts are the parts' together."""
    first = parts[0]
    services: list[ServicePayment] = []
    adjustments = []
    for part in parts:
        services += part.services
        adjustments += part.adjustments
    pr = [p.patient_responsibility for p in parts if p.patient_responsibility is not None]
    return replace(
        first,
        charge=sum((p.charge for p in parts), ZERO),
        paid=sum((p.paid for p in parts), ZERO),
        patient_responsibility=sum(pr, Decimal(0)) if pr else None,
        adjustments=adjustments,
        services=services,
    )
