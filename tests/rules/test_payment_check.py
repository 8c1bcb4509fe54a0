"""Checks of a payer's answer before billing onward: B1/B2, CLP05, allowed, over- and underpayment."""

from __future__ import annotations

from decimal import Decimal as D

from parsers.read835 import read_835
from rules.payment_check import check_primary_payment
from tests.support import EXAMPLES, make835


def _claims(name):
    return read_835(EXAMPLES / name)[0][0].claims


def test_check_primary_payment_example_a_clean():
    assert check_primary_payment(_claims("A_primary.835")[0]) == []
    fee = {("99214", ()): D(110), ("93000", ()): D(45)}
    assert check_primary_payment(_claims("A_primary.835")[0], fee) == []


def test_check_primary_payment_discrepancies():
    data = make835(
        "LX*1",
        "CLP*C9*1*200*130*30*12*ICN9",
        "SVC*HC:99213*100*90**1",
        "CAS*CO*45*10",
        "AMT*B6*80",
        "SVC*HC:99214:25*100*40**2",
        "CAS*CO*45*40",
        "CAS*PR*2*20",
        "AMT*B6*60",
        bpr02="130",
    )
    claim = read_835(data)[0][0].claims[0]
    fee = {("99214", ("25",)): D(40), ("99213", ()): D(70)}
    found = check_primary_payment(claim, fee)
    kinds = sorted((f.kind, f.line) for f in found)
    assert ("clp05", "") in kinds  # CLP05 30 but Σ PR 20
    assert ("overpayment", "#1") in kinds  # paid 90 > allowed 80
    assert ("allowed-mismatch", "#1") in kinds  # 90 + 0 != 80
    assert ("underpayment", "#2") in kinds  # allowed 60 < 40 x 2 units
    under = next(f for f in found if f.kind == "underpayment")
    assert (under.expected, under.actual) == (D(80), D(60))
    assert not any(f.kind == "underpayment" and f.line == "#1" for f in found)  # 80 >= 70


def test_sequestration_counts_toward_allowed():
    data = make835(
        "LX*1",
        "CLP*C8*1*100*78.04*20*MB*ICN8",
        "SVC*HC:99213*100*78.04**1",
        "CAS*CO*45*0.4**253*1.56",
        "CAS*PR*2*20",
        "AMT*B6*99.6",
        bpr02="78.04",
    )
    claim = read_835(data)[0][0].claims[0]
    assert check_primary_payment(claim) == []
