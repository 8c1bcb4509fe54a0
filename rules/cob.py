"""Deriving the secondary claim: the original 837 with its COB parts rewritten (reference §3.2–§3.8).

The secondary claim is the provider's original claim, segment for segment, except:
* 2000B/2010BA/2010BB now describe the destination (secondary) payer's policy, taken from the original's
  2320/2330A/2330B for that payer; a 2000C appears when the patient is not that policy's subscriber;
* a new 2320/2330A/2330B describes the primary (taken from the original's 2000B/2010BA/2010BB) with the
  primary's adjudication: claim-level CAS, AMT*D, AMT*EAF, OI, MOA, DTP*573, REF*F8;
* every line the primary adjudicated gets a 2430 (SVD, CAS, DTP*573, AMT*EAF);
* CLM05-3 becomes 1 (an original claim to this payer) and payer-specific 2300 references move with their payer.

Segments are shared with the original claim, never copied: no step mutates a segment in place (`_set`
returns a new one), so sharing is safe and keeps the derivation cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

from parsers.models import (
    ZERO,
    Adjustment,
    Claim837,
    ClaimPayment,
    HierarchyLevel,
    LineAdjudication,
    OtherPayer,
    Segment,
    ServiceLine,
    ServicePayment,
    find,
)
from parsers.syntax import format_decimal

from .cas import group_cas
from .msp import refuse_medicare_tertiary
from .outcome import NEEDS_REVIEW, Refusal
from .policy import Policy
from .provider_ids import PAYER_ASSIGNED, assign_provider_numbers

SVD03_QUALIFIERS = {"P": {"HC", "ER", "IV", "WK"}, "I": {"HC", "ER", "IV", "WK", "HP"}}
PAYER_REFS = {"2U", "EI", "FY", "NF"}  # other-payer secondary ids: allowed in 2010BB and 2330B alike
AUTH_REFS = ("9F", "G1")  # referral and prior authorisation: they belong to the payer that issued them
REF_BLOCK_START = {"REF", "K3", "NTE", "CR1", "CR2", "CRC", "HI", "HCP", "CN1", "NM1", "PWK"}


def _element(seg: Segment | None, n: int) -> str:
    return seg[n] if seg is not None and len(seg) > n else ""


def _set(seg: Segment, n: int, value: str) -> Segment:
    out = list(seg)
    out += [""] * (n + 1 - len(out))
    out[n] = value
    return out


def _name_loops(segments: list[Segment]) -> tuple[list[Segment], dict[str, list[Segment]]]:
    """Split a loop's segments into those before the first NM1 and the NM1 sub-loops by entity code."""
    head: list[Segment] = []
    loops: dict[str, list[Segment]] = {}
    current: list[Segment] | None = None
    for seg in segments:
        if seg[0] == "NM1":
            current = loops.setdefault(seg[1], [])
        (head if current is None else current).append(seg)
    return head, loops


def _only(segments: list[Segment], tags: set[str]) -> list[Segment]:
    return [s for s in segments if s[0] in tags]


def eaf_level(payment: ClaimPayment) -> str:
    """Where AMT*EAF goes (rule L4): 'line' when all patient responsibility is on lines, else 'claim'."""
    if not payment.services:
        return "claim"
    if any(a.group == "PR" for a in payment.adjustments):
        return "claim"  # mixed claim- and line-level data: once, in 2320 (TR3 example; example C2)
    return "line"


def _pr_total(adjustments: list[Adjustment]) -> str:
    return format_decimal(sum((a.amount for a in adjustments if a.group == "PR"), ZERO))


@dataclass(frozen=True, slots=True)
class _PolicyLoops:
    """One payer's policy as the original claim gives it: the SBR and the segments before the first NM1, the
    subscriber's name loop (2010BA / 2330A) and the payer's (2010BB / 2330B)."""

    head: list[Segment]
    sbr: Segment
    subscriber: list[Segment]
    payer: list[Segment]

    @property
    def patient_is_subscriber(self) -> bool:
        return _element(self.sbr, 2) == "18"


def build_secondary(
    claim: Claim837,
    payment: ClaimPayment,
    line_matches: dict[int, list[ServicePayment]],
    destination: OtherPayer,
    policy: Policy,
) -> tuple[Claim837, list[str]]:
    """The secondary claim for `destination`, and notes on what was rewritten. Raises Refusal."""
    notes: list[str] = []
    primary = _primary_policy(claim)
    relationship_to_primary, patient_loop = _patient_of_primary(claim, primary)
    patient_details = _only(patient_loop, {"N3", "N4", "DMG"})
    dest = _destination_policy(destination)

    # 2000B/2010BA/2010BB describe the destination policy; a 2000C when the patient is not its subscriber.
    new_subscriber = _destination_subscriber(claim, primary, dest, patient_details)
    new_patient = None
    if not dest.patient_is_subscriber:
        patient_name = patient_loop[0] if patient_loop else None
        new_patient = _destination_patient(claim, dest, patient_name, patient_details, new_subscriber)

    segments, primary_auth = _claim_for_destination(claim, dest, notes)

    # 2320 + 2330A + 2330B: the primary and what it did. AMT order: 837P D, A8, EAF; 837I D, EAF, A8. A8 (a
    # bypassed payer) is never written here, so D then EAF serves both guides.
    adjudication_date = _adjudication_date(payment, "primary")
    sbr = _set(primary.sbr, 2, relationship_to_primary)
    other = _answer(sbr, payment, claim, find(destination.segments, "OI"))
    other += _primary_subscriber(primary, payment, dest.patient_is_subscriber, notes)
    payer_loop, primary_payer_id = _primary_payer(primary, payment, adjudication_date, primary_auth, policy, notes)
    other += payer_loop
    other_payers = [OtherPayer(other, destination.position)]
    other_payers += [p for p in claim.other_payers if p is not destination]

    # 2400 + 2430: every line, with the primary's adjudication of it.
    earned = _line_loops(claim, payment, line_matches, primary_payer_id, adjudication_date, "primary")
    lines = [
        ServiceLine(line.segments, line.position, list(line.adjudications) + earned[index], line.trailing)
        for index, line in enumerate(claim.lines)
    ]

    secondary = Claim837(
        segments,
        claim.transaction,
        claim.billing_provider,
        new_subscriber,
        new_patient,
        claim.position,
        other_payers,
        lines,
    )
    return assign_provider_numbers(claim, secondary, destination, notes), notes


def _primary_policy(claim: Claim837) -> _PolicyLoops:
    """The primary's side, from the original 2000B/2010BA/2010BB."""
    head, names = _name_loops(claim.subscriber.segments)
    sbr = find(head, "SBR")
    subscriber = names.get("IL", [])
    payer = names.get("PR", [])
    if not sbr or not subscriber or not payer:
        raise Refusal(NEEDS_REVIEW, "original claim's 2000B lacks SBR, 2010BA NM1*IL or 2010BB NM1*PR")
    return _PolicyLoops(head, sbr, subscriber, payer)


def _patient_of_primary(claim: Claim837, primary: _PolicyLoops) -> tuple[str, list[Segment]]:
    """The patient's relationship to the primary's subscriber, and the patient's name loop (the 2010BA when
    the patient is that subscriber, else the 2010CA)."""
    if primary.patient_is_subscriber:
        return "18", primary.subscriber
    if claim.patient is None:
        raise Refusal(NEEDS_REVIEW, "original 2000B says the patient is not the subscriber but has no 2000C")
    relationship = _element(find(claim.patient.segments, "PAT"), 1)
    return relationship, _name_loops(claim.patient.segments)[1].get("QC", [])


def _destination_policy(destination: OtherPayer) -> _PolicyLoops:
    """The destination's side, from the original 2320/2330A/2330B."""
    head, names = _name_loops(destination.segments)
    subscriber = names.get("IL", [])
    payer = names.get("PR", [])
    if not subscriber or not payer:
        raise Refusal(NEEDS_REVIEW, "the secondary payer's 2320 lacks 2330A NM1*IL or 2330B NM1*PR")
    return _PolicyLoops(head, destination.sbr, subscriber, payer)


def _destination_subscriber(
    claim: Claim837, primary: _PolicyLoops, dest: _PolicyLoops, patient_details: list[Segment]
) -> HierarchyLevel:
    """2000B + 2010BA + 2010BB: the destination policy."""
    new_sbr = _set(dest.sbr, 2, "18" if dest.patient_is_subscriber else "")
    if claim.kind == "I" and len(new_sbr) > 5:
        new_sbr[5] = ""  # 837I: SBR05 not used (§3.9)
    segments: list[Segment] = [["HL", "", "", "22", ""], new_sbr]
    if claim.kind == "P" and dest.patient_is_subscriber and primary.patient_is_subscriber:
        segments += _only(primary.head, {"PAT"})  # 837P 2000B PAT: the patient's own data
    segments.append(dest.subscriber[0])
    given_address = _only(dest.subscriber, {"N3", "N4"})
    if dest.patient_is_subscriber:
        patient_address = [s for s in patient_details if s[0] in ("N3", "N4")]
        segments += given_address or patient_address
        segments += [s for s in patient_details if s[0] == "DMG"]
    else:
        segments += given_address
    segments += _only(dest.subscriber, {"REF"})
    segments.append(dest.payer[0])
    segments += _only(dest.payer, {"N3", "N4"})
    segments += [s for s in dest.payer if s[0] == "REF" and _element(s, 1) in PAYER_REFS]
    return HierarchyLevel(segments, claim.subscriber.position, claim.billing_provider)


def _destination_patient(
    claim: Claim837,
    dest: _PolicyLoops,
    patient_name: Segment | None,
    patient_details: list[Segment],
    subscriber: HierarchyLevel,
) -> HierarchyLevel:
    """2000C + 2010CA: the patient, who is not the destination policy's subscriber."""
    if patient_name is None:
        raise Refusal(NEEDS_REVIEW, "patient's name loop not found in the original claim")
    old_pat = find(claim.patient.segments, "PAT") if claim.patient else None
    pat = _set(old_pat or ["PAT"], 1, _element(dest.sbr, 2))
    qc = ["NM1", "QC"] + [_element(patient_name, n) for n in range(2, 8)]
    return HierarchyLevel(
        [["HL", "", "", "23", "0"], pat, qc] + patient_details,
        claim.patient.position if claim.patient else claim.subscriber.position,
        subscriber,
    )


def _claim_for_destination(
    claim: Claim837, dest: _PolicyLoops, notes: list[str]
) -> tuple[list[Segment], list[Segment]]:
    """2300: the claim itself, with CLM05-3 = 1 and payer-specific references moved to their payer. Returns
    the segments and the primary's referral/authorisation REFs (they move to its 2330B)."""
    component = claim.delimiters.component
    segments = list(claim.segments)
    clm = segments[0]
    facility = _element(clm, 5).split(component)
    if len(facility) > 2 and facility[2] != "1":
        notes.append(f"claim frequency {facility[2]} -> 1: an original claim to the secondary payer")
        facility[2] = "1"
        segments[0] = _set(clm, 5, component.join(facility))
    if find(segments, "REF", "F8"):
        notes.append("2300 REF*F8 (the primary's claim number for a replacement) not sent to the secondary")
    primary_auth = [s for s in segments if s[0] == "REF" and _element(s, 1) in AUTH_REFS]
    segments = [s for s in segments if not (s[0] == "REF" and _element(s, 1) in (*AUTH_REFS, "F8"))]
    dest_auth = [s for s in dest.payer if s[0] == "REF" and _element(s, 1) in AUTH_REFS]
    if dest_auth:
        at = next((i for i, s in enumerate(segments) if i and s[0] in REF_BLOCK_START), len(segments))
        segments[at:at] = dest_auth
    return segments, primary_auth


def _primary_subscriber(
    primary: _PolicyLoops, payment: ClaimPayment, patient_is_dest_subscriber: bool, notes: list[str]
) -> list[Segment]:
    """2330A: the primary's subscriber, with the member id the primary corrected (NM1*74) if any."""
    subscriber_nm1 = primary.subscriber[0]
    corrected = payment.names.get("74")
    if corrected and _element(corrected, 8) == "C" and _element(corrected, 9):
        subscriber_nm1 = _set(_set(subscriber_nm1, 8, _element(subscriber_nm1, 8) or "MI"), 9, corrected[9])
        notes.append("2330A member id taken from the primary's corrected insured id (NM1*74)")
    segments = [subscriber_nm1]
    if not (primary.patient_is_subscriber and patient_is_dest_subscriber):
        segments += _only(primary.subscriber, {"N3", "N4"})
    segments += [s for s in primary.subscriber if s[0] == "REF" and _element(s, 1) == "SY"]
    return segments


def _primary_payer(
    primary: _PolicyLoops,
    payment: ClaimPayment,
    adjudication_date: str,
    primary_auth: list[Segment],
    policy: Policy,
    notes: list[str],
) -> tuple[list[Segment], str]:
    """2330B: the primary payer, with its claim-level DTP*573, its ids and the claim's referral/authorisation
    REFs it issued; and its id (NM109), which the 2430 SVD01 repeat."""
    payer_nm1 = primary.payer[0]
    primary_payer_id = _element(payer_nm1, 9)
    if not primary_payer_id:
        raise Refusal(NEEDS_REVIEW, "the primary payer's 2010BB NM1*PR has no id (NM109) to tie 2430 SVD01 to")
    segments = [payer_nm1]
    segments += _only(primary.payer, {"N3", "N4"})
    if not payment.services:
        segments.append(["DTP", "573", "D8", adjudication_date])
    segments += [s for s in primary.payer if s[0] == "REF" and _element(s, 1) in PAYER_REFS]
    segments += sorted(primary_auth, key=lambda s: AUTH_REFS.index(s[1]))
    if policy.other_payer_claim_number and payment.payer_claim_number:
        segments.append(["REF", "F8", payment.payer_claim_number])
    dropped = [s[1] for s in primary.payer if s[0] == "REF" and _element(s, 1) not in PAYER_REFS | PAYER_ASSIGNED]
    if dropped:
        notes.append(f"2010BB REF {', '.join(dropped)} of the primary has no place in 2330B and was not carried")
    return segments, primary_payer_id


def _adjudication_date(payment: ClaimPayment, who: str) -> str:
    """DTP*573: the payer's payment date (BPR16), else the remittance's production date."""
    date = payment.remittance.adjudication_date if payment.remittance else ""
    if not date:
        raise Refusal(
            NEEDS_REVIEW,
            f"the {who} payer's remittance gives no payment date (BPR16) or production date (DTM*405) for DTP*573",
        )
    return date


def _answer(sbr: Segment, payment: ClaimPayment, claim: Claim837, old_oi: Segment | None) -> list[Segment]:
    """The head of a 2320 for a payer that answered: SBR, its claim-level CAS, AMT*D (always, even 0),
    AMT*EAF when it goes at claim level (L4), OI, and MIA (837I) / MOA passed through from its 835.
    AMT*A8 (a bypassed payer) is never written here, so D then EAF serves both guides' orders."""
    kind, clm = claim.kind, claim.clm
    if kind == "I" and len(sbr) > 5:
        sbr = _set(sbr, 5, "")  # 837I: 2320 SBR05 not used (§3.9)
    segments = [sbr, *group_cas(payment.adjustments), ["AMT", "D", format_decimal(payment.paid)]]
    if eaf_level(payment) == "claim":
        segments.append(["AMT", "EAF", _pr_total(payment.all_adjustments())])
    segments.append(["OI", "", "", _element(clm, 8), _element(old_oi, 4) if kind == "P" else "", "", _element(clm, 9)])
    if kind == "I" and payment.inpatient:
        segments.append(_set(["MIA"] + list(payment.inpatient[1:]), 2, ""))  # 837I: MIA02 not used
    if payment.outpatient:
        segments.append(["MOA"] + list(payment.outpatient[1:]))
    return segments


def _line_loops(
    claim: Claim837,
    payment: ClaimPayment,
    line_matches: dict[int, list[ServicePayment]],
    payer_id: str,
    date: str,
    who: str,
) -> dict[int, list[LineAdjudication]]:
    """The 2430 loops a payer earns on each line (index -> loops); none when it adjudicated no lines."""
    level = eaf_level(payment)
    kind, component = claim.kind, claim.delimiters.component
    loops: dict[int, list[LineAdjudication]] = {}
    for index, line in enumerate(claim.lines):
        services = line_matches.get(index, [])
        if payment.services and not services:
            raise Refusal(
                NEEDS_REVIEW,
                f"line {line.number} was not adjudicated by the {who} payer: it cannot balance at line level",
            )
        loops[index] = [
            LineAdjudication(_line_adjudication(svc, payer_id, kind, component, date, level, line), svc.position)
            for svc in services
        ]
    return loops


def _line_adjudication(
    svc: ServicePayment,
    payer_id: str,
    kind: str,
    component: str,
    date: str,
    level: str,
    line: ServiceLine | None = None,
) -> list[Segment]:
    procedure = svc.procedure
    if procedure.qualifier not in SVD03_QUALIFIERS.get(kind, SVD03_QUALIFIERS["P"]) and kind == "P":
        raise Refusal(
            NEEDS_REVIEW,
            f"adjudicated procedure qualifier {procedure.qualifier!r} cannot be reported in SVD03 of an 837P",
        )
    revenue = svc.revenue_code or (procedure.code if procedure.qualifier == "NU" else "")
    svd03 = component.join(procedure.components()) if procedure.qualifier != "NU" else ""
    if kind == "I":
        # 837I (§3.9): SVD03 only when a procedure was adjudicated (an NU SVC01 is a revenue code only);
        # SVD04 revenue code required: SVC04, else SVC01 when NU, else the billed SV201.
        if procedure.qualifier not in SVD03_QUALIFIERS["I"]:
            svd03 = ""
        if not revenue and line is not None and line.service[:1] == ["SV2"]:
            revenue = _element(line.service, 1)
        if not revenue:
            raise Refusal(
                NEEDS_REVIEW,
                f"no revenue code for SVD04 of line {line.number if line else '?'} (835 SVC04, NU SVC01 or 837 SV201)",
            )
    svd = [
        "SVD",
        payer_id,
        format_decimal(svc.paid),
        svd03,
        revenue if kind == "I" else "",
        format_decimal(svc.units_paid),
    ]
    segments = [svd]
    segments += group_cas(svc.adjustments)
    segments.append(["DTP", "573", "D8", date])
    if level == "line":
        segments.append(["AMT", "EAF", _pr_total(svc.adjustments)])
    return segments


# ------------------------------------------------------------------------------------------ tertiary (§3.8)
def answered_other_payer(
    claim: Claim837,
    prior: OtherPayer,
    payment: ClaimPayment,
    line_matches: dict[int, list[ServicePayment]],
    policy: Policy,
    notes: list[str],
) -> tuple[OtherPayer, dict[int, list[LineAdjudication]]]:
    """One prior payer that is already a 2320 of the original (the secondary, for a tertiary claim) with its
    answer filled in: 2320 CAS/AMT*D/AMT*EAF/OI/MOA, 2330A and 2330B as the original gave them (REF*F8 = its
    CLP07, DTP*573 when it adjudicated no lines), and the 2430 loops it earns on each line (index -> loops)."""
    head, names = _name_loops(prior.segments)
    subscriber, payer = names.get("IL", []), names.get("PR", [])
    if not subscriber or not payer:
        raise Refusal(NEEDS_REVIEW, f"the {prior.responsibility} payer's 2320 lacks 2330A NM1*IL or 2330B NM1*PR")
    payer_id = _element(payer[0], 9)
    if not payer_id:
        raise Refusal(NEEDS_REVIEW, f"the {prior.responsibility} payer's 2330B NM1*PR has no id (NM109)")
    date = _adjudication_date(payment, prior.responsibility)
    segments = _answer(prior.sbr, payment, claim, find(head, "OI"))
    segments += subscriber
    segments += [s for s in payer if s[0] != "REF" and not (s[0] == "DTP" and _element(s, 1) == "573")]
    if not payment.services:
        segments.append(["DTP", "573", "D8", date])
    segments += [s for s in payer if s[0] == "REF" and _element(s, 1) != "F8"]
    if policy.other_payer_claim_number and payment.payer_claim_number:
        segments.append(["REF", "F8", payment.payer_claim_number])
    for entity, loop in names.items():
        if entity not in ("IL", "PR"):
            segments += loop  # 2330C-I: this payer's own provider ids, still this payer's
    lines = _line_loops(claim, payment, line_matches, payer_id, date, prior.responsibility)
    notes.append(
        f"2320 {prior.responsibility} ({payer_id}) filled in from its own 835 (CLP07 {payment.payer_claim_number})"
    )
    return OtherPayer(segments, prior.position), lines


def build_tertiary(
    claim: Claim837,
    primary: ClaimPayment,
    primary_matches: dict[int, list[ServicePayment]],
    secondary: ClaimPayment,
    secondary_matches: dict[int, list[ServicePayment]],
    destination: OtherPayer,
    policy: Policy,
) -> tuple[Claim837, list[str]]:
    """The tertiary claim (§3.8): 2000B/2010BA/2010BB for `destination` (the original's 2320 SBR01=T), and a
    2320/2330/2430 set for BOTH prior payers: the primary (`build_secondary` does that part, from the
    original's 2000B) and the secondary (`answered_other_payer`, from the original's 2320 SBR01=S), in
    that order. Raises Refusal; Medicare as the tertiary payer too (`rules.msp.refuse_medicare_tertiary`)."""
    refuse_medicare_tertiary(destination)
    out, notes = build_secondary(claim, primary, primary_matches, destination, policy)
    prior = next((p for p in claim.other_payers if p.responsibility == "S"), None)
    if prior is None:
        raise Refusal(NEEDS_REVIEW, "the original claim lists no 2320 SBR01=S for the secondary payer")
    filled, line_adjudications = answered_other_payer(claim, prior, secondary, secondary_matches, policy, notes)
    out.other_payers = [filled if p is prior else p for p in out.other_payers]
    for index, line in enumerate(out.lines):
        extra = line_adjudications.get(index, [])
        if extra:
            out.lines[index] = ServiceLine(
                line.segments, line.position, list(line.adjudications) + extra, line.trailing
            )
    return out, notes


EARLY_2300_REFS = {"4N", "F5", "EW", "9F", "G1"}  # the 2300 REFs the guides place before REF*F8


def as_replacement(claim: Claim837, destination_claim_number: str) -> Claim837:
    """The claim as a replacement of one the destination payer already holds (§1.8): CLM05-3 = 7 and 2300
    REF*F8 = the destination payer's own claim number (its CLP07), in the guides' REF order."""
    if not destination_claim_number:
        raise Refusal(
            NEEDS_REVIEW,
            "a replacement (frequency 7) needs the destination payer's claim number "
            "(REF*F8 = its CLP07), and no answer from it is on file",
        )
    component = claim.delimiters.component
    segments = [s for s in claim.segments if not (s[0] == "REF" and _element(s, 1) == "F8")]
    facility = _element(segments[0], 5).split(component)
    facility += [""] * (3 - len(facility))
    facility[2] = "7"
    segments[0] = _set(segments[0], 5, component.join(facility))
    at = next(
        (
            i
            for i, s in enumerate(segments)
            if i
            and s[0] not in ("DTP", "PWK", "CN1", "AMT")
            and not (s[0] == "REF" and _element(s, 1) in EARLY_2300_REFS)
        ),
        len(segments),
    )
    segments.insert(at, ["REF", "F8", destination_claim_number])
    return Claim837(
        segments,
        claim.transaction,
        claim.billing_provider,
        claim.subscriber,
        claim.patient,
        claim.position,
        claim.other_payers,
        claim.lines,
        claim.levels,
    )
