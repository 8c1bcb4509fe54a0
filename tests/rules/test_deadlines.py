"""Deadline arithmetic (§6): month ends, leap years, 120 + 5 days across the year end, business days."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.deadlines import (
    ADJUDICATION,
    APPEAL,
    DEFAULT_WINDOWS,
    TIMELY_FILING,
    Window,
    action_deadline,
    add_business_days,
    add_months,
    appeal_deadline,
    business_days_between,
    compute_deadline,
    crossover_wait_until,
    deadline,
    secondary_filing_deadline,
    unanswered,
    with_overrides,
)


@pytest.mark.parametrize(
    "start,months,expected",
    [
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # leap day + 1 year: clamped
        (date(2024, 2, 29), 48, date(2028, 2, 29)),  # + 4 years: a leap year again
        (date(2023, 2, 28), 12, date(2024, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 3, 31), 1, date(2024, 4, 30)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
        (date(2024, 8, 31), 6, date(2025, 2, 28)),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def test_medicare_timely_filing_leap_day():
    d = deadline("medicare", TIMELY_FILING, date(2024, 2, 29))
    assert d.due == date(2025, 2, 28)


def test_medicare_redetermination_120_plus_5_across_year_end():
    d = appeal_deadline("medicare", date(2024, 9, 15))
    assert d.start == date(2024, 9, 20)  # presumed receipt
    assert d.due == date(2025, 1, 18)  # 10 + 31 + 30 + 31 + 18 = 120 days after receipt
    assert (d.due - date(2024, 9, 15)).days == 125
    d = appeal_deadline("medicare", date(2023, 12, 28))
    assert d.due == date(2024, 5, 1)  # 2024 is a leap year: Feb has 29 days
    assert (d.due - date(2023, 12, 28)).days == 125


def test_commercial_secondary_filing_from_primary_adjudication():
    d = secondary_filing_deadline("commercial", date(2024, 1, 20), date(2024, 1, 5))
    assert d.anchor_date == date(2024, 1, 20)
    assert d.due == date(2024, 4, 19)  # 90 days, through a leap February
    medicare = secondary_filing_deadline("medicare", date(2024, 1, 20), date(2024, 1, 5))
    assert medicare.anchor_date == date(2024, 1, 5) and medicare.due == date(2025, 1, 5)
    assert secondary_filing_deadline("medicaid", date(2024, 1, 20), date(2024, 1, 5)).due == date(2024, 7, 18)


def test_alert_at_80_percent():
    d = deadline("commercial", APPEAL, date(2024, 1, 1))  # 180 days
    assert d.due == date(2024, 6, 29)
    assert d.alert_on == date(2024, 1, 1) + timedelta(days=144)
    assert d.status(d.alert_on - timedelta(days=1)) == "ok"
    assert d.status(d.alert_on) == "alert"
    assert d.status(d.due) == "alert"
    assert d.status(d.due + timedelta(days=1)) == "overdue"
    assert d.days_left(date(2024, 6, 19)) == 10


def test_crossover_wait_30_days():
    assert crossover_wait_until(date(2024, 1, 20)) == date(2024, 2, 19)
    assert crossover_wait_until(date(2024, 2, 15)) == date(2024, 3, 16)


def test_business_days_skip_weekends():
    friday = date(2024, 5, 3)
    assert add_business_days(friday, 1) == date(2024, 5, 6)  # Monday
    assert add_business_days(friday, 5) == date(2024, 5, 10)
    assert add_business_days(date(2024, 5, 4), 1) == date(2024, 5, 6)  # from Saturday
    assert add_business_days(friday, 0) == friday
    w = Window(days=15, anchor=ADJUDICATION, business=True)
    d = compute_deadline(w, date(2024, 12, 20))  # across the year end; holidays are not known
    assert d.due == date(2025, 1, 10)
    assert d.alert_on == add_business_days(date(2024, 12, 20), 12)


@settings(max_examples=300)
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)), st.integers(0, 400))
def test_business_days_roundtrip(start, n):
    end = add_business_days(start, n)
    assert end.weekday() < 5 or n == 0
    assert business_days_between(start, end) == n
    assert end >= start


@settings(max_examples=300)
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)), st.integers(0, 60))
def test_add_months_properties(start, months):
    end = add_months(start, months)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    assert end.day == start.day or (end.day < start.day and (end + timedelta(days=1)).day == 1)


def test_action_deadlines_and_overrides():
    assert action_deadline("APPEAL", "medicaid", date(2024, 3, 1)).due == date(2024, 4, 30)
    assert action_deadline("CORRECT", "commercial", date(2024, 3, 1)).due == date(2024, 5, 30)
    assert action_deadline("BILL-NEXT", "commercial", date(2024, 3, 1)) is None
    table = with_overrides(DEFAULT_WINDOWS, {"commercial": {APPEAL: Window(days=60, anchor="denial")}})
    assert appeal_deadline("commercial", date(2024, 3, 1), table).due == date(2024, 4, 30)
    assert DEFAULT_WINDOWS["commercial"][APPEAL].days == 180  # defaults untouched
    assert deadline("nosuchclass", APPEAL, date(2024, 1, 1)) is None


def test_unanswered_secondary():
    assert not unanswered(date(2024, 1, 1), date(2024, 1, 31), "commercial")
    assert unanswered(date(2024, 1, 1), date(2024, 2, 1), "commercial")


def test_window_validation():
    with pytest.raises(ValueError):
        Window(days=1, months=1)
    with pytest.raises(ValueError):
        Window(days=1, anchor="nope")
    assert compute_deadline(Window(days=10), date(2024, 1, 1), alert_fraction=D("0.5")).alert_on == date(2024, 1, 6)
