"""Working a denial: each step's stage, status, deadline and write-off (rules.appeals)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from rules.appeals import StepRefused, state_of, take_step
from rules.deadlines import DEFAULT_WINDOWS, DENIAL, RECONSIDERATION, Window, appeal_level_deadline, with_overrides


@dataclass
class Event:
    step: str
    happened_on: str
    amount: str = ""


def state(*events: Event, status: str = "open", amount: str = "80"):
    return state_of(D(amount), status, date(2024, 8, 18), list(events))


def test_appealed_counts_levels_and_waits_for_the_decision():
    out = take_step(state(), "appealed", date(2024, 6, 1), "medicare")
    assert (out.stage, out.status, out.level, out.write_off) == ("appealed", "open", 1, D(0))
    assert out.deadline == date(2024, 7, 31)  # a redetermination is decided within 60 days
    out = take_step(state(Event("appealed", "2024-06-01")), "appealed", date(2024, 9, 1), "commercial")
    assert out.level == 2 and out.deadline == date(2024, 10, 1)  # no decision window: the 30-day response wait


def test_lost_writes_off_what_is_open_and_shows_the_next_level_window():
    out = take_step(state(Event("appealed", "2024-06-01")), "lost", date(2024, 7, 20), "medicare")
    assert (out.status, out.write_off) == ("resolved", D(80))
    # Medicare level 2 (reconsideration): 180 days from receipt, presumed 5 days after the decision
    assert out.deadline == date(2024, 7, 20) + timedelta(days=185)
    assert out.deadline == appeal_level_deadline("medicare", 2, date(2024, 7, 20)).due
    partial = take_step(state(), "written-off", date(2024, 7, 20), "commercial", D("30.50"))
    assert partial.write_off == D("30.50") and partial.deadline is None


def test_a_commercial_second_level_has_its_window_and_the_settings_move_it():
    lost = state(Event("appealed", "2024-06-01"))
    out = take_step(lost, "lost", date(2024, 7, 20), "commercial")
    assert out.deadline == date(2024, 9, 18) and "appeal level 2 possible until 2024-09-18" in out.message
    table = with_overrides(DEFAULT_WINDOWS, {"commercial": {RECONSIDERATION: Window(days=30, anchor=DENIAL)}})
    assert take_step(lost, "lost", date(2024, 7, 20), "commercial", table=table).deadline == date(2024, 8, 19)
    medicaid = take_step(lost, "lost", date(2024, 7, 20), "medicaid")  # no second level on file for the class
    assert medicaid.deadline is None and "no appeal level 2 window for medicaid payers" in medicaid.message
    two_levels = state(
        Event("appealed", "2024-06-01"),
        Event("lost", "2024-07-20", "80"),
        Event("reopened", "2024-08-01", "-80"),
        Event("appealed", "2024-08-02"),
    )
    assert take_step(two_levels, "lost", date(2024, 9, 30), "commercial").deadline is None  # no level 3


def test_reopened_reverses_the_write_off_and_moves_the_deadline():
    history = [Event("appealed", "2024-06-01"), Event("lost", "2024-07-20", "80")]
    out = take_step(state(*history, status="resolved"), "reopened", date(2024, 8, 1), "medicare")
    assert (out.status, out.write_off) == ("open", D(-80))
    assert out.deadline == date(2025, 1, 21)  # the level-2 window counts from the lost decision
    again = take_step(state(*history, Event("reopened", "2024-08-01", "-80")), "appealed", date(2024, 8, 2), "medicare")
    assert again.level == 2


def test_won_waits_for_the_payers_new_answer():
    out = take_step(state(), "won", date(2024, 9, 1), "commercial")
    assert (out.stage, out.status, out.write_off) == ("won", "open", D(0)) and out.deadline == date(2024, 10, 1)


@pytest.mark.parametrize(
    "events,status,step,amount",
    [
        ((), "open", "lost", D(81)),  # more than is open
        ((), "open", "written-off", D(0)),
        ((Event("lost", "2024-07-01", "80"),), "resolved", "appealed", None),  # resolved: reopen first
        ((), "open", "escalated", None),  # not a step
    ],
)
def test_refused_steps(events, status, step, amount):
    with pytest.raises(StepRefused):
        take_step(state(*events, status=status), step, date(2024, 7, 1), "commercial", amount)


def test_a_review_item_resolves_without_a_write_off():
    out = take_step(state(), "written-off", date(2024, 7, 1), "commercial", None, denial=False)
    assert (out.status, out.write_off) == ("resolved", D(0))


def test_a_step_past_the_deadline_to_act_is_taken_and_said_to_be_late():
    """Filing, correcting or resubmitting after the item's deadline is recorded (the payer decides on good
    cause) and the message says how late; a follow-up date (waiting for a decision) is not a deadline to act."""
    on_time = take_step(state(), "appealed", date(2024, 8, 18), "medicare")
    assert "LATE" not in on_time.message
    late = take_step(state(), "appealed", date(2024, 8, 28), "medicare")
    assert late.status == "open" and late.level == 1
    assert "LATE: 10 day(s) past the deadline of 2024-08-18" in late.message
    assert (
        "LATE"
        in take_step(state(Event("corrected", "2024-08-01")), "resubmitted", date(2024, 9, 1), "commercial").message
    )
    waiting = state(Event("appealed", "2024-06-01"))  # its deadline is when the decision is expected
    assert "LATE" not in take_step(waiting, "appealed", date(2024, 9, 1), "medicare").message
