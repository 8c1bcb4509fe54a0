"""Order of benefits (§4.1 worked decisions, §4.2 MSP worked decisions) and the §4.3 payment methods, every
worked number of examples 1 and 2."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest

from rules.benefits import (
    CARVE_OUT,
    COBRA,
    DEPENDENT,
    GROUP,
    INACTIVE,
    MEDICAID,
    MEDICAID_LESSER_OF,
    MEDICARE,
    MEDICARE_SECONDARY,
    MOB,
    NO_FAULT,
    NON_DUP,
    STANDARD,
    ChildFacts,
    CobInputs,
    CobSetting,
    Coverage,
    PatientFacts,
    check_billed_order,
    check_secondary_payment,
    decide_order,
    esrd_coordination_end,
    estimate,
    secondary_payment,
)

# ------------------------------------------------------------------------------------------ §4.1
MOM = Coverage("MOM-PLAN", role=DEPENDENT, holder="mom", holder_birthday=date(1985, 3, 2), holder_sex="F")
DAD = Coverage("DAD-PLAN", role=DEPENDENT, holder="dad", holder_birthday=date(1983, 7, 15), holder_sex="M")
STEP = Coverage("STEP-PLAN", role=DEPENDENT, holder="stepdad", holder_birthday=date(1980, 1, 1))


def test_birthday_rule_month_and_day_only():
    d = decide_order([DAD, MOM], PatientFacts(child=ChildFacts(parents_together=True)))
    assert d.order == ("MOM-PLAN", "DAD-PLAN")  # March before July; Dad's earlier birth year is ignored
    assert any("birthday" in s for s in d.steps)


def test_birthday_tie_goes_to_longer_covering_plan():
    a = Coverage(
        "A",
        role=DEPENDENT,
        holder="p1",
        holder_birthday=date(1980, 5, 5),
        holder_covered_since=date(2015, 1, 1),
    )
    b = Coverage(
        "B",
        role=DEPENDENT,
        holder="p2",
        holder_birthday=date(1990, 5, 5),
        holder_covered_since=date(2010, 1, 1),
    )
    assert decide_order([a, b], PatientFacts(child=ChildFacts())).order == ("B", "A")


def test_legacy_gender_rule_prevails_over_birthday():
    dad = Coverage(
        "DAD-PLAN",
        role=DEPENDENT,
        holder="dad",
        holder_birthday=date(1983, 7, 15),
        holder_sex="M",
        gender_rule=True,
    )
    assert decide_order([MOM, dad], PatientFacts(child=ChildFacts())).order == ("DAD-PLAN", "MOM-PLAN")


def test_divorced_decree_dad():
    facts = PatientFacts(child=ChildFacts(parents_together=False, decree_responsible="dad", custodial_parent="mom"))
    assert decide_order([MOM, DAD], facts).order == ("DAD-PLAN", "MOM-PLAN")


def test_divorced_joint_decree_uses_birthday_rule():
    facts = PatientFacts(child=ChildFacts(parents_together=False, decree_shared=True, custodial_parent="dad"))
    assert decide_order([DAD, MOM], facts).order == ("MOM-PLAN", "DAD-PLAN")


def test_no_decree_custodial_chain():
    facts = PatientFacts(child=ChildFacts(parents_together=False, custodial_parent="mom", custodial_spouse="stepdad"))
    assert decide_order([DAD, STEP, MOM], facts).order == ("MOM-PLAN", "STEP-PLAN", "DAD-PLAN")


def test_own_plan_before_spouse_plan():
    own = Coverage("OWN")
    spouse = Coverage("SPOUSE", role=DEPENDENT, holder="spouse")
    d = decide_order([spouse, own])
    assert d.order == ("OWN", "SPOUSE")
    assert any("rule 1" in s for s in d.steps)


def test_active_before_retiree():
    retiree = Coverage("RETIREE", status=INACTIVE, covered_since=date(1990, 1, 1))
    active = Coverage("NEWJOB", covered_since=date(2023, 1, 1))
    d = decide_order([retiree, active])
    assert d.order == ("NEWJOB", "RETIREE")
    assert any("rule 4" in s for s in d.steps)


def test_new_employer_before_cobra():
    cobra = Coverage("OLDJOB-COBRA", status=COBRA, covered_since=date(2015, 1, 1))
    new = Coverage("NEWJOB", covered_since=date(2024, 1, 1))
    d = decide_order([cobra, new])
    assert d.order == ("NEWJOB", "OLDJOB-COBRA")
    assert any("rule 5" in s for s in d.steps)


def test_longer_coverage_then_share():
    a = Coverage("A", covered_since=date(2020, 1, 1))
    b = Coverage("B", covered_since=date(2018, 1, 1))
    assert decide_order([a, b]).order == ("B", "A")
    c = Coverage("C", covered_since=date(2018, 1, 1))
    d = decide_order([b, c])
    assert d.shared == (frozenset({"B", "C"}),)
    assert check_billed_order(d, ["C", "B"]) == []  # sharing plans may be billed either way


def test_plan_without_cob_provision_is_primary():
    assert decide_order([Coverage("A"), Coverage("NOCOB", role=DEPENDENT, has_cob_provision=False)]).order == (
        "NOCOB",
        "A",
    )


def test_medicare_reversal_dependent_medicare_retiree():
    # 67-year-old retiree: own retiree plan, and covered as spouse by the spouse's active large-employer plan
    retiree = Coverage("RETIREE", status=INACTIVE)
    spouse = Coverage("SPOUSE-EGHP", role=DEPENDENT, holder="spouse", employer_size=500)
    d = decide_order([retiree, Coverage("MEDICARE", kind=MEDICARE), spouse], PatientFacts(age=67))
    assert d.order == ("SPOUSE-EGHP", "MEDICARE", "RETIREE")
    assert any("Medicare reversal" in s for s in d.steps)


def test_wrong_order_flagged():
    d = decide_order([DAD, MOM], PatientFacts(child=ChildFacts()))
    findings = check_billed_order(d, ["DAD-PLAN", "MOM-PLAN"])
    assert findings and "wrong primary" in findings[0]
    assert check_billed_order(d, ["MOM-PLAN", "DAD-PLAN"]) == []


# ------------------------------------------------------------------------------------------ §4.2
MEDICARE_COV = Coverage("MEDICARE", kind=MEDICARE)


def test_msp_working_aged_small_employer():
    d = decide_order([Coverage("EGHP", employer_size=15), MEDICARE_COV], PatientFacts(age=67, medicare_basis="age"))
    assert d.order == ("MEDICARE", "EGHP")
    assert d.msp_type is None


def test_msp_working_aged_spouse_large_employer():
    spouse = Coverage("SPOUSE-EGHP", role=DEPENDENT, employer_size=500)
    d = decide_order([MEDICARE_COV, spouse], PatientFacts(age=67, medicare_basis="age"))
    assert d.order == ("SPOUSE-EGHP", "MEDICARE")
    assert d.msp_type == "12"


def test_msp_working_aged_boundary_20():
    assert decide_order([MEDICARE_COV, Coverage("E", employer_size=20)], PatientFacts(age=65)).order[0] == "E"
    assert decide_order([MEDICARE_COV, Coverage("E", employer_size=19)], PatientFacts(age=65)).order[0] == "MEDICARE"


def test_msp_disability_under_100():
    d = decide_order(
        [Coverage("LGHP", employer_size=60), MEDICARE_COV], PatientFacts(age=55, medicare_basis="disability")
    )
    assert d.order == ("MEDICARE", "LGHP")
    d = decide_order(
        [Coverage("LGHP", employer_size=100), MEDICARE_COV], PatientFacts(age=55, medicare_basis="disability")
    )
    assert d.order == ("LGHP", "MEDICARE") and d.msp_type == "43"


def test_msp_esrd_coordination_period():
    assert esrd_coordination_end(date(2024, 3, 1)) == date(2026, 8, 31)
    assert esrd_coordination_end(date(2024, 3, 17)) == date(2026, 8, 31)
    retiree = Coverage("RETIREE-GHP", status=INACTIVE)
    within = PatientFacts(
        age=58, medicare_basis="esrd", esrd_eligibility_start=date(2024, 3, 1), service_date=date(2026, 8, 31)
    )
    d = decide_order([MEDICARE_COV, retiree], within)
    assert d.order == ("RETIREE-GHP", "MEDICARE") and d.msp_type == "13"
    after = PatientFacts(
        age=58, medicare_basis="esrd", esrd_eligibility_start=date(2024, 3, 1), service_date=date(2026, 9, 1)
    )
    assert decide_order([MEDICARE_COV, retiree], after).order == ("MEDICARE", "RETIREE-GHP")


def test_msp_esrd_when_medicare_already_primary():
    facts = PatientFacts(
        age=70,
        medicare_basis="age",
        esrd_eligibility_start=date(2024, 3, 1),
        medicare_primary_before_esrd=True,
        service_date=date(2024, 6, 1),
    )
    assert decide_order([Coverage("RET", status=INACTIVE), MEDICARE_COV], facts).order == ("MEDICARE", "RET")


def test_msp_retiree_and_medicaid():
    d = decide_order(
        [Coverage("MEDICAID", kind=MEDICAID), Coverage("RETIREE", status=INACTIVE), MEDICARE_COV],
        PatientFacts(age=70, medicare_basis="age"),
    )
    assert d.order == ("MEDICARE", "RETIREE", "MEDICAID")


def test_msp_cobra_medicare_primary():
    d = decide_order([Coverage("COBRA", status=COBRA, employer_size=500), MEDICARE_COV], PatientFacts(age=66))
    assert d.order == ("MEDICARE", "COBRA")


def test_msp_no_fault_accident():
    d = decide_order(
        [MEDICARE_COV, Coverage("AUTO", kind=NO_FAULT)],
        PatientFacts(age=72, related_to=frozenset({"no-fault"})),
    )
    assert d.order == ("AUTO", "MEDICARE") and d.msp_type == "14"
    unrelated = decide_order([MEDICARE_COV, Coverage("AUTO", kind=NO_FAULT)], PatientFacts(age=72))
    assert unrelated.order == ("MEDICARE",) and unrelated.excluded == ("AUTO",)


# ------------------------------------------------------------------------------------------ §4.3
EX1 = CobInputs(
    charge=D(200),
    primary_allowed=D(150),
    primary_paid=D(120),
    primary_patient=D(30),
    secondary_allowed=D(140),
    secondary_benefit=D(112),
    secondary_coinsurance=D("0.8"),
)
EX2 = CobInputs(
    charge=D(500),
    primary_allowed=D(400),
    primary_paid=D(120),
    primary_patient=D(280),
    secondary_allowed=D(380),
    secondary_benefit=D(304),
    secondary_coinsurance=D("0.8"),
)


@pytest.mark.parametrize(
    "method,variant,pays,patient,write_off",
    [
        (STANDARD, None, 30, 0, 50),
        (NON_DUP, None, 0, 30, 50),
        (CARVE_OUT, "a", 0, 30, 50),
        (CARVE_OUT, "b", 24, 6, 50),
        (MOB, "dentrix", 16, 14, 50),
        (MOB, "non-dup", 0, 30, 50),
    ],
)
def test_example_1(method, variant, pays, patient, write_off):
    e = estimate(method, EX1, variant)
    assert (e.secondary_pays, e.patient_owes, e.write_off) == (D(pays), D(patient), D(write_off))


def test_example_1_standard_reserve_and_secondary_allowable():
    assert estimate(STANDARD, EX1).benefit_reserve == D(82)
    governed = replace(EX1, allowable_expense=D(140))  # the secondary's fee governs
    e = estimate(STANDARD, governed, patient_billable=False)
    assert (e.secondary_pays, e.patient_owes, e.write_off) == (D(20), D(0), D(60))  # 50 + the secondary's 10


def test_example_1_mob_contract_forbids_billing():
    e = estimate(MOB, EX1, "dentrix", patient_billable=False)
    assert (e.secondary_pays, e.patient_owes, e.write_off) == (D(16), D(0), D(64))  # 50 + 14


def test_example_1_medicare_secondary():
    inputs = CobInputs(
        charge=D(175),
        primary_allowed=D(150),
        primary_paid=D(120),
        primary_patient=D(30),
        medicare_fee_schedule=D(125),
    )
    e = estimate(MEDICARE_SECONDARY, inputs)
    assert (e.secondary_pays, e.patient_owes, e.write_off) == (D(30), D(0), D(25))
    # each of the three limits can be the lowest
    assert secondary_payment(
        MEDICARE_SECONDARY, CobInputs(D(130), D(150), D(120), D(30), medicare_fee_schedule=D(125))
    ) == D(10)
    assert secondary_payment(
        MEDICARE_SECONDARY, CobInputs(D(500), D(400), D(120), D(280), medicare_fee_schedule=D(125))
    ) == D(100)


def test_example_1_medicaid_lesser_of():
    e = estimate(MEDICAID_LESSER_OF, CobInputs(D(200), D(150), D(120), D(30), medicaid_rate=D(100)))
    assert (e.secondary_pays, e.patient_owes, e.write_off) == (D(0), D(0), D(80))
    assert secondary_payment(MEDICAID_LESSER_OF, CobInputs(D(200), D(150), D(120), D(30), medicaid_rate=D(140))) == D(
        20
    )


@pytest.mark.parametrize(
    "method,variant,pays,patient",
    [
        (STANDARD, None, 280, 0),
        (NON_DUP, None, 184, 96),
        (CARVE_OUT, "b", 224, 56),
        (MOB, "dentrix", 208, 72),
    ],
)
def test_example_2(method, variant, pays, patient):
    e = estimate(method, EX2, variant)
    assert (e.secondary_pays, e.patient_owes) == (D(pays), D(patient))
    assert e.write_off == D(100)  # the primary's CO-45


def test_underpaying_secondary_caught():
    expected = estimate(STANDARD, EX2)
    assert "underpaid" in check_secondary_payment(D(184), expected)
    assert check_secondary_payment(D(280), expected) is None


def test_settings_validated():
    with pytest.raises(ValueError):
        CobSetting("carve-out", "c")
    with pytest.raises(ValueError):
        secondary_payment(MOB, CobInputs(D(1), D(1), D(0), D(1)), "dentrix")
    assert Coverage("X").kind == GROUP
