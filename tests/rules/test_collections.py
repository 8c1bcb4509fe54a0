"""The collection effort (rules.collections): statements on their interval, bad debt only after the effort,
the Medicare 120-day rule."""

from __future__ import annotations

from datetime import date, timedelta

from rules.collections import BAD_DEBT, STATEMENT, Effort, medicare_first_bill_in_time, medicare_share, next_step

EFFORT = Effort(statements=3, interval_days=30, bad_debt_after_days=120)
FIRST = date(2024, 3, 1)


def test_three_statements_thirty_days_apart_then_bad_debt_after_120_days():
    assert next_step(EFFORT, [], FIRST) == STATEMENT
    assert next_step(EFFORT, [FIRST], FIRST + timedelta(days=29)) is None
    assert next_step(EFFORT, [FIRST], FIRST + timedelta(days=30)) == STATEMENT
    sent = [FIRST, FIRST + timedelta(days=30), FIRST + timedelta(days=60)]
    assert next_step(EFFORT, sent, FIRST + timedelta(days=119)) is None  # the effort is not over
    assert next_step(EFFORT, sent, FIRST + timedelta(days=120)) == BAD_DEBT
    late = [FIRST, FIRST + timedelta(days=30), FIRST + timedelta(days=110)]
    assert next_step(EFFORT, late, FIRST + timedelta(days=125)) is None  # 30 days after the last statement
    assert next_step(EFFORT, late, FIRST + timedelta(days=140)) == BAD_DEBT


def test_medicare_bad_debt_needs_the_first_bill_within_120_days_of_the_later_remittance():
    medicare, secondary = date(2024, 1, 10), date(2024, 2, 20)
    assert medicare_first_bill_in_time(EFFORT, secondary + timedelta(days=120), [medicare, secondary])
    assert not medicare_first_bill_in_time(EFFORT, secondary + timedelta(days=121), [medicare, secondary])
    assert not medicare_first_bill_in_time(EFFORT, medicare, [])
    assert medicare_share("deductible") and medicare_share("coinsurance")
    assert not medicare_share("copay") and not medicare_share("noncovered") and not medicare_share("other")
