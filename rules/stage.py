"""The rules stage, composed in one visible place: net → match → decide → derive → balance.

Each step is a pure function of models in its own module (net: `netting`, match: `matching`, decide:
`disposition`, derive the secondary claim's COB loops 2320/2330/2430: `cob`, balance: `balance`); a step
that cannot go on raises `Refusal`, which becomes the claim's disposition and reason. One claim's trouble
never stops the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from parsers.models import Claim837, ClaimPayment

from .balance import check_cob_balance
from .claim_order import check_order
from .cob import build_secondary
from .disposition import decide
from .matching import match_claim, match_lines
from .msp import medicare_secondary
from .netting import group_by_claim, net_adjudications
from .outcome import CONVERTED, NEEDS_REVIEW, Outcome, Refusal
from .payer_order import next_payer
from .policy import Policy


def index_claims(claims: Iterable[Claim837]) -> dict[str, list[Claim837]]:
    """Original claims by CLM01 (several when the id repeats across files or payers)."""
    index: dict[str, list[Claim837]] = {}
    for claim in claims:
        index.setdefault(claim.claim_id, []).append(claim)
    return index


def secondary_claims(
    payments: Iterable[ClaimPayment], originals: Mapping[str, list[Claim837]], policy: Policy | None = None
) -> list[Outcome]:
    """One Outcome per claim id of the remittance(s), in the order the claims first appear."""
    policy = policy or Policy()
    return [outcome_for(group, originals, policy) for group in group_by_claim(list(payments)).values()]


def outcome_for(adjudications: list[ClaimPayment], originals: Mapping[str, list[Claim837]], policy: Policy) -> Outcome:
    outcome = Outcome(adjudications[0].claim_id, adjudications[-1])
    try:
        for adjudication in adjudications:  # every CLP of the claim id, reversals included, before netting
            _check_adjudication_balances(adjudication)
        payment, notes = net_adjudications(adjudications)
        outcome.payment = payment
        outcome.notes += notes
        original = match_claim(payment, originals.get(payment.claim_id, []))
        outcome.original = original
        order = check_order(original, policy.patients) if policy.patients else None
        disposition, reasons = decide(payment, original, policy)
        if disposition is not None:
            outcome.disposition, outcome.reasons = disposition, reasons
            return outcome
        check_primary_balances(payment, original)
        outcome.line_matches = match_lines(original, payment)
        destination = next_payer(original)
        secondary, notes = build_secondary(original, payment, outcome.line_matches, destination, policy)
        outcome.notes += notes
        derived = order.msp_type if order is not None else None
        secondary, notes = medicare_secondary(secondary, original, payment, destination, policy.msp, derived)
        outcome.notes += notes
        problems = check_cob_balance(secondary)
        if problems:
            raise Refusal(NEEDS_REVIEW, "secondary claim would not balance: " + "; ".join(problems))
        outcome.secondary = secondary
        outcome.destination_payer_id = secondary.payer_id
        outcome.disposition = CONVERTED
        remaining = payment.patient_responsibility_total()
        outcome.reasons = [
            f"primary paid {payment.paid}; {remaining} patient responsibility billed to the "
            f"secondary payer {secondary.payer_id}"
        ]
    except Refusal as refusal:
        outcome.disposition = refusal.disposition
        outcome.reasons = [refusal.reason]
    return outcome


def _check_adjudication_balances(adjudication: ClaimPayment) -> None:
    """§1.7.6: an 835 claim that fails B1/B2 is quarantined, and every claim of a transaction failing B3."""
    remittance = adjudication.remittance
    if remittance is not None and any(f.rule == "B3" for f in remittance.findings):
        raise Refusal(
            NEEDS_REVIEW,
            "the primary's remittance does not balance (B3: BPR02 != sum CLP04 - "
            "sum PLB): the whole 835 is quarantined",
        )
    if not adjudication.balances():
        raise Refusal(
            NEEDS_REVIEW,
            f"primary's adjudication (CLP02={adjudication.status}, payer claim "
            f"{adjudication.payer_claim_number}) does not balance (B1/B2)",
        )


def check_primary_balances(payment: ClaimPayment, original: Claim837) -> None:
    """The 835's own balancing (B1, B2) and CLP03 = CLM02: without them the 837 cannot balance (§3.7)."""
    if not payment.b2_balances():
        raise Refusal(
            NEEDS_REVIEW,
            f"primary's claim does not balance (B2): CLP03 {payment.charge} - "
            f"adjustments {payment.adjustment_total()} != CLP04 {payment.paid}",
        )
    for svc in payment.services:
        if not svc.b1_balances():
            raise Refusal(NEEDS_REVIEW, f"primary's service line {svc.procedure.code} does not balance (B1)")
    if payment.charge != original.charge:
        raise Refusal(
            NEEDS_REVIEW,
            f"primary adjudicated a charge of {payment.charge} but the claim billed {original.charge} (CLP03 != CLM02)",
        )
