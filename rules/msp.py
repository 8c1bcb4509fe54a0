"""Medicare as a secondary payer (MSP): the one home of the MSP insurance types and the UB-04 value and
occurrence codes that carry them, and what a claim to Medicare as secondary must say.

* 837P: 2000B SBR05 = the MSP insurance type (005010X222A1, SBR05 required when the destination payer is
  Medicare and Medicare is not primary).
* 837I: SBR05 is not used; the MSP type is a UB-04 value code in 2300 HI*BE with the primary's payment as its
  amount, value code 44 with the amount the provider is obligated (or agreed) to accept from the primary as
  payment in full (OTAF), and occurrence code 24 with the primary's date when it paid nothing (CMS Pub. 100-04
  ch. 25 §75.5 value codes; MAC MSP billing pages, docs/secondary-claim.md).
* A multi-line claim goes to Medicare with the primary's payment per line (2430): a primary that answered at
  claim level only holds the claim, except an inpatient bill (Medicare Part A pays it by the stay).

The MSP type comes from the facts a billing office has (`msp_type_for`): the original claim's 2320 SBR05 for
the Medicare payer wins; the `[msp]` settings (members, msp_file) fill the gap; the order-of-benefits facts
(`rules.benefits.OrderDecision.msp_type`) come last. None known: the claim is held (`Refusal`), never sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from parsers.models import ZERO, Claim837, ClaimPayment, HierarchyLevel, OtherPayer, Segment
from parsers.syntax import format_decimal

from .outcome import NEEDS_REVIEW, Refusal

MEDICARE_FILING = frozenset({"MA", "MB"})  # SBR09 claim filing indicator: Medicare Part A, Part B

# MSP insurance type codes (837P SBR05), by name; `MSP_TYPES` says what each means and its UB-04 value code.
WORKING_AGED, ESRD, NO_FAULT, WORKERS_COMP, FEDERAL_AGENCY = "12", "13", "14", "15", "16"
BLACK_LUNG, VETERANS, DISABLED, LIABILITY = "41", "42", "43", "47"


@dataclass(frozen=True, slots=True)
class MspType:
    """One MSP insurance type: its SBR05 code, what it means, the value code that carries the primary's
    payment on an 837I (HI*BE) and the payer code a MAC shows for it."""

    code: str
    meaning: str
    value_code: str
    payer_code: str


MSP_TYPES: dict[str, MspType] = {
    t.code: t
    for t in (
        MspType(WORKING_AGED, "working aged beneficiary or spouse with an employer group health plan", "12", "A"),
        MspType(ESRD, "ESRD beneficiary in the 30-month coordination period with a group health plan", "13", "B"),
        MspType(NO_FAULT, "no-fault insurance, including auto, is primary", "14", "D"),
        MspType(WORKERS_COMP, "workers' compensation", "15", "E"),
        MspType(FEDERAL_AGENCY, "Public Health Service or other federal agency", "16", "F"),
        MspType(BLACK_LUNG, "Federal Black Lung", "41", "H"),
        MspType(VETERANS, "Veterans Administration", "42", "I"),
        MspType(DISABLED, "disabled beneficiary under 65 with a large group health plan", "43", "G"),
        MspType(LIABILITY, "other liability insurance is primary", "47", "L"),
    )
}
MSP_VALUE_CODES = frozenset(t.value_code for t in MSP_TYPES.values())
OTAF_VALUE_CODE = "44"  # amount the provider is obligated or agreed to accept from the primary as payment in full
PRIMARY_DENIED_OCCURRENCE = "24"  # date the primary payer denied (paid nothing): a conditional payment request
VALUE, OCCURRENCE = "BE", "BH"  # HI01-1 qualifiers: value information, occurrence information
# 837I 2300 HI segments in guide order (HI01-1 qualifiers); each kind repeats at most `HI_REPEAT[...]` times.
HI_ORDER = (
    ("ABK", "BK"),
    ("ABJ", "BJ"),
    ("APR", "PR"),
    ("ABN", "BN"),
    ("DR",),
    ("ABF", "BF"),
    ("BBR", "BR", "CAH"),
    ("BBQ", "BQ"),
    ("BI",),
    (OCCURRENCE,),
    (VALUE,),
    ("BG",),
    ("TC",),
)
HI_RANK = {qualifier: rank for rank, group in enumerate(HI_ORDER) for qualifier in group}
HI_REPEAT = {VALUE: 2, OCCURRENCE: 2}
HI_COMPOSITES = 12  # HI01-HI12
INPATIENT_BILL_TYPES = frozenset({"11", "18", "21", "28", "41"})  # CLM05-1: inpatient Part A stays


def describe(code: str) -> str:
    """'12 (working aged beneficiary ...)' for a biller's report."""
    kind = MSP_TYPES.get(code)
    return f"{code} ({kind.meaning})" if kind else code


def is_medicare(sbr: Segment | None) -> bool:
    """The payer of this SBR is Medicare fee-for-service (SBR09 MA or MB)."""
    return sbr is not None and len(sbr) > 9 and sbr[9] in MEDICARE_FILING


@dataclass(frozen=True, slots=True)
class MspFacts:
    """What the billing office knows: MSP type per Medicare member id (the MBI of the Medicare payer's
    NM1*IL), and whether it accepts the primary's allowed amount as payment in full (value code 44)."""

    members: Mapping[str, str] = field(default_factory=dict, hash=False)
    accept_primary_allowed: bool = False
    accept_primary_allowed_from: frozenset[str] = frozenset()  # ... or only from these primary payer ids

    def accepts_allowed(self, primary_payer_id: str) -> bool:
        """The provider is obligated (or agreed) to accept this primary's allowed amount as payment in full."""
        return self.accept_primary_allowed or primary_payer_id in self.accept_primary_allowed_from


def msp_type_for(
    claim_code: str, member_id: str, facts: MspFacts, derived: str | None = None
) -> tuple[str | None, list[str]]:
    """The MSP type and notes on where it came from: the original claim's 2320 SBR05 wins, then the [msp]
    settings for the Medicare member id, then the order-of-benefits facts (`derived`)."""
    on_file = facts.members.get(member_id) if member_id else None
    if claim_code:
        if claim_code not in MSP_TYPES:
            raise Refusal(
                NEEDS_REVIEW,
                f"the original claim's Medicare 2320 SBR05 {claim_code!r} is not an MSP insurance type "
                f"({', '.join(MSP_TYPES)}): correct it",
            )
        notes = [f"MSP type {describe(claim_code)} from the original claim's 2320 SBR05"]
        for other, where in ((on_file, "[msp] members"), (derived, "the order-of-benefits facts")):
            if other and other != claim_code:
                notes.append(f"the original claim's SBR05 {claim_code} wins over {where} ({other})")
        return claim_code, notes
    if on_file:
        return on_file, [f"MSP type {describe(on_file)} from the [msp] settings for this Medicare member"]
    if derived:
        return derived, [f"MSP type {describe(derived)} from the order-of-benefits facts"]
    return None, []


def unknown_type_reason(kind: str) -> str:
    """The needs-review reason, in a biller's words, when Medicare is secondary and no MSP type is known."""
    where = "2000B SBR05" if kind == "P" else "the HI*BE value code"
    return (
        f"Medicare is the secondary payer but the MSP type (why Medicare pays second) is unknown, so {where} "
        "cannot be written and Medicare would reject the claim (CARC 16, N245): set [msp] members for this "
        "claim's Medicare member id (or list it in the msp_file), or send the MSP type in the original claim's "
        "Medicare 2320 SBR05; nothing was sent"
    )


def check_line_level(claim: Claim837, payment: ClaimPayment) -> None:
    """Medicare wants the primary's payment per service line (2430 SVD) on a claim with more than one line.
    An inpatient bill is paid by the stay and keeps claim-level COB. No apportioning rule is applied."""
    if len(claim.lines) < 2 or payment.services:
        return
    bill_type = claim.clm[5].split(claim.delimiters.component)[0] if len(claim.clm) > 5 else ""
    if claim.kind == "I" and bill_type in INPATIENT_BILL_TYPES:
        return
    raise Refusal(
        NEEDS_REVIEW,
        f"Medicare is the secondary payer and needs the primary's payment for each of the {len(claim.lines)} "
        "service lines, but the primary answered at claim level only (no service lines in its 835): ask the "
        "primary for a line-level remittance, or bill Medicare on paper with the primary's EOB",
    )


def medicare_secondary(
    secondary: Claim837,
    original: Claim837,
    payment: ClaimPayment,
    destination: OtherPayer,
    facts: MspFacts,
    derived: str | None = None,
) -> tuple[Claim837, list[str]]:
    """The secondary claim with its MSP information when `destination` is Medicare (837P SBR05, 837I value
    codes), with notes; the claim unchanged when it is not. Raises Refusal when Medicare cannot be billed."""
    if not is_medicare(destination.sbr):
        return secondary, []
    check_line_level(original, payment)
    sbr = destination.sbr
    member = destination.subscriber
    member_id = member[9] if member is not None and len(member) > 9 else ""
    code, notes = msp_type_for(sbr[5] if len(sbr) > 5 else "", member_id, facts, derived)
    if code is None:
        raise Refusal(NEEDS_REVIEW, unknown_type_reason(secondary.kind))
    if secondary.kind == "I":
        segments, more = institutional_codes(secondary, payment, code, facts.accepts_allowed(original.payer_id))
        secondary = _with(secondary, segments=segments)
        return secondary, notes + more
    level = secondary.subscriber
    at = next(i for i, s in enumerate(level.segments) if s[0] == "SBR")
    new_sbr = list(level.segments[at]) + [""] * max(0, 10 - len(level.segments[at]))
    new_sbr[5] = code
    segments = level.segments[:at] + [new_sbr] + level.segments[at + 1 :]
    return _with(secondary, subscriber=HierarchyLevel(segments, level.position, level.parent)), notes


def _with(claim: Claim837, **changes) -> Claim837:
    """A copy of the claim with `changes`; a new 2000B is the parent of the claim's 2000C."""
    if "subscriber" in changes and claim.patient is not None:
        old = claim.patient
        changes["patient"] = HierarchyLevel(old.segments, old.position, changes["subscriber"])
    return replace(claim, **changes)


# ------------------------------------------------------------------------------------------ 837I
def value_codes(code: str, payment: ClaimPayment, charge: Decimal, accepts_allowed: bool) -> list[tuple[str, str]]:
    """(value code, amount) pairs: the MSP type's value code with the primary's payment, and 44 with the
    primary's allowed amount (charge - CO adjustments) when the provider accepts it as payment in full and it
    is below the charge and above the payment. A primary that paid nothing is a conditional request: no 44."""
    out = [(MSP_TYPES[code].value_code, format_decimal(payment.paid))]
    contractual = sum((a.amount for a in payment.all_adjustments() if a.group == "CO"), ZERO)
    allowed = charge - contractual
    if accepts_allowed and payment.paid > 0 and payment.paid < allowed < charge:
        out.append((OTAF_VALUE_CODE, format_decimal(allowed)))
    return out


def institutional_codes(
    claim: Claim837, payment: ClaimPayment, code: str, accepts_allowed: bool
) -> tuple[list[Segment], list[str]]:
    """The claim's 2300 segments with the MSP value codes (and occurrence code 24 when the primary paid
    nothing) merged into its HI*BE/HI*BH; notes on what was replaced."""
    component = claim.delimiters.component
    pairs = value_codes(code, payment, claim.charge, accepts_allowed)
    values = [component.join([VALUE, vc, "", "", amount]) for vc, amount in pairs]
    replaced = MSP_VALUE_CODES | {OTAF_VALUE_CODE}
    segments, notes = merge_hi(claim.segments, VALUE, values, replaced, component)
    notes.insert(0, "value code(s) " + ", ".join(f"{vc} = {amount}" for vc, amount in pairs) + " in HI*BE")
    if payment.paid == 0:
        date = payment.remittance.adjudication_date if payment.remittance else ""
        occurrence = component.join([OCCURRENCE, PRIMARY_DENIED_OCCURRENCE, "D8", date])
        segments, more = merge_hi(segments, OCCURRENCE, [occurrence], {PRIMARY_DENIED_OCCURRENCE}, component)
        notes += [f"occurrence code {PRIMARY_DENIED_OCCURRENCE} (primary paid nothing) dated {date}"] + more
    return segments, notes


def _hi_qualifier(seg: Segment, component: str) -> str:
    return seg[1].split(component)[0] if seg[0] == "HI" and len(seg) > 1 else ""


def merge_hi(
    segments: list[Segment], qualifier: str, composites: list[str], replaces: set[str], component: str
) -> tuple[list[Segment], list[str]]:
    """`composites` added to the claim's HI segments of `qualifier` (BE, BH): codes in `replaces` already
    there are replaced; the existing segments fill up to 12 composites first, then new ones follow them in
    guide order. Never mutates a segment. Raises Refusal when the guide's repeats are full."""
    notes: list[str] = []
    at = [i for i, s in enumerate(segments) if _hi_qualifier(s, component) == qualifier]
    kept: list[list[str]] = []
    for i in at:
        row = [c for c in segments[i][1:] if c]
        gone = [c for c in row if c.split(component)[1:2] and c.split(component)[1] in replaces]
        if gone:
            notes.append(
                f"HI*{qualifier} code(s) {', '.join(c.split(component)[1] for c in gone)} of the original replaced"
            )
        kept.append([c for c in row if c not in gone])
    pending = list(composites)
    for row in kept:
        room = HI_COMPOSITES - len(row)
        row += pending[:room]
        pending = pending[room:]
    while pending:
        kept.append(pending[:HI_COMPOSITES])
        pending = pending[HI_COMPOSITES:]
    kept = [row for row in kept if row]
    if len(kept) > HI_REPEAT[qualifier]:
        raise Refusal(
            NEEDS_REVIEW,
            f"no room for the MSP codes: the claim already fills {HI_REPEAT[qualifier]} HI*{qualifier} segments "
            f"of {HI_COMPOSITES} codes each",
        )
    new = [["HI", *row] for row in kept]
    if at:
        out = [s for i, s in enumerate(segments) if i not in at]
        where = at[0]
    else:
        out = list(segments)
        where = _hi_position(out, qualifier, component)
    return out[:where] + new + out[where:], notes


def _hi_position(segments: list[Segment], qualifier: str, component: str) -> int:
    """Where a new HI of `qualifier` goes: after the HI segments the guide puts before it, else before the
    first one it puts after it, else before the 2300 HCP / the first 2310 loop."""
    rank = HI_RANK[qualifier]
    before = [i for i, s in enumerate(segments) if HI_RANK.get(_hi_qualifier(s, component), 99) <= rank]
    if before:
        return before[-1] + 1
    after = [i for i, s in enumerate(segments) if _hi_qualifier(s, component) in HI_RANK]
    if after:
        return after[0]
    return next((i for i, s in enumerate(segments) if i and s[0] in ("HCP", "NM1")), len(segments))


# ------------------------------------------------------------------------------------------ checks
def refuse_medicare_tertiary(destination: OtherPayer) -> None:
    """Medicare takes no electronic claim with two payers primary to it (MACs: file it on paper with both
    EOBs)."""
    if is_medicare(destination.sbr):
        raise Refusal(
            NEEDS_REVIEW,
            "Medicare would be a tertiary payer (two payers primary to Medicare): Medicare contractors take such "
            "claims on paper (UB-04 / CMS-1500) with both payers' EOBs, not electronically",
        )


def missing_msp(claim: Claim837) -> str | None:
    """What a claim to Medicare as a secondary (or later) payer lacks of its MSP information, or None."""
    sbr = claim.subscriber.sbr
    if not is_medicare(sbr) or sbr[1] in ("P", ""):
        return None
    if claim.kind == "I":
        component = claim.delimiters.component
        codes = {
            c.split(component)[1]
            for s in claim.segments
            if _hi_qualifier(s, component) == VALUE
            for c in s[1:]
            if len(c.split(component)) > 1
        }
        if codes & MSP_VALUE_CODES:
            return None
        wanted = ", ".join(sorted(MSP_VALUE_CODES))
        return f"Medicare is not the primary payer but no MSP value code (HI*BE {wanted}) is given"
    if len(sbr) > 5 and sbr[5] in MSP_TYPES:
        return None
    return "Medicare is not the primary payer but 2000B SBR05 (the MSP insurance type) is missing or not an MSP type"
