"""What the rules decide for one 835 claim: a disposition, the reasons, and the secondary claim if any."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from parsers.models import ZERO, Claim837, ClaimPayment

CONVERTED = "converted"
CROSSOVER = "crossover"
NO_SECONDARY = "no-secondary"
NOTHING_DUE = "nothing-due"
REBILL_PRIMARY = "rebill-primary"
NEEDS_REVIEW = "needs-review"
DISPOSITIONS = (CONVERTED, CROSSOVER, NO_SECONDARY, NOTHING_DUE, REBILL_PRIMARY, NEEDS_REVIEW)


class Refusal(Exception):
    """Raised inside a rule step when a claim cannot go further; becomes that claim's disposition."""

    def __init__(self, disposition: str, reason: str):
        super().__init__(reason)
        self.disposition = disposition
        self.reason = reason


@dataclass(slots=True)
class Outcome:
    """One 835 claim (after netting) and what happens to it."""

    claim_id: str
    payment: ClaimPayment  # the netted adjudication
    original: Claim837 | None = None
    disposition: str = NEEDS_REVIEW
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what COB rewrote or dropped, for the report
    secondary: Claim837 | None = None
    destination_payer_id: str = ""  # the payer the secondary claim goes to (2010BB NM109), when converted
    line_matches: dict[int, list] = field(default_factory=dict)  # 837 line index -> matched ServicePayments

    def figures(self) -> dict:
        """The numbers behind the decision, as strings (Decimal in, exact text out)."""
        pay = self.payment
        by_reason: dict[str, Decimal] = {}
        by_group: dict[str, Decimal] = {}
        for adj in pay.all_adjustments():
            by_group[adj.group] = by_group.get(adj.group, ZERO) + adj.amount
            if adj.group == "PR":
                key = f"PR-{adj.reason}"
                by_reason[key] = by_reason.get(key, ZERO) + adj.amount
        return {
            "charge": str(pay.charge),
            "primary_paid": str(pay.paid),
            "patient_responsibility": {
                "total": str(pay.patient_responsibility_total()),
                "by_reason": {k: str(v) for k, v in by_reason.items()},
            },
            "adjustments_by_group": {k: str(v) for k, v in by_group.items()},
            "payer_claim_number": pay.payer_claim_number,
            "status": pay.status,
        }
