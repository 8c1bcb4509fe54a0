"""rules.claim_order: a claim finds its patient by payer and member id, the order is decided on the claim's
date of service, and a claim billed against it is refused naming the rule."""

from __future__ import annotations

from datetime import date

import pytest

from parsers.read837 import read_837
from rules.benefits import DEPENDENT, MEDICARE, Coverage, PatientFacts
from rules.claim_order import PatientOnFile, PatientsOnFile, billed_payers, check_order, service_date
from rules.outcome import Refusal
from tests.support import FIXTURES

CLAIM = read_837(FIXTURES / "msp" / "M1_original.837")[0][0]  # EGHP 11111 (PRI112233), then Medicare 12402


def patient(label: str, size: int, member: str = "PRI112233", age: int = 67) -> PatientOnFile:
    coverages = (
        Coverage("EGHP", role=DEPENDENT, employer_size=size, payer_id="11111", member_id=member),
        Coverage("MEDICARE", kind=MEDICARE, payer_id="12402", member_id="1EG4TE5MK72"),
    )
    return PatientOnFile(label, coverages, PatientFacts(age=age, medicare_basis="age"))


def test_the_claims_payers_in_payer_order_and_its_date_of_service():
    assert billed_payers(CLAIM) == [("P", "11111", "PRI112233"), ("S", "12402", "1EG4TE5MK72")]
    assert service_date(CLAIM) == date(2024, 1, 5)


def test_a_claim_finds_its_patient_among_many_by_member_id():
    crowd = [patient(f"p{i}", 500, member=f"OTHER{i}") for i in range(2000)]
    crowd[0] = PatientOnFile("p0", crowd[0].coverages[:1], crowd[0].facts)  # no Medicare: only EGHP OTHER0
    on_file = PatientsOnFile([*crowd, patient("ours", 500)])
    decision = check_order(CLAIM, on_file)
    assert decision.order == ("EGHP", "MEDICARE") and decision.msp_type == "12"
    assert {p.label for p in on_file.for_claim(CLAIM)} >= {"ours"}


def test_no_facts_for_the_claim_is_no_check():
    only_eghp = PatientOnFile("y", (Coverage("EGHP", payer_id="11111", member_id="ELSE"),))
    assert check_order(CLAIM, PatientsOnFile([only_eghp])) is None
    assert not PatientsOnFile()


def test_a_payer_the_facts_do_not_hold_for_the_patient_is_held():
    with pytest.raises(Refusal) as caught:  # found by its Medicare id; its EGHP member id is another one
        check_order(CLAIM, PatientsOnFile([patient("x", 500, member="ELSE")]))
    assert "billed to plan(s) not in the decided order: payer 11111" in caught.value.reason


def test_billed_against_the_order_names_the_rule():
    with pytest.raises(Refusal) as caught:
        check_order(CLAIM, PatientsOnFile([patient("small employer", 15)]))
    reason = caught.value.reason
    assert "(the CARC 22 case)" in reason and "wrong primary" in reason
    assert "EGHP: working aged, employer has 15 (< 20) employees: Medicare primary" in reason


def test_two_patients_deciding_differently_for_one_claim_are_held():
    with pytest.raises(Refusal) as caught:
        check_order(CLAIM, PatientsOnFile([patient("a", 500), patient("b", 15)]))
    assert "several patients" in caught.value.reason and "a, b" in caught.value.reason
