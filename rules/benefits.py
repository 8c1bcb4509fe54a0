"""Order of benefits (reference §4.1 NAIC rule chain, §4.2 Medicare Secondary Payer) and the COB payment
methods of §4.3 (what a secondary should pay, to catch an underpaying secondary).

Pure functions over dataclasses of coverage facts; no I/O. `decide_order(coverages, facts)` returns the
order with the rule that decided each step; `check_billed_order` flags an original claim billed in the wrong
order; `estimate(method, inputs)` gives the secondary's expected payment, the patient's share and the
provider's write-off.

Scope notes: TRICARE (other than For Life) is placed after employer/individual coverage and Medicare
(TRICARE pays after other health insurance; not a §4.2 row); VA does not coordinate with Medicare and is left
out of the order with a note; an individual (non-group) plan is never primary to Medicare under MSP.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .deadlines import add_months
from .msp import BLACK_LUNG as BLACK_LUNG_TYPE
from .msp import DISABLED, ESRD, WORKING_AGED
from .msp import LIABILITY as LIABILITY_TYPE
from .msp import NO_FAULT as NO_FAULT_TYPE
from .msp import WORKERS_COMP as WORKERS_COMP_TYPE

ZERO = Decimal(0)
CENT = Decimal("0.01")

# coverage kinds
GROUP, INDIVIDUAL, MEDICARE, MEDICAID = "group", "individual", "medicare", "medicaid"
TRICARE, TRICARE_FOR_LIFE, VA = "tricare", "tricare-for-life", "va"
WORKERS_COMP, NO_FAULT, LIABILITY, BLACK_LUNG = "wc", "no-fault", "liability", "black-lung"
ACCIDENT_KINDS = {
    WORKERS_COMP: ("work", WORKERS_COMP_TYPE),
    NO_FAULT: ("no-fault", NO_FAULT_TYPE),
    LIABILITY: ("liability", LIABILITY_TYPE),
    BLACK_LUNG: ("black-lung", BLACK_LUNG_TYPE),
}  # kind -> (related_to tag, MSP type code for SBR05: rules.msp)
# roles and statuses
SUBSCRIBER, DEPENDENT = "subscriber", "dependent"
ACTIVE, INACTIVE, COBRA = "active", "inactive", "cobra"  # inactive = retired or laid off


@dataclass(frozen=True, slots=True)
class Coverage:
    plan_id: str
    kind: str = GROUP
    role: str = SUBSCRIBER  # how the patient is covered: as employee/member/retiree (subscriber) or dependent
    status: str = ACTIVE  # the policyholder's: active employment, inactive (retired/laid off), COBRA
    holder: str = ""  # policyholder person id (for children: the parent, step-parent or stand-in)
    holder_birthday: date | None = None  # birthday rule uses month and day only
    holder_sex: str = ""  # M / F, for the legacy gender rule only
    gender_rule: bool = False  # the plan uses the legacy gender rule
    covered_since: date | None = None  # continuous coverage of the patient (24-hour gaps already merged)
    holder_covered_since: date | None = None  # how long the plan has covered the parent (birthday tie-break)
    has_cob_provision: bool = True
    excess_to: str | None = None  # supplements part of this basic plan: pays after it
    employer_size: int | None = None  # employees of the employer sponsoring the group plan
    payer_id: str = ""  # the payer's id on claims (2010BB / 2330B NM109), to find the plan on a claim
    member_id: str = ""  # the subscriber's member id with that payer (2010BA / 2330A NM109)


@dataclass(frozen=True, slots=True)
class ChildFacts:
    """For a dependent child: the parents' situation (§4.1 rules 2–3)."""

    parents_together: bool = True  # married or living together
    decree_responsible: str | None = None  # holder id a court decree makes responsible
    decree_shared: bool = False  # decree makes both responsible / joint custody without assignment
    custodial_parent: str | None = None
    custodial_spouse: str | None = None
    noncustodial_spouse: str | None = None


@dataclass(frozen=True, slots=True)
class PatientFacts:
    age: int | None = None
    medicare_basis: str | None = None  # age | disability | esrd (why the person has Medicare)
    esrd_eligibility_start: date | None = None  # first month of ESRD-based Medicare eligibility
    medicare_primary_before_esrd: bool = False  # Medicare already primary (age/disability) when ESRD arose
    service_date: date | None = None
    related_to: frozenset[str] = frozenset()  # care related to: work, no-fault, liability, black-lung
    child: ChildFacts | None = None


@dataclass(frozen=True, slots=True)
class OrderDecision:
    order: tuple[str, ...]  # plan ids, primary first
    steps: tuple[str, ...] = ()  # why, one line per decision taken
    shared: tuple[frozenset[str], ...] = ()  # plans no rule could order: they share (rule 7)
    msp_type: str | None = None  # SBR05 on the claim to Medicare when Medicare is not primary
    excluded: tuple[str, ...] = ()  # plans left out (VA; accident coverage for unrelated care)
    notes: tuple[str, ...] = ()


# ----------------------------------------------------------------------------------------------- MSP
def esrd_coordination_end(eligibility_start: date) -> date:
    """Last day of the 30-month coordination period; the start month (first month of ESRD-based eligibility)
    is month 1. Eligibility from 2024-03 -> 2026-08-31."""
    return add_months(eligibility_start.replace(day=1), 30) - timedelta(days=1)


def msp_group_primary(cov: Coverage, facts: PatientFacts) -> tuple[bool, str | None, str]:
    """Is this coverage primary to Medicare (§4.2)? (primary?, SBR05 MSP type, reason)."""
    if cov.kind != GROUP:
        return False, None, f"{cov.plan_id}: not a group health plan: Medicare primary"
    if facts.esrd_eligibility_start is not None and not facts.medicare_primary_before_esrd:
        if facts.service_date is None:
            raise ValueError("ESRD coordination needs the service date")
        end = esrd_coordination_end(facts.esrd_eligibility_start)
        if facts.service_date <= end:
            return True, ESRD, f"{cov.plan_id}: ESRD 30-month coordination period (to {end}): GHP primary"
        return False, None, f"{cov.plan_id}: ESRD coordination period ended {end}: Medicare primary"
    size = cov.employer_size or 0
    if cov.status == COBRA:
        return False, None, f"{cov.plan_id}: COBRA: Medicare primary"
    if cov.status == INACTIVE:
        return False, None, f"{cov.plan_id}: retiree/inactive coverage: Medicare primary"
    basis = facts.medicare_basis or ("age" if (facts.age or 0) >= 65 else None)
    if basis == "age":
        if size >= 20:
            return (
                True,
                WORKING_AGED,
                f"{cov.plan_id}: working aged, employer has {size} (>= 20) employees: EGHP primary",
            )
        return (
            False,
            None,
            f"{cov.plan_id}: working aged, employer has {size} (< 20) employees: Medicare primary",
        )
    if basis == "disability":
        if size >= 100:
            return (
                True,
                DISABLED,
                f"{cov.plan_id}: disabled, employer has {size} (>= 100) employees: LGHP primary",
            )
        return (
            False,
            None,
            f"{cov.plan_id}: disabled, employer has {size} (< 100) employees: Medicare primary",
        )
    return False, None, f"{cov.plan_id}: no MSP rule makes the plan primary: Medicare primary"


# ----------------------------------------------------------------------------------------------- NAIC
def _birthday_rule(a: Coverage, b: Coverage) -> tuple[int, str] | None:
    if a.gender_rule or b.gender_rule:
        if {a.holder_sex, b.holder_sex} == {"M", "F"}:
            return (-1 if a.holder_sex == "M" else 1), "legacy gender rule (father's plan first) prevails"
    if a.holder_birthday and b.holder_birthday:
        ka = (a.holder_birthday.month, a.holder_birthday.day)
        kb = (b.holder_birthday.month, b.holder_birthday.day)
        if ka != kb:
            return (-1 if ka < kb else 1), "rule 2 birthday rule (month/day earlier in the year)"
        if a.holder_covered_since and b.holder_covered_since and a.holder_covered_since != b.holder_covered_since:
            return (
                -1 if a.holder_covered_since < b.holder_covered_since else 1
            ), "rule 2 birthday tie: plan that covered the parent longer"
    return None


def _custody_rank(cov: Coverage, child: ChildFacts) -> int:
    if cov.holder == child.custodial_parent:
        return 0
    if cov.holder == child.custodial_spouse:
        return 1
    if cov.holder == child.noncustodial_spouse:
        return 3
    return 2  # the non-custodial parent


def naic_compare(a: Coverage, b: Coverage, facts: PatientFacts) -> tuple[int, str]:
    """-1 when a pays first, 1 when b does, 0 when no rule decides (share); with the rule that decided."""
    if a.has_cob_provision != b.has_cob_provision:
        return (-1 if not a.has_cob_provision else 1), "rule 0: a plan without a COB provision is primary"
    if a.excess_to == b.plan_id or b.excess_to == a.plan_id:
        return (1 if a.excess_to == b.plan_id else -1), "rule 0: supplemental coverage is excess to the basic plan"
    if a.role != b.role:
        return (-1 if a.role == SUBSCRIBER else 1), "rule 1: non-dependent before dependent"
    if a.role == DEPENDENT and facts.child is not None:
        child = facts.child
        if child.parents_together or child.decree_shared:
            decided = _birthday_rule(a, b)
            if decided:
                return decided[0], decided[1] + ("" if child.parents_together else " (decree: both / joint)")
        elif child.decree_responsible in (a.holder, b.holder):
            return (-1 if a.holder == child.decree_responsible else 1), "rule 3a: court decree"
        else:
            ra, rb = _custody_rank(a, child), _custody_rank(b, child)
            if ra != rb:
                return (-1 if ra < rb else 1), "rule 3c: custodial parent > spouse > non-custodial > spouse"
    elif a.role == DEPENDENT:
        decided = _birthday_rule(a, b)
        if decided:
            return decided
    if {a.status, b.status} == {ACTIVE, INACTIVE}:
        return (-1 if a.status == ACTIVE else 1), "rule 4: active before inactive (retired/laid off)"
    if (a.status == COBRA) != (b.status == COBRA):
        return (-1 if b.status == COBRA else 1), "rule 5: COBRA/continuation pays after"
    if a.covered_since and b.covered_since and a.covered_since != b.covered_since:
        return (-1 if a.covered_since < b.covered_since else 1), "rule 6: longer coverage first"
    return 0, "rule 7: no rule decides: the plans share"


# ----------------------------------------------------------------------------------------------- order
def decide_order(coverages: Iterable[Coverage], facts: PatientFacts = PatientFacts()) -> OrderDecision:
    steps: list[str] = []
    notes: list[str] = []
    excluded: list[str] = []
    first, middle, last = _partition(list(coverages), facts, steps, notes, excluded)
    has_medicare = any(c.kind == MEDICARE for c in middle)
    msp = {
        c.plan_id: msp_group_primary(c, facts)
        for c in middle
        if has_medicare and c.kind not in (MEDICARE, TRICARE, TRICARE_FOR_LIFE)
    }
    for c in middle:
        if has_medicare and c.plan_id in msp:
            steps.append(msp[c.plan_id][2])
    ordered, shared = _order(middle, facts, msp, has_medicare, steps)
    steps += _medicare_reversals(ordered, msp, facts)
    everything = first + ordered + last
    order = tuple(c.plan_id for c in everything)
    msp_type = _msp_type(everything, msp) if has_medicare else None
    return OrderDecision(order, tuple(steps), shared, msp_type, tuple(excluded), tuple(notes))


MspVerdicts = dict[str, tuple[bool, str | None, str]]  # plan id -> msp_group_primary(...)


def _partition(
    covs: list[Coverage], facts: PatientFacts, steps: list[str], notes: list[str], excluded: list[str]
) -> tuple[list[Coverage], list[Coverage], list[Coverage]]:
    """Coverage that goes first (accident coverage for related care), last (Medicaid) and in between (to be
    ordered); VA and accident coverage for unrelated care are excluded."""
    first: list[Coverage] = []
    middle: list[Coverage] = []
    last: list[Coverage] = []
    for cov in covs:
        if cov.kind in ACCIDENT_KINDS:
            tag, code = ACCIDENT_KINDS[cov.kind]
            if tag in facts.related_to:
                first.append(cov)
                steps.append(f"{cov.plan_id}: {cov.kind} primary for related care (MSP type {code})")
            else:
                excluded.append(cov.plan_id)
                notes.append(f"{cov.plan_id}: {cov.kind} coverage does not apply to unrelated care")
        elif cov.kind == MEDICAID:
            last.append(cov)
            steps.append(f"{cov.plan_id}: Medicaid is always last (payer of last resort)")
        elif cov.kind == VA:
            excluded.append(cov.plan_id)
            notes.append(f"{cov.plan_id}: VA and Medicare do not coordinate; the beneficiary chooses")
        else:
            middle.append(cov)
    return first, middle, last


def _order(
    middle: list[Coverage], facts: PatientFacts, msp: MspVerdicts, has_medicare: bool, steps: list[str]
) -> tuple[list[Coverage], tuple[frozenset[str], ...]]:
    """The coverage between first and last in payer order (TRICARE after the others, Medicare by MSP, the
    rest by the NAIC rules), and the pairs no rule could order (they share)."""
    tie_pairs: list[frozenset[str]] = []

    def rank_kind(c: Coverage) -> int:
        return {TRICARE: 2, TRICARE_FOR_LIFE: 2}.get(c.kind, 0)

    def compare(a: Coverage, b: Coverage) -> int:
        ka, kb = rank_kind(a), rank_kind(b)
        if ka != kb:
            return -1 if ka < kb else 1
        if a.kind == MEDICARE or b.kind == MEDICARE:
            other = b if a.kind == MEDICARE else a
            primary = msp[other.plan_id][0]
            return -1 if (other is a) == primary else 1
        if has_medicare and msp[a.plan_id][0] != msp[b.plan_id][0]:
            return -1 if msp[a.plan_id][0] else 1
        verdict, rule = naic_compare(a, b, facts)
        if verdict == 0:
            tie_pairs.append(frozenset({a.plan_id, b.plan_id}))
        step = f"{a.plan_id} vs {b.plan_id}: {rule}"
        if step not in steps:
            steps.append(step)
        return verdict

    ordered = sorted(middle, key=functools.cmp_to_key(compare))
    return ordered, tuple(dict.fromkeys(tie_pairs))


def _medicare_reversals(ordered: list[Coverage], msp: MspVerdicts, facts: PatientFacts) -> list[str]:
    """Where MSP overrode the NAIC order (rule 1's Medicare reversal)."""
    steps = []
    groups = [c for c in ordered if c.plan_id in msp]
    for i, a in enumerate(groups):
        for b in groups[i + 1 :]:
            if msp[a.plan_id][0] != msp[b.plan_id][0] and naic_compare(a, b, facts)[0] > 0:
                steps.append(
                    f"rule 1 Medicare reversal: {a.plan_id} (primary to Medicare) before Medicare before "
                    f"{b.plan_id} (secondary to Medicare)"
                )
    return steps


def _msp_type(everything: list[Coverage], msp: MspVerdicts) -> str | None:
    """SBR05 on the Medicare claim: why the first payer before Medicare comes before it."""
    msp_type = None
    for c in everything:
        if c.kind == MEDICARE:
            break
        if c.kind in ACCIDENT_KINDS:
            msp_type = msp_type or ACCIDENT_KINDS[c.kind][1]
        elif c.plan_id in msp and msp[c.plan_id][0]:
            msp_type = msp_type or msp[c.plan_id][1]
    return msp_type


def check_billed_order(decision: OrderDecision, billed: Sequence[str]) -> list[str]:
    """Findings when the claim was billed in another order than `decision` (plans that share may swap)."""
    findings: list[str] = []
    wanted = [p for p in decision.order if p in billed]
    unknown = [p for p in billed if p not in decision.order]
    if unknown:
        findings.append(f"billed to plan(s) not in the decided order: {', '.join(unknown)}")
    billed_known = [p for p in billed if p in decision.order]
    for i, (got, want) in enumerate(zip(billed_known, wanted, strict=True)):
        if got != want and frozenset({got, want}) not in decision.shared:
            findings.append(
                f"position {i + 1}: billed {got}, the order of benefits says {want}"
                + (" (wrong primary)" if i == 0 else "")
            )
    return findings


# ----------------------------------------------------------------------------------------------- §4.3
STANDARD, NON_DUP, CARVE_OUT, MOB = "standard", "non-dup", "carve-out", "mob"
MEDICARE_SECONDARY, MEDICAID_LESSER_OF = "medicare-secondary", "medicaid-lesser-of"
METHODS = (STANDARD, NON_DUP, CARVE_OUT, MOB, MEDICARE_SECONDARY, MEDICAID_LESSER_OF)
VARIANTS = {CARVE_OUT: ("a", "b"), MOB: ("dentrix", "non-dup")}  # first = default


@dataclass(frozen=True, slots=True)
class CobSetting:
    """A plan's COB payment method (per-plan setting) and, where definitions differ, which one it uses."""

    method: str = STANDARD
    variant: str | None = None

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"unknown COB method {self.method!r}")
        if self.variant is not None and self.variant not in VARIANTS.get(self.method, ()):
            raise ValueError(f"method {self.method} has no variant {self.variant!r}")


@dataclass(frozen=True, slots=True)
class CobInputs:
    """Notation of §4.3 (per claim or per line)."""

    charge: Decimal  # C
    primary_allowed: Decimal  # A1
    primary_paid: Decimal  # P1
    primary_patient: Decimal  # PR1
    secondary_allowed: Decimal | None = None  # A2
    secondary_benefit: Decimal | None = None  # N2: what the secondary pays as if primary
    allowable_expense: Decimal | None = None  # AE; default A1 (the primary's arrangement)
    secondary_coinsurance: Decimal | None = None  # the share the secondary pays, e.g. 0.8
    secondary_deductible_remaining: Decimal = ZERO
    medicare_fee_schedule: Decimal | None = None  # MFS
    medicare_would_pay: Decimal | None = None  # default: coinsurance (0.8) x (MFS - remaining deductible)
    payment_in_full: Decimal | None = None  # amount the provider must accept as payment in full, if < charge
    medicaid_rate: Decimal | None = None

    @property
    def ae(self) -> Decimal:
        return self.allowable_expense if self.allowable_expense is not None else self.primary_allowed


@dataclass(frozen=True, slots=True)
class CobEstimate:
    method: str
    variant: str | None
    secondary_pays: Decimal
    patient_owes: Decimal
    write_off: Decimal  # C - P1 - secondary - patient
    benefit_reserve: Decimal | None = None  # standard COB: N2 - paid (credit savings)


def _need(value: Decimal | None, name: str, method: str) -> Decimal:
    if value is None:
        raise ValueError(f"method {method} needs {name}")
    return value


def _money(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def secondary_payment(method: str, inputs: CobInputs, variant: str | None = None) -> Decimal:
    """What the secondary should pay under `method` (§4.3), never below 0, rounded to the cent."""
    CobSetting(method, variant)
    i = inputs
    p1, ae = i.primary_paid, i.ae
    if method == STANDARD:
        pay = min(_need(i.secondary_benefit, "N2", method), ae - p1)
    elif (
        method == NON_DUP
        or (method == CARVE_OUT and (variant or "a") == "a")
        or (method == MOB and variant == "non-dup")
    ):
        pay = min(_need(i.secondary_benefit, "N2", method) - p1, ae - p1)
    elif method == CARVE_OUT:  # (b): the secondary's formula on the balance after the primary
        coins = _need(i.secondary_coinsurance, "the secondary's coinsurance", method)
        pay = coins * max(ZERO, ae - p1 - i.secondary_deductible_remaining)
    elif method == MOB:  # Dentrix: coins2 x (A2 - P1), capped at AE - P1
        coins = _need(i.secondary_coinsurance, "the secondary's coinsurance", method)
        pay = min(coins * (_need(i.secondary_allowed, "A2", method) - p1), ae - p1)
    elif method == MEDICARE_SECONDARY:  # 42 CFR 411.33(a): the lowest of three
        mfs = _need(i.medicare_fee_schedule, "the Medicare fee schedule amount", method)
        would = i.medicare_would_pay
        if would is None:
            coins = i.secondary_coinsurance if i.secondary_coinsurance is not None else Decimal("0.8")
            would = coins * max(ZERO, mfs - i.secondary_deductible_remaining)
        ceiling = i.charge if i.payment_in_full is None else min(i.charge, i.payment_in_full)
        pay = min(ceiling - p1, would, max(mfs, i.primary_allowed) - p1)
    elif method == MEDICAID_LESSER_OF:
        pay = min(i.primary_patient, _need(i.medicaid_rate, "the Medicaid rate", method) - p1)
    else:  # pragma: no cover - CobSetting rejects it
        raise ValueError(method)
    return _money(max(ZERO, pay))


def estimate(
    method: str, inputs: CobInputs, variant: str | None = None, patient_billable: bool | None = None
) -> CobEstimate:
    """Secondary payment, the patient's share (PR1 - secondary payment, or 0 when the patient may not be
    billed:
    Medicaid by default, or a secondary contract forbidding billing above its allowed amount) and the
    provider's write-off (C - P1 - secondary - patient)."""
    pays = secondary_payment(method, inputs, variant)
    if patient_billable is None:
        patient_billable = method != MEDICAID_LESSER_OF
    patient = max(ZERO, inputs.primary_patient - pays) if patient_billable else ZERO
    reserve = None
    if method == STANDARD and inputs.secondary_benefit is not None:
        reserve = inputs.secondary_benefit - pays
    return CobEstimate(method, variant, pays, patient, inputs.charge - inputs.primary_paid - pays - patient, reserve)


def check_secondary_payment(actual_paid: Decimal, expected: CobEstimate, tolerance: Decimal = ZERO) -> str | None:
    """A finding when the secondary paid less than its method says it should (beyond `tolerance`)."""
    short = expected.secondary_pays - actual_paid
    if short > tolerance:
        return (
            f"secondary underpaid: paid {actual_paid}, expected {expected.secondary_pays} under "
            f"{expected.method}{'/' + expected.variant if expected.variant else ''} (short {short})"
        )
    return None
