"""Was the claim billed in the order of benefits? The billing office's order-of-benefits facts (one
`PatientOnFile` per patient: the coverages with the payer and member ids they appear under on claims, and the
patient's facts) decide the order with `rules.benefits.decide_order`; a claim whose payers (2000B SBR01 and
every 2320 SBR01, in payer order) disagree with it is held, naming the rule, before anything is sent onward:
the CARC 22 case ("this care may be covered by another payer per coordination of benefits", reference §2.3,
§4).

The facts are matched to a claim by a payer id and member id pair that both name; a claim no facts match is
not checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from parsers.models import Claim837, Segment, find

from .benefits import Coverage, OrderDecision, PatientFacts, check_billed_order, decide_order
from .outcome import NEEDS_REVIEW, Refusal
from .payer_order import SEQUENCE


@dataclass(frozen=True, slots=True)
class PatientOnFile:
    """One patient of the order-of-benefits facts: a label for reports (no name, no member id), the
    coverages and the facts the rules read."""

    label: str
    coverages: tuple[Coverage, ...]
    facts: PatientFacts = PatientFacts()


def _id(seg: Segment | None) -> str:
    return seg[9] if seg is not None and len(seg) > 9 else ""


def billed_payers(claim: Claim837) -> list[tuple[str, str, str]]:
    """(SBR01, payer id, member id) of every payer of the claim, in payer order: the 2000B payer the claim
    went to, and each 2320."""
    sbr = claim.subscriber.sbr or []
    out = [(sbr[1] if len(sbr) > 1 else "P", claim.payer_id, _id(claim.subscriber.find("NM1", "IL")))]
    out += [(p.responsibility, p.payer_id, _id(p.subscriber)) for p in claim.other_payers]
    return sorted(out, key=lambda row: SEQUENCE.index(row[0]) if row[0] in SEQUENCE else len(SEQUENCE))


def _same(coverage: Coverage, payer_id: str, member_id: str) -> bool:
    if not coverage.payer_id or coverage.payer_id != payer_id:
        return False
    return not (coverage.member_id and member_id) or coverage.member_id == member_id


class PatientsOnFile:
    """The order-of-benefits facts on file, indexed by the payer id and member id pairs their coverages name
    (a claim finds its patient in one look, whatever the number of patients)."""

    __slots__ = ("patients", "_by_member")

    def __init__(self, patients: Iterable[PatientOnFile] = ()):
        self.patients = tuple(patients)
        self._by_member: dict[tuple[str, str], list[PatientOnFile]] = {}
        for patient in self.patients:
            for pair in {(c.payer_id, c.member_id) for c in patient.coverages if c.payer_id and c.member_id}:
                self._by_member.setdefault(pair, []).append(patient)

    def __bool__(self) -> bool:
        return bool(self.patients)

    def for_claim(self, claim: Claim837) -> list[PatientOnFile]:
        """The patients one of whose coverages names a payer id and member id pair of the claim."""
        found: dict[int, PatientOnFile] = {}
        for _, payer, member in billed_payers(claim):
            for patient in self._by_member.get((payer, member), ()):
                found[id(patient)] = patient
        return list(found.values())


def service_date(claim: Claim837) -> date | None:
    """The claim's first date of service: the earliest line DTP*472, else the 2300 DTP*434/472 start."""
    dates = sorted(line.service_date for line in claim.lines if line.service_date)
    if not dates:
        dtp = find(claim.segments, "DTP", "434") or find(claim.segments, "DTP", "472")
        dates = [dtp[3][:8]] if dtp is not None and len(dtp) > 3 else []
    try:
        return date(int(dates[0][:4]), int(dates[0][4:6]), int(dates[0][6:8])) if dates else None
    except ValueError:
        return None


def decide_for(claim: Claim837, patient: PatientOnFile) -> OrderDecision:
    """The order of benefits for this patient on this claim's date of service (unless the facts give one)."""
    facts = patient.facts
    if facts.service_date is None:
        facts = replace(facts, service_date=service_date(claim))
    try:
        return decide_order(patient.coverages, facts)
    except ValueError as exc:
        raise Refusal(NEEDS_REVIEW, f"the order-of-benefits facts for {patient.label} cannot decide: {exc}") from None


def _plans(claim: Claim837, patient: PatientOnFile) -> list[str]:
    """The plan of each billed payer, in payer order (an unknown payer by its payer id)."""
    out = []
    for _, payer, member in billed_payers(claim):
        plan = next((c.plan_id for c in patient.coverages if _same(c, payer, member)), None)
        out.append(plan or f"payer {payer}")
    return out


def _rules_for(decision: OrderDecision, plans: set[str]) -> list[str]:
    """The steps of the decision that name one of `plans` (the rules that placed them)."""
    return [step for step in decision.steps if any(plan in step for plan in plans)]


def check_order(claim: Claim837, patients: PatientsOnFile) -> OrderDecision | None:
    """The order-of-benefits decision for the claim's patient (None when no facts match the claim). Raises
    Refusal when the claim was billed in another order: the payer that answered was not the primary, or the
    next payer is not the one the order names."""
    matched = patients.for_claim(claim)
    if not matched:
        return None
    decisions = {p.label: decide_for(claim, p) for p in matched}
    orders = {d.order for d in decisions.values()}
    if len(orders) > 1:
        raise Refusal(
            NEEDS_REVIEW,
            "the order-of-benefits facts hold several patients for this claim's member ids ("
            + ", ".join(sorted(decisions))
            + ") and they decide different orders: keep one",
        )
    label, decision = next(iter(decisions.items()))
    billed = _plans(claim, next(p for p in matched if p.label == label))
    findings = check_billed_order(decision, billed)
    if findings:
        wanted = [p for p in decision.order if p in billed] or list(decision.order)
        rules = _rules_for(decision, set(billed) | set(wanted[:1]))
        raise Refusal(
            NEEDS_REVIEW,
            f"billed out of the order of benefits for {label} (the CARC 22 case): "
            + "; ".join(findings)
            + f"; the order is {' -> '.join(decision.order)}"
            + (f" ({'; '.join(rules)})" if rules else "")
            + ": rebill the payers in that order",
        )
    return decision
