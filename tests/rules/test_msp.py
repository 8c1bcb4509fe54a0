"""rules.msp: where the MSP type comes from, the value codes and their amounts, HI*BE/HI*BH merging (12 a
segment, the guide's repeats, the guide's order), the line-level rule and the check `edi validate` runs."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest

from parsers.models import Adjustment
from parsers.read835 import read_835
from parsers.read837 import read_837
from rules.msp import (
    MSP_TYPES,
    MSP_VALUE_CODES,
    MspFacts,
    check_line_level,
    merge_hi,
    missing_msp,
    msp_type_for,
    value_codes,
)
from rules.outcome import NEEDS_REVIEW, Refusal
from tests.support import EXAMPLES, FIXTURES

FACTS = MspFacts(members={"1EG4TE5MK72": "12"})


def payment(name: str = "A_primary.835", folder=EXAMPLES):
    remittances, _ = read_835(folder / name)
    return remittances[0].claims[0]


def claim(path):
    return read_837(path)[0][0]


# ------------------------------------------------------------------------------------ where the type comes from
def test_the_claims_own_sbr05_wins_and_the_disagreement_is_noted():
    code, notes = msp_type_for("43", "1EG4TE5MK72", FACTS, derived="13")
    assert code == "43"
    assert "original claim's 2320 SBR05" in notes[0]
    assert any("[msp] members (12)" in n for n in notes) and any("order-of-benefits facts (13)" in n for n in notes)


def test_settings_fill_the_gap_then_the_order_facts():
    assert msp_type_for("", "1EG4TE5MK72", FACTS, derived="13")[0] == "12"
    code, notes = msp_type_for("", "OTHER", FACTS, derived="13")
    assert code == "13" and "order-of-benefits facts" in notes[0]
    assert msp_type_for("", "OTHER", FACTS) == (None, [])


def test_a_claim_code_that_is_no_msp_type_is_refused_not_passed_on():
    with pytest.raises(Refusal) as caught:
        msp_type_for("CI", "1EG4TE5MK72", FACTS)
    assert caught.value.disposition == NEEDS_REVIEW and "'CI'" in caught.value.reason


def test_every_msp_type_has_a_value_code_and_the_ub04_set_is_derived():
    assert set(MSP_TYPES) == {"12", "13", "14", "15", "16", "41", "42", "43", "47"}
    assert MSP_VALUE_CODES == {t.value_code for t in MSP_TYPES.values()}


# ------------------------------------------------------------------------------------ value code amounts
def test_value_code_carries_the_primarys_payment_and_44_its_allowed_amount():
    pay = payment()  # A: charge 250, paid 108, CO-45 40 + 55 -> allowed 155
    assert value_codes("12", pay, D(250), accepts_allowed=False) == [("12", "108")]
    assert value_codes("12", pay, D(250), accepts_allowed=True) == [("12", "108"), ("44", "155")]


@pytest.mark.parametrize(
    "paid, contractual, why",
    [
        (D(0), D(95), "the primary paid nothing: a conditional request, no 44"),
        (D(108), D(0), "allowed = charge: no 44"),
        (D(155), D(95), "allowed = payment: no 44"),
    ],
)
def test_no_value_code_44_outside_its_conditions(paid, contractual, why):
    pay = replace(payment(), paid=paid, adjustments=[Adjustment("CO", "45", contractual)], services=[])
    codes = value_codes("43", pay, D(250), accepts_allowed=True)
    assert [c for c, _ in codes] == ["43"], why
    assert codes[0][1] == str(paid)


def test_the_otaf_switch_per_primary_payer():
    facts = MspFacts(accept_primary_allowed_from=frozenset({"11111"}))
    assert facts.accepts_allowed("11111") and not facts.accepts_allowed("99999")
    assert MspFacts(accept_primary_allowed=True).accepts_allowed("99999")


# ------------------------------------------------------------------------------------ HI merging
def be(code: str, amount: str) -> str:
    return f"BE:{code}:::{amount}"


HEAD = [["CLM", "X", "100"], ["HI", "ABK:I10"], ["HI", "DR:280"], ["HI", "BG:01"], ["NM1", "71", "1"]]


def test_a_new_hi_be_goes_where_the_guide_puts_it():
    out, notes = merge_hi(HEAD, "BE", [be("12", "50")], {"12"}, ":")
    assert out == HEAD[:3] + [["HI", be("12", "50")]] + HEAD[3:]  # after DR, before the condition codes
    assert notes == []
    out, _ = merge_hi(HEAD, "BH", ["BH:24:D8:20240320"], {"24"}, ":")
    assert out[3] == ["HI", "BH:24:D8:20240320"]  # occurrence codes precede value codes and condition codes


def test_codes_fill_the_existing_hi_be_then_a_second_one_follows():
    existing = [["HI", *[be(f"{80 + i}", "1") for i in range(11)]]]
    segments = HEAD[:3] + existing + HEAD[3:]
    out, _ = merge_hi(segments, "BE", [be("12", "50"), be("44", "90")], {"12", "44"}, ":")
    his = [s for s in out if s[0] == "HI" and s[1].startswith("BE")]
    assert [len(s) - 1 for s in his] == [12, 1]
    assert his[0][-1] == be("12", "50") and his[1] == ["HI", be("44", "90")]
    assert out.index(his[1]) == out.index(his[0]) + 1
    assert segments[3] == existing[0]  # the original segment is not mutated


def test_an_msp_value_code_already_there_is_replaced_and_noted():
    segments = HEAD[:3] + [["HI", be("01", "300"), be("12", "999")]] + HEAD[3:]
    out, notes = merge_hi(segments, "BE", [be("12", "50")], {"12", "44"}, ":")
    assert out[3] == ["HI", be("01", "300"), be("12", "50")]
    assert notes and "12" in notes[0]


def test_when_both_hi_be_are_full_the_claim_is_held():
    full = [["HI", *[be(f"{60 + i}", "1") for i in range(12)]], ["HI", *[be(f"{72 + i}", "1") for i in range(12)]]]
    with pytest.raises(Refusal) as caught:
        merge_hi(HEAD[:3] + full, "BE", [be("12", "50")], {"12"}, ":")
    assert "no room" in caught.value.reason


# ------------------------------------------------------------------------------------ line level, validation
def test_multi_line_claim_answered_at_claim_level_is_held_unless_inpatient():
    with pytest.raises(Refusal) as caught:
        check_line_level(claim(EXAMPLES / "C_original.837"), payment("C_primary.835"))
    assert "each of the 2 service lines" in caught.value.reason
    check_line_level(claim(EXAMPLES / "A_original.837"), payment())  # line-level answer: fine
    inpatient = claim(FIXTURES / "msp" / "M2_original.837")
    check_line_level(inpatient, payment("I1_primary.835", FIXTURES / "institutional"))  # an inpatient stay


def test_missing_msp_names_what_a_medicare_claim_lacks():
    professional = claim(FIXTURES / "msp" / "M1_secondary.837")
    assert missing_msp(professional) is None
    sbr = professional.subscriber.segments[1]
    professional.subscriber.segments[1] = sbr[:5] + [""] + sbr[6:]
    assert "SBR05" in missing_msp(professional)
    institutional = claim(FIXTURES / "msp" / "M2_secondary.837")
    assert missing_msp(institutional) is None
    institutional.segments[:] = [s for s in institutional.segments if not (s[0] == "HI" and s[1].startswith("BE"))]
    assert "value code" in missing_msp(institutional)
    assert missing_msp(claim(EXAMPLES / "A_secondary.837")) is None  # not Medicare
