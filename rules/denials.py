"""Denials: every CARC/RARC adjustment classified into a category and an action (reference §2.5).

Pure functions over plain values: no I/O, no store. The CARC/RARC tables (§2.4) live in `rules.carc`;
`classify` is the §2.5 algorithm over them; `classify_claim` applies it to one 835 claim and gives line and
claim status and the claim's priority action
(CORRECT > OTHER-PAYER > APPEAL > WAIT > BILL-NEXT > BILL-PT > WO-A > WO-C > INFO).

Safety rules on top of the table (so a default can never lose or misdirect money):
* an unknown CARC never writes off and never bills the patient: PR -> BILL-NEXT, CO/PI -> APPEAL,
  OA -> WAIT, always with ``needs_review``;
* a CO or PI amount is never billed to anyone (the patient may not be billed for it): a BILL-* action on
  CO/PI becomes APPEAL with ``needs_review``;
* a group the table does not list as typical for the CARC sets ``needs_review``.
Per-payer overrides (`overrides[payer_id]["CO-29"]` or `["29"]` -> action) have the last word.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from .carc import (
    ACTIONS,
    APPEAL,
    BENEFIT_LIMIT,
    BILL_NEXT,
    BILL_PT,
    CARC_TABLE,
    COB_INFO,
    CONTRACTUAL,
    CORRECT,
    COST_SHARE,
    INFO,
    INFO_ADJUSTMENTS,
    INFO_CATEGORY,
    NON_COVERED,
    OTHER_PAYER,
    RARC_TABLE,
    UNKNOWN,
    UNKNOWN_DEFAULTS,
    WAIT,
    WO_A,
    WO_C,
)

# Highest priority first (§2.5: CORRECT > OTHER-PAYER > APPEAL > BILL-NEXT > WO). WAIT, BILL-PT and INFO are
# not ranked by the reference: a pending line is still open work (after APPEAL), billing the patient comes
# after billing a payer, and INFO is no work at all.
PRIORITY = (CORRECT, OTHER_PAYER, APPEAL, WAIT, BILL_NEXT, BILL_PT, WO_A, WO_C, INFO)

PATIENT_SHARE_CATEGORIES = frozenset({COST_SHARE, NON_COVERED, BENEFIT_LIMIT})
# Categories that are not a denial (for the "partial" status of §2.5).
NOT_DENIAL_CATEGORIES = frozenset({COST_SHARE, CONTRACTUAL, INFO_CATEGORY, COB_INFO})


@dataclass(frozen=True, slots=True)
class Classification:
    """What one adjustment means and what to do about it."""

    group: str
    reason: str
    amount: Decimal
    action: str
    category: str
    needs_review: bool = False
    new_claim: bool = False  # CORRECT by MA130: a new claim, not a replacement (no appeal rights)
    level: str = "claim"  # claim | line
    line: str = ""  # line key (REF*6R, else the line's position)
    rarcs: tuple[str, ...] = ()
    basis: str = ""  # which step of §2.5 decided


Overrides = Mapping[str, Mapping[str, str]]  # payer id -> {"CO-29" or "29": action}


def classify(
    group: str,
    reason: str,
    amount: Decimal = Decimal(0),
    rarcs: Iterable[str] = (),
    *,
    payer_id: str = "",
    overrides: Overrides | None = None,
    level: str = "claim",
    line: str = "",
) -> Classification:
    """§2.5 for one adjustment; an override for `payer_id` (key "GROUP-CARC" before "CARC") wins."""
    rarcs = tuple(rarcs)
    rule = CARC_TABLE.get(reason)
    category = rule.category if rule else UNKNOWN
    review, new_claim = False, False
    if rule and group == "PR" and category in PATIENT_SHARE_CATEGORIES:
        action, basis = BILL_NEXT, "PR cost share / non-covered / benefit limit"
    elif rule and group == "CO" and category == CONTRACTUAL:
        action, basis = WO_C, "CO contractual"
    elif (group, reason) in INFO_ADJUSTMENTS:
        action, basis = INFO, "OA-23/94 informational"
    elif "MA130" in rarcs:
        action, basis, new_claim = CORRECT, "MA130: correct and submit a new claim", True
    elif rule is None:
        action, basis, review = UNKNOWN_DEFAULTS.get(group, WAIT), "unknown CARC: safe default", True
    else:
        action, basis = rule.action_for(group), "table by group"
        review = group not in rule.groups
        if rule.code == "A1":  # RARC-driven
            implied = [RARC_TABLE[r].action for r in rarcs if r in RARC_TABLE and RARC_TABLE[r].action]
            if implied:
                action, basis = min(implied, key=PRIORITY.index), "A1: action from the RARC"
            else:
                review = True
    if group in ("CO", "PI") and action in (BILL_NEXT, BILL_PT):
        action, review, basis = APPEAL, True, basis + "; CO/PI is never billed onward"
    override = (overrides or {}).get(payer_id, {}) if payer_id else {}
    chosen = override.get(f"{group}-{reason}") or override.get(reason)
    if chosen:
        if chosen not in ACTIONS:
            raise ValueError(f"override for {payer_id} {group}-{reason}: unknown action {chosen!r}")
        action, basis, review = chosen, f"override for payer {payer_id}", False
    return Classification(group, reason, amount, action, category, review, new_claim, level, line, rarcs, basis)


def priority_action(actions: Iterable[str]) -> str | None:
    """The action that goes first when one claim has several (None when there are none)."""
    actions = [a for a in actions]
    return min(actions, key=PRIORITY.index) if actions else None


def is_denial(c: Classification) -> bool:
    """Whether the adjustment denies something that someone must act on: a provider-liability denial (to
    correct, appeal, bill elsewhere or write off), or a patient-responsibility denial (non-covered, benefit
    limit: bill the next payer or the patient). Cost share, contractual amounts and information are not."""
    return c.category not in NOT_DENIAL_CATEGORIES and c.action != INFO


@dataclass(frozen=True, slots=True)
class LineStatus:
    line: str
    paid: Decimal
    status: str  # denied | partial | processed


@dataclass(frozen=True, slots=True)
class ClaimDenials:
    """A claim's classified adjustments, the status of each line and of the claim, and its first action."""

    claim_id: str
    payer_id: str
    status: str  # denied | partial | processed | reversal
    action: str | None
    items: tuple[Classification, ...] = ()
    lines: tuple[LineStatus, ...] = ()
    reasons: tuple[str, ...] = field(default_factory=tuple)


def _status(paid: Decimal, items: list[Classification]) -> str:
    has_pr = any(c.group == "PR" and c.amount != 0 for c in items)
    if paid == 0 and not has_pr:
        return "denied"
    if paid > 0 and any(is_denial(c) and c.amount != 0 for c in items):
        return "partial"
    return "processed"


def line_key(svc, index: int) -> str:
    """A line's key: its REF*6R, else its 1-based position among the claim's SVC loops."""
    return svc.control_number or f"#{index + 1}"


def classify_claim(payment, payer_id: str = "", overrides: Overrides | None = None) -> ClaimDenials:
    """§2.5 over one 835 claim (a `parsers.models.ClaimPayment`). Reversals (CLP02=22) are skipped."""
    if payment.status == "22":
        return ClaimDenials(payment.claim_id, payer_id, "reversal", None, reasons=("reversal: skipped (§2.5)",))
    claim_rarcs: list[str] = []
    if payment.outpatient:
        claim_rarcs += [c for c in payment.outpatient[3:8] if c]
    if payment.inpatient:
        claim_rarcs += [c for i, c in enumerate(payment.inpatient) if c and (i == 5 or 20 <= i <= 23)]
    items = [
        classify(a.group, a.reason, a.amount, claim_rarcs, payer_id=payer_id, overrides=overrides)
        for a in payment.adjustments
    ]
    lines = []
    for i, svc in enumerate(payment.services):
        key = line_key(svc, i)
        rarcs = claim_rarcs + [code for q, code in svc.remarks if q == "HE"]
        line_items = [
            classify(
                a.group,
                a.reason,
                a.amount,
                rarcs,
                payer_id=payer_id,
                overrides=overrides,
                level="line",
                line=key,
            )
            for a in svc.adjustments
        ]
        items += line_items
        lines.append(LineStatus(key, svc.paid, _status(svc.paid, line_items)))
    if payment.status == "4":
        status = "denied"
    elif lines and all(ln.status == "denied" for ln in lines) and not any(c.group == "PR" for c in items):
        status = "denied"
    elif (
        lines
        and payment.paid > 0
        and (
            any(ln.status != "processed" for ln in lines)
            or _status(payment.paid, items[: len(payment.adjustments)]) == "partial"
        )
    ):
        status = "partial"
    else:
        status = _status(payment.paid, items)
    actions = [c.action for c in items if c.amount != 0]
    return ClaimDenials(payment.claim_id, payer_id, status, priority_action(actions), tuple(items), tuple(lines))
