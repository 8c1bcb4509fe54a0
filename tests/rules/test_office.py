"""The office's moves (rules.office): each keeps the statement balanced and the ledger summed by category
equal to it; a payment after bad debt reverses it. Worked numbers, then a hypothesis property over any
sequence of office decisions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from rules.ledger import corrections, payment_rows
from rules.office import Move, apply_office, patient_lines, patient_payment, spread
from rules.posting import Answer, LinePayment, PostedAdjustment, account_for, post
from rules.statement import statement

WHEN = datetime(2024, 7, 1, 9, 0)
CATS = ("payment", "contractual", "administrative", "bad-debt", "charity", "other", "patient")


def answered() -> tuple:
    """Example A's numbers plus a primary CO-50 10; a secondary that pays 20, leaves PR-2 17 and denies 10 of
    its own (CO-197), its OA-23 restating the primary's 213."""
    account = account_for("PCN1001", D(260), [("P", "11111"), ("S", "22222")])
    primary = Answer(
        "11111",
        "P",
        "PCN1001",
        "1",
        D(260),
        D(108),
        "PRI1",
        trace="T1",
        lines=(LinePayment("1", D(260), D(108)),),
        adjustments=(
            PostedAdjustment("CO", "45", D(95)),
            PostedAdjustment("PR", "1", D(20)),
            PostedAdjustment("PR", "2", D(27)),
            PostedAdjustment("CO", "50", D(10)),
        ),
    )
    secondary = Answer(
        "22222",
        "S",
        "PCN1001",
        "2",
        D(260),
        D(20),
        "SEC1",
        trace="T2",
        lines=(LinePayment("1", D(260), D(20)),),
        adjustments=(
            PostedAdjustment("OA", "23", D(213)),
            PostedAdjustment("PR", "2", D(17)),
            PostedAdjustment("CO", "197", D(10)),
        ),
    )
    rows = []
    for answer in (primary, secondary):
        account = post(account, answer).account
        rows += payment_rows("PCN1001", answer, WHEN)
        rows += corrections("PCN1001", rows, statement(account).placements, answer, WHEN)
    return statement(account), rows


def by_category(rows) -> dict[str, D]:
    out = {c: D(0) for c in CATS}
    for e in rows:
        if e.category in out:
            out[e.category] += e.amount
    return out


def statement_categories(s) -> dict[str, D]:
    return {
        "payment": s.paid_total,
        "contractual": s.write_off.contractual,
        "administrative": s.write_off.administrative,
        "bad-debt": s.write_off.bad_debt,
        "charity": s.write_off.charity,
        "other": s.other_adjustments,
        "patient": s.patient_balance.total,
    }


def delta(before, after) -> dict[str, D]:
    """What the office rows changed in the statement, by category: the office rows must sum to exactly this
    (the posting rows explain the payers' answers, whatever posting does; issue 12 owns those)."""
    b, a = statement_categories(before), statement_categories(after)
    return {c: a[c] - b[c] for c in CATS}


def test_worked_numbers_bad_debt_then_a_payment_reverses_it():
    base, rows = answered()
    assert base.patient_balance.total == D(17) and base.other_adjustments == D(20)
    denial = Move("PCN1001", "22222", "S", "CO", "197", D(10), "other", "administrative", "item 2 lost")
    bad = spread(patient_lines(base), D(17), "patient", "bad-debt", "collections", "PCN1001")
    office = [r for m in (denial, *bad) for r in m.rows(WHEN)]
    after = apply_office(base, office)
    assert (after.write_off.administrative, after.write_off.bad_debt, after.patient_balance.total) == (10, 17, 0)
    assert after.other_adjustments == D(10) and after.is_balanced()
    pay = patient_payment(after, D(12), "paid at the desk")
    assert [(m.source, m.target, m.amount) for m in pay] == [("bad-debt", "patient", 12), ("patient", "payment", 12)]
    final = apply_office(base, office + [r for m in pay for r in m.rows(WHEN)])
    assert dict(final.paid_by_payer)["patient"] == D(12) and final.write_off.bad_debt == D(5)
    assert final.is_balanced() and by_category(office + [r for m in pay for r in m.rows(WHEN)]) == delta(base, final)


def test_each_move_sums_to_zero_and_is_marked_as_the_offices():
    rows = Move("C", "P1", "P", "PR", "2", D("3.10"), "patient", "charity", "charity").rows(WHEN)
    assert sum(r.amount for r in rows) == 0 and all(r.note.startswith("office:") for r in rows)
    assert [(r.kind, r.category) for r in rows] == [("patient-transfer", "patient"), ("write-off", "charity")]


cents = st.integers(min_value=1, max_value=2000).map(lambda n: D(n) / 100)


@given(st.lists(st.tuples(st.sampled_from(["bad-debt", "charity", "payment", "lost"]), cents), max_size=8))
def test_any_sequence_of_office_decisions_keeps_each_dollar_once(steps):
    base, _ = answered()
    office = []
    for kind, amount in steps:
        current = apply_office(base, office)
        if kind == "lost":
            left = current.other_adjustments
            moves = [Move("PCN1001", "22222", "S", "CO", "197", min(amount, left), "other", "administrative", "lost")]
            moves = [
                m
                for m in moves
                if m.amount > 0
                and any(
                    a.category == "other" and a.reason == "197" and a.amount >= m.amount for a in current.adjustments
                )
            ]
        elif kind == "payment":
            owed = current.patient_balance.total + current.write_off.bad_debt
            moves = patient_payment(current, min(amount, owed), "paid") if owed > 0 else []
        else:
            moves = spread(patient_lines(current), amount, "patient", kind, kind, "PCN1001")
        office += [r for m in moves for r in m.rows(WHEN)]
        after = apply_office(base, office)
        assert after.is_balanced()
        assert by_category(office) == delta(base, after)
        assert after.patient_balance.total >= 0 and after.write_off.bad_debt >= 0
