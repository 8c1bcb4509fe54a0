"""Posting answers on a claim account: what is accepted, what is refused, reversals that must undo exactly."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from decimal import Decimal as D

from parsers.read835 import read_835
from rules.posting import Answer, ClaimAccount, LinePayment, PostedAdjustment, account_for, post
from tests.support import EXAMPLES


def _claims(name):
    return read_835(EXAMPLES / name)[0][0].claims


def test_example_e_reversal_and_correction_leave_only_the_correction_active():
    original = Answer(
        "11111",
        "P",
        "PCN5005",
        "1",
        D(300),
        D(160),
        "PRICLM0005",
        D(40),
        trace="EARLIER",
        lines=(LinePayment("PCN5005-1", D(300), D(160)),),
        adjustments=(
            PostedAdjustment("CO", "45", D(100), "line", "PCN5005-1"),
            PostedAdjustment("PR", "1", D(40), "line", "PCN5005-1"),
        ),
    )
    acc = post(account_for("PCN5005", D(300), [("P", "11111"), ("S", "22222")]), original).account
    reversal, correction = _claims("E_reversal_correction.835")
    r = post(acc, Answer.from_835(reversal, "11111", "P"))
    assert r.accepted
    r = post(r.account, Answer.from_835(correction, "11111", "P"))
    assert r.accepted and r.findings == ()
    assert [a.paid for a in r.account.active()] == [D(190)]
    again = post(r.account, Answer.from_835(reversal, "11111", "P"))
    assert not again.accepted and "already posted" in again.findings[0]
    stray = post(account_for("PCN5005", D(300)), Answer.from_835(reversal, "11111", "P"))
    assert not stray.accepted and "no answer on file" in stray.findings[0]


def test_reversal_must_negate_exactly():
    a = Answer("11111", "P", "C1", "1", D(100), D(80), "ICN1", adjustments=(PostedAdjustment("CO", "45", D(20)),))
    acc = post(account_for("C1", D(100)), a).account
    wrong = Answer(
        "11111",
        "P",
        "C1",
        "22",
        D(-100),
        D(-80),
        "ICN1",
        adjustments=(PostedAdjustment("CO", "45", D(-10)), PostedAdjustment("PR", "2", D(-10))),
    )
    r = post(acc, wrong)
    assert not r.accepted and r.account is acc and "does not exactly undo" in r.findings[0]


def test_findings_on_mismatched_answers():
    acc = account_for("C1", D(100), [("P", "11111"), ("S", "22222")])
    unbalanced = Answer("22222", "S", "C1", "2", D(90), D(50), "X", adjustments=(PostedAdjustment("OA", "23", D(30)),))
    r = post(acc, unbalanced)
    assert r.accepted
    text = " ".join(r.findings)
    assert "charge of 90" in text and "B2" in text and "before payer(s) P" in text
    assert not post(acc, Answer("1", "P", "OTHER", "1", D(1), D(1))).accepted


def test_answer_from_835_dates_and_keys():
    answer = Answer.from_835(_claims("A_secondary_payer.835")[0], "22222", "S")
    assert answer.adjudication_date == date(2024, 2, 15)
    assert answer.trace == "CHK5551" and answer.trace_payer == "1222222222"
    assert [lp.line for lp in answer.lines] == ["PCN1001-1", "PCN1001-2"]
    assert isinstance(ClaimAccount("x", D(1)).charge, Decimal)
