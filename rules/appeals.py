"""Working a denial to its end: the steps a biller records on a worklist item, what each step does to the
item (its stage, whether it is still open, its next deadline) and what it posts (reference §5.3, §5.5, §6).

Pure: the item's history in, the step's outcome out; no I/O, no clock (the step's date is given).

* ``note``: free text in the history; nothing else changes.
* ``corrected``: the claim was fixed; the deadline stays (the corrected-claim window).
* ``resubmitted``: sent back to the payer; the item waits for its answer (the follow-up window).
* ``appealed``: an appeal filed at the next level (1, 2 ...); the item waits for the decision.
* ``won``: the payer decided for us; the item stays open until the payer's new 835 is posted (`paid`).
* ``lost``: the appeal was lost; what is still open is written off (administrative) and the item is
  resolved. Its deadline becomes the next level's window (Medicare: reconsideration 180 days after receipt
  of the redetermination), shown in case the office reopens it to appeal further.
* ``written-off``: given up without (further) appeal: administrative write-off, resolved.
* ``reopened``: back on the open list; any write-off the item posted is reversed; the deadline is the
  next level's window after a lost appeal.

Two steps are recorded by posting, not by a person: ``paid`` (the payer's new answer after a won appeal) and
``reversed`` (the payer reversed the answer the item came from: the item is closed and any write-off it
posted is undone, since the amount it wrote off is no longer the payer's word).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .deadlines import (
    APPEAL_DECISION,
    CORRECTED_CLAIM,
    DEFAULT_WINDOWS,
    RESPONSE_WAIT,
    Window,
    appeal_level_deadline,
    follow_up_deadline,
)

Windows = Mapping[str, Mapping[str, Window]]

STEPS = ("corrected", "resubmitted", "appealed", "won", "lost", "written-off", "reopened")
NOTE, PAID, REVERSED = "note", "paid", "reversed"  # PAID, REVERSED: recorded by posting (see above)
WRITE_OFF_STEPS = ("lost", "written-off")
OPEN, RESOLVED, CLOSED = "open", "resolved", "closed"
ZERO = Decimal(0)


class StepRefused(ValueError):
    """A step that cannot be taken on the item as it stands (the message says why)."""


@dataclass(frozen=True, slots=True)
class ItemState:
    """What the history of an item says now."""

    status: str  # open | resolved | closed
    stage: str
    amount: Decimal  # the denied amount
    written_off: Decimal  # what the item's write-offs add up to now
    level: int  # appeal levels filed
    deadline: date | None
    last_decision: date | None = None  # the date of the last lost appeal (the next level counts from it)


@dataclass(frozen=True, slots=True)
class StepOutcome:
    stage: str
    status: str
    level: int
    deadline: date | None
    write_off: Decimal  # to post now (negative: a reversal of earlier write-offs)
    message: str


def written_off(events) -> Decimal:
    """What an item's steps wrote off, net of their undoing (reopened, reversed)."""
    return sum((Decimal(e.amount or 0) for e in events if e.step in (*WRITE_OFF_STEPS, "reopened", REVERSED)), ZERO)


def state_of(amount: Decimal, status: str, deadline: date | None, events) -> ItemState:
    """An item's state from its history (`events`: objects with step, happened_on, amount)."""
    stage, level, decision = "new", 0, None
    for e in events:
        if e.step == NOTE:
            continue
        stage = e.step
        if e.step == "appealed":
            level += 1
        if e.step == "lost":
            decision = date.fromisoformat(e.happened_on)
    return ItemState(status, stage, amount, written_off(events), level, deadline, decision)


def take_step(
    state: ItemState,
    step: str,
    on: date,
    payer_class: str,
    amount: Decimal | None = None,
    denial: bool = True,
    table: Windows = DEFAULT_WINDOWS,
) -> StepOutcome:
    """The outcome of `step` taken on `on`. `amount`: for lost/written-off the amount written off (default:
    all that is still open); for won, what the payer agreed to pay (recorded only). `denial`: False for a
    review item, which holds no open amount (nothing is written off). `table`: the deadline windows (the
    settings'). Raises StepRefused."""
    if step not in STEPS:
        raise StepRefused(f"unknown step {step!r}; one of {', '.join(STEPS)}")
    if state.status != OPEN and step != "reopened":
        raise StepRefused(f"the item is {state.status} ({state.stage}): reopen it first")
    if step == "reopened":
        return reopen(state, on, payer_class, table)
    if step in WRITE_OFF_STEPS:
        return write_off(state, step, on, payer_class, amount, denial, table)
    late = _late(state, on)
    if step == "appealed":
        due = follow_up_deadline(payer_class, APPEAL_DECISION, on, table)
        level = state.level + 1
        return StepOutcome(
            step, OPEN, level, due.due, ZERO, f"appeal level {level} filed; decision expected by {due.due}{late}"
        )
    if step == "won":
        due = follow_up_deadline(payer_class, RESPONSE_WAIT, on, table)
        return StepOutcome(
            step, OPEN, state.level, due.due, ZERO, f"won: waiting for the payer's new 835 (follow up after {due.due})"
        )
    if step == "resubmitted":
        due = follow_up_deadline(payer_class, RESPONSE_WAIT, on, table)
        return StepOutcome(step, OPEN, state.level, due.due, ZERO, f"resubmitted: answer expected by {due.due}{late}")
    due = state.deadline or follow_up_deadline(payer_class, CORRECTED_CLAIM, on, table).due  # corrected
    return StepOutcome(step, OPEN, state.level, due, ZERO, f"corrected: resubmit by {due}{late}")


def _late(state: ItemState, on: date) -> str:
    """What to say of a step taken past the item's deadline to act (filing an appeal, correcting or
    resubmitting), or ''. Not refused: the office may have good cause, which the payer decides (Medicare:
    42 CFR 405.942(b)). A deadline that only says when to follow up (appealed, won, resubmitted) is not one."""
    if state.deadline is None or on <= state.deadline or state.stage in ("appealed", "won", "resubmitted"):
        return ""
    days = (on - state.deadline).days
    return (
        f"; LATE: {days} day(s) past the deadline of {state.deadline}: "
        "the payer may dismiss it unless it accepts good cause for the delay"
    )


def write_off(
    state: ItemState, step: str, on: date, payer_class: str, amount: Decimal | None, denial: bool, table: Windows
) -> StepOutcome:
    """lost / written-off: the open amount (or `amount` of it) to administrative write-off; resolved."""
    left = state.amount - state.written_off if denial else ZERO
    if amount is None:
        amount = left
    if denial and not ZERO < amount <= left:
        raise StepRefused(f"the amount written off must be above 0 and at most the {left} still open, not {amount}")
    if not denial and amount:
        raise StepRefused("a review item holds no open amount: nothing can be written off")
    next_level = appeal_level_deadline(payer_class, state.level + 1, on, table) if step == "lost" else None
    due = next_level.due if next_level else None
    message = f"{step}: {amount} written off (administrative)" if denial else f"{step}: resolved"
    if step == "lost":
        message += (
            f"; appeal level {state.level + 1} possible until {due}"
            if due
            else f"; no appeal level {state.level + 1} window for {payer_class} payers"
        )
    return StepOutcome(step, RESOLVED, state.level, due, amount, message)


def reopen(state: ItemState, on: date, payer_class: str, table: Windows) -> StepOutcome:
    """Back to open: the item's write-offs reversed; after a lost appeal, the next level's window."""
    due = state.deadline
    if state.last_decision is not None and state.stage == "lost":
        found = appeal_level_deadline(payer_class, state.level + 1, state.last_decision, table)
        due = found.due if found else None
    message = "reopened"
    if state.written_off:
        message += f": write-off of {state.written_off} reversed"
    if due:
        message += f"; act by {due}"
    return StepOutcome("reopened", OPEN, state.level, due, -state.written_off, message)
