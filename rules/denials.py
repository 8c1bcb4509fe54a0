"""Denials: every CARC/RARC classified into a category and an action (reference §2.4–§2.5).

Pure functions over plain values: no I/O, no store. The table below is §2.4 written as data; `classify`
is the §2.5 algorithm; `classify_claim` applies it to one 835 claim and gives line and claim status and
the claim's priority action
(CORRECT > OTHER-PAYER > APPEAL > WAIT > BILL-NEXT > BILL-PT > WO-A > WO-C > INFO).

Actions: WO-C contractual write-off, WO-A administrative/denial write-off, BILL-NEXT carry to the next payer
then the patient, BILL-PT bill the patient, CORRECT correct and resubmit, APPEAL appeal/reconsideration,
OTHER-PAYER bill a different payer / fix the COB order, INFO no posting, WAIT pending.

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

WO_C, WO_A, BILL_NEXT, BILL_PT = "WO-C", "WO-A", "BILL-NEXT", "BILL-PT"
CORRECT, APPEAL, OTHER_PAYER, INFO, WAIT = "CORRECT", "APPEAL", "OTHER-PAYER", "INFO", "WAIT"
ACTIONS = (WO_C, WO_A, BILL_NEXT, BILL_PT, CORRECT, APPEAL, OTHER_PAYER, INFO, WAIT)
# Highest priority first (§2.5: CORRECT > OTHER-PAYER > APPEAL > BILL-NEXT > WO). WAIT, BILL-PT and INFO are
# not ranked by the reference: a pending line is still open work (after APPEAL), billing the patient comes
# after billing a payer, and INFO is no work at all.
PRIORITY = (CORRECT, OTHER_PAYER, APPEAL, WAIT, BILL_NEXT, BILL_PT, WO_A, WO_C, INFO)

COST_SHARE, CONTRACTUAL, NON_COVERED, BENEFIT_LIMIT = (
    "cost share",
    "contractual",
    "non-covered",
    "benefit limit",
)
UNKNOWN = "unknown"
PATIENT_SHARE_CATEGORIES = frozenset({COST_SHARE, NON_COVERED, BENEFIT_LIMIT})
# Categories that are not a denial (for the "partial" status of §2.5).
NOT_DENIAL_CATEGORIES = frozenset({COST_SHARE, CONTRACTUAL, "info", "COB info"})


@dataclass(frozen=True, slots=True)
class CarcRule:
    """One row of §2.4: the CARC, its category, the groups it typically comes with, the action per group."""

    code: str
    meaning: str
    category: str
    groups: tuple[str, ...]
    actions: Mapping[str, str]  # group -> action; "*" = any other group
    note: str = ""

    def action_for(self, group: str) -> str:
        return self.actions.get(group) or self.actions["*"]


def _rows(codes: str, meaning: str, category: str, groups: str, note: str = "", **actions: str) -> list[CarcRule]:
    acts = {("*" if k == "any" else k): v for k, v in actions.items()}
    return [CarcRule(c, meaning, category, tuple(groups.split("/")), acts, note) for c in codes.split("/")]


_TABLE: list[CarcRule] = [
    *_rows("1", "Deductible", COST_SHARE, "PR", any=BILL_NEXT),
    *_rows("2", "Coinsurance", COST_SHARE, "PR", any=BILL_NEXT),
    *_rows(
        "3",
        "Copayment",
        COST_SHARE,
        "PR",
        "apply patient payments (copay at time of service) first",
        any=BILL_NEXT,
    ),
    *_rows("66", "Blood deductible", COST_SHARE, "PR", any=BILL_NEXT),
    *_rows(
        "45",
        "Charge exceeds fee schedule / maximum allowable / contracted fee",
        CONTRACTUAL,
        "CO/PR",
        "PR only out of network with balance billing allowed",
        CO=WO_C,
        PR=BILL_NEXT,
        any=WO_C,
    ),
    *_rows("24", "Covered under a capitation agreement / managed care plan", CONTRACTUAL, "CO", any=WO_C),
    *_rows("59", "Multiple/concurrent procedure rules", CONTRACTUAL, "CO", "check the modifiers", any=WO_C),
    *_rows("94", "Processed in excess of charges", "info", "OA", "negative amount", any=INFO),
    *_rows("131", "Claim-specific negotiated discount", CONTRACTUAL, "CO", any=WO_C),
    *_rows(
        "144",
        "Incentive adjustment",
        CONTRACTUAL,
        "CO",
        "table action INFO; §2.5 step 2 (CO + contractual) makes it WO-C: a negative contractual amount",
        any=INFO,
    ),
    *_rows(
        "253",
        "Sequestration: reduction of federal payment",
        CONTRACTUAL,
        "CO",
        "never bill the patient",
        any=WO_C,
    ),
    *_rows(
        "209",
        "Provider cannot collect this from the patient (regulatory/other agreement)",
        CONTRACTUAL,
        "CO",
        "refund the patient if collected",
        any=WO_C,
    ),
    *_rows("281", "Deductible waived per contract", CONTRACTUAL, "CO", any=WO_C),
    *_rows(
        "303",
        "Prior payer's cost share not covered (QMB)",
        CONTRACTUAL,
        "CO",
        "patient cannot be billed; Medicare bad debt may be possible (§5.3)",
        any=WO_C,
    ),
    *_rows("23", "Impact of prior payer adjudication", "COB info", "OA", "do not post", any=INFO),
    *_rows("22", "May be covered by another payer (COB)", "COB", "CO/OA", "then rebill", any=OTHER_PAYER),
    *_rows(
        "109",
        "Not covered by this payer; send to the correct payer",
        "COB/eligibility",
        "CO",
        any=OTHER_PAYER,
    ),
    *_rows("19/20/21", "Workers' comp / liability / no-fault carrier liable", "COB (MSP)", "CO", any=OTHER_PAYER),
    *_rows("276", "Denied by prior payer and not covered here", "COB", "CO/PR", PR=BILL_PT, CO=WO_A, any=WO_A),
    *_rows(
        "16",
        "Claim lacks information or has submission/billing errors",
        "front-end/data",
        "CO",
        "see the RARC",
        any=CORRECT,
    ),
    *_rows(
        "4/5/6/7/8/11",
        "Code inconsistent with modifier/place of service/age/gender/provider type/diagnosis",
        "coding",
        "CO",
        "APPEAL if correct as billed",
        any=CORRECT,
    ),
    *_rows(
        "31",
        "Patient cannot be identified as our insured",
        "eligibility",
        "CO",
        "demographics/ID",
        any=CORRECT,
    ),
    *_rows(
        "26/27",
        "Expenses before coverage / after coverage ended",
        "eligibility",
        "PR/CO",
        "OTHER-PAYER or BILL-PT: look for the coverage in force first",
        any=OTHER_PAYER,
    ),
    *_rows(
        "129",
        "Prior processing information appears incorrect",
        "COB data",
        "CO",
        "fix 2320/2430 data",
        any=CORRECT,
    ),
    *_rows(
        "146/181/182",
        "Diagnosis / procedure / modifier invalid for the date of service",
        "coding",
        "CO",
        any=CORRECT,
    ),
    *_rows(
        "18",
        "Exact duplicate claim/service",
        "duplicate",
        "OA/CO",
        "check the original's status; no rebill",
        any=INFO,
    ),
    *_rows("B13", "Previously paid", "duplicate", "CO/OA", any=INFO),
    *_rows("133", "Disposition pending further review", "pending", "OA", any=WAIT),
    *_rows(
        "29",
        "Time limit for filing has expired",
        "timely filing",
        "CO",
        "APPEAL only with proof of timely filing (277CA acceptance), else WO-A",
        any=APPEAL,
    ),
    *_rows(
        "50",
        "Not deemed a medical necessity",
        "clinical",
        "CO/PR",
        "PR when an ABN/waiver is on file",
        CO=APPEAL,
        PR=BILL_NEXT,
        any=APPEAL,
    ),
    *_rows(
        "55/56",
        "Experimental/investigational; not proven effective",
        "clinical",
        "CO/PR",
        "BILL-PT only with a waiver",
        CO=APPEAL,
        PR=BILL_PT,
        any=APPEAL,
    ),
    *_rows(
        "151",
        "Information does not support this many services / this frequency",
        "clinical",
        "CO",
        any=APPEAL,
    ),
    *_rows("167", "Diagnosis not covered", "coverage", "CO", "CORRECT if coded wrong, else APPEAL", any=CORRECT),
    *_rows(
        "96",
        "Non-covered charge(s)",
        NON_COVERED,
        "PR/CO",
        "CO: WO-A or APPEAL; the default keeps it open (APPEAL) until the office gives up",
        PR=BILL_NEXT,
        CO=APPEAL,
        any=APPEAL,
    ),
    *_rows(
        "204",
        "Service not covered under the patient's current benefit plan",
        NON_COVERED,
        "PR",
        "the secondary may cover it",
        any=BILL_NEXT,
    ),
    *_rows(
        "49",
        "Routine/preventive, non-covered",
        NON_COVERED,
        "PR/CO",
        "as for 96",
        PR=BILL_NEXT,
        CO=APPEAL,
        any=APPEAL,
    ),
    *_rows("35/119", "Lifetime / period benefit maximum reached", BENEFIT_LIMIT, "PR", any=BILL_NEXT),
    *_rows(
        "100",
        "Payment made to patient/insured",
        "paid to patient",
        "PR",
        "AMT*D 0 to the next payer",
        any=BILL_PT,
    ),
    *_rows(
        "97",
        "Paid as part of another service (bundled)",
        "bundling/NCCI",
        "CO",
        "if a modifier (25/59/XE/XS) applies: CORRECT or APPEAL",
        any=WO_C,
    ),
    *_rows(
        "234/236",
        "Procedure not paid separately / incompatible procedure-modifier (NCCI)",
        "bundling",
        "CO",
        "as for 97",
        any=WO_C,
    ),
    *_rows(
        "39/197/198",
        "Denied at authorization / precertification absent / exceeded",
        "authorization",
        "CO",
        "APPEAL (retro-auth), else WO-A",
        any=APPEAL,
    ),
    *_rows(
        "242/243",
        "Not a network provider / not authorized by the network",
        "network",
        "CO/PR",
        "APPEAL or BILL-PT per contract",
        CO=APPEAL,
        PR=BILL_PT,
        any=APPEAL,
    ),
    *_rows(
        "226",
        "Information requested from the provider not provided",
        "records",
        "CO",
        "send records",
        any=APPEAL,
    ),
    *_rows(
        "227",
        "Information requested from the patient not provided",
        "patient action",
        "CO/PR",
        "contact the patient, then rebill",
        any=CORRECT,
    ),
    *_rows("252", "An attachment is required", "records", "CO", "send the attachment (275/PWK)", any=CORRECT),
    *_rows(
        "107",
        "Related/qualifying claim not received or adjudicated",
        "sequencing",
        "CO",
        "then rebill",
        any=WAIT,
    ),
    *_rows(
        "B7/185",
        "Provider not certified/eligible for this service on this date",
        "credentialing",
        "CO",
        "fix enrollment, then APPEAL/rebill",
        any=APPEAL,
    ),
    *_rows("A1", "Claim/service denied (see RARC)", "generic", "CO", "RARC-driven", any=APPEAL),
    *_rows("192", "Non-standard code from a paper remittance", "COB relay", "PR", any=BILL_NEXT),
]
CARC_TABLE: dict[str, CarcRule] = {rule.code: rule for rule in _TABLE}


@dataclass(frozen=True, slots=True)
class RarcInfo:
    code: str
    meaning: str
    action: str | None = None  # what the remark implies, when it implies an action


RARC_TABLE: dict[str, RarcInfo] = {
    r.code: r
    for r in [
        RarcInfo("MA01", "Notice of appeal rights (generic)"),
        RarcInfo("MA04", "Secondary payment needs the primary's identity/payment: fix 2320/2330", CORRECT),
        RarcInfo("MA15", "Claim was split (several CLPs with the same CLP01)"),
        RarcInfo("MA18", "Forwarded to the supplemental insurer (crossover)"),
        RarcInfo("MA07", "Forwarded to Medicaid (crossover)"),
        RarcInfo("N89", "Forwarded to more than one other payer"),
        RarcInfo("MA19", "Not forwarded: supplemental insurer information incorrect; bill it yourself", OTHER_PAYER),
        RarcInfo(
            "MA08",
            "Not forwarded: not Medigap or provider does not participate; bill it yourself",
            OTHER_PAYER,
        ),
        RarcInfo("MA68", "Crossover not done: secondary information incomplete", OTHER_PAYER),
        RarcInfo("MA130", "Unprocessable claim, no appeal rights: correct and submit as a new claim", CORRECT),
        RarcInfo("N4", "Prior payer EOB missing or invalid", CORRECT),
        RarcInfo("N479", "Prior payer EOB missing or invalid", CORRECT),
        RarcInfo("N781", "No deductible may be collected: Medicaid/QMB patient"),
        RarcInfo("N782", "No coinsurance may be collected: Medicaid/QMB patient"),
        RarcInfo("N115", "Decision based on a Local Coverage Determination"),
    ]
}

UNKNOWN_DEFAULTS = {"PR": BILL_NEXT, "CO": APPEAL, "PI": APPEAL, "OA": WAIT}


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
    elif group == "OA" and reason in ("23", "94"):
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
    return c.category not in NOT_DENIAL_CATEGORIES and c.group != "PR" and c.action != INFO


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
