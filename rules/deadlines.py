"""Timely-filing and appeal windows (reference §6) as a default config table, and their date arithmetic.

Pure `datetime.date` arithmetic, no clock: the caller passes `today`.
* Month/year windows add calendar months; a day that does not exist in the target month is clamped to the
  month's last day (2024-02-29 + 1 year = 2025-02-28; 2024-01-31 + 1 month = 2024-02-29). Clamping gives the
  earlier, safe date.
* Day windows are calendar days unless `business` is set; business days skip Saturdays and Sundays only.
  **Public holidays are out of scope** (no holiday calendar): a business-day deadline is never later than
  the true one would be only when there is no holiday in the window; configure calendar days if in doubt.
* A deadline that falls on a weekend is not moved (the earlier date is the safe one).
* `receipt_days` presumes receipt that many days after the anchor (Medicare: the notice is presumed received
  5 days after its date, so a redetermination is due 120 days after notice date + 5).
* The alert date is when 80% (`ALERT_FRACTION`) of the window has elapsed, rounded down to a whole day.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

DOS, ADJUDICATION, REMIT_RECEIPT, DENIAL, SUBMISSION = (
    "date-of-service",
    "primary-adjudication",
    "remit-receipt",
    "denial",
    "submission",
)
ANCHORS = (DOS, ADJUDICATION, REMIT_RECEIPT, DENIAL, SUBMISSION)
ALERT_FRACTION = Decimal("0.8")

# Items (what the window is for)
TIMELY_FILING = "timely-filing"  # initial claim to this payer as primary
SECONDARY_FILING = "secondary-filing"  # claim to this payer as secondary
CORRECTED_CLAIM = "corrected-claim"
APPEAL = "appeal"  # first-level appeal (Medicare: redetermination)
RECONSIDERATION = "reconsideration"
CROSSOVER_WAIT = "crossover-wait"
RESPONSE_WAIT = "response-wait"
APPEAL_DECISION = "appeal-decision"  # how long to wait for the payer's decision on an appeal
# The appeal levels in order (Medicare's five; other classes have the first unless configured).
APPEAL_LEVELS = (APPEAL, RECONSIDERATION, "alj", "appeals-council", "federal-court")
REOPENING = "reopening"
ITEMS = (
    TIMELY_FILING,
    SECONDARY_FILING,
    CORRECTED_CLAIM,
    *APPEAL_LEVELS,
    REOPENING,
    CROSSOVER_WAIT,
    RESPONSE_WAIT,
    APPEAL_DECISION,
)


@dataclass(frozen=True, slots=True)
class Window:
    """A filing or appeal window: length (days, or months), what it counts from, and how it counts."""

    days: int = 0
    months: int = 0
    anchor: str = DOS
    business: bool = False
    receipt_days: int = 0  # presumed receipt after the anchor date (calendar days)
    note: str = ""

    def __post_init__(self):
        if self.anchor not in ANCHORS:
            raise ValueError(f"unknown anchor {self.anchor!r}")
        if (self.days and self.months) or self.days < 0 or self.months < 0:
            raise ValueError("a window is either days or months, not negative")
        if self.business and self.months:
            raise ValueError("business days count days, not months")


def _w(**kw) -> Window:
    return Window(**kw)


# Defaults of §6, keyed by payer class then item. Everything is configurable: pass your own table, or
# merge overrides with `with_overrides`.
DEFAULT_WINDOWS: dict[str, dict[str, Window]] = {
    "medicare": {
        TIMELY_FILING: _w(months=12, anchor=DOS, note="42 CFR 424.44; institutional span: the through date"),
        SECONDARY_FILING: _w(months=12, anchor=DOS, note="Medicare as secondary (MSP) keeps 12 months from DOS"),
        CORRECTED_CLAIM: _w(
            months=12, anchor=ADJUDICATION, note="same as timely filing, from the original adjudication"
        ),
        APPEAL: _w(
            days=120,
            anchor=DENIAL,
            receipt_days=5,
            note="redetermination: 120 days from receipt, presumed 5 days after the notice",
        ),
        RECONSIDERATION: _w(
            days=180, anchor=DENIAL, receipt_days=5, note="QIC, from receipt of the redetermination decision"
        ),
        "alj": _w(days=60, anchor=DENIAL, receipt_days=5),
        "appeals-council": _w(days=60, anchor=DENIAL, receipt_days=5),
        "federal-court": _w(days=60, anchor=DENIAL, receipt_days=5),
        REOPENING: _w(months=12, anchor=ADJUDICATION, note="clerical error; up to 4 years for good cause"),
        APPEAL_DECISION: _w(
            days=60, anchor=SUBMISSION, note="a redetermination is usually decided within 60 days of its filing"
        ),
        CROSSOVER_WAIT: _w(
            days=30,
            anchor=REMIT_RECEIPT,
            note="Medigap/crossover wait before direct billing, "
            "from the Medicare remit date; CMS suggests >= 15 working days",
        ),
    },
    "commercial": {
        TIMELY_FILING: _w(days=90, anchor=DOS, note="typical range 90-365"),
        SECONDARY_FILING: _w(days=90, anchor=ADJUDICATION, note="typical range 60-180 from the primary EOB"),
        CORRECTED_CLAIM: _w(days=90, anchor=ADJUDICATION),
        APPEAL: _w(days=180, anchor=DENIAL, note="contract-defined, often 60-180"),
        RECONSIDERATION: _w(
            days=60,
            anchor=DENIAL,
            note="second-level appeal, from the first-level decision: contract-defined (not a reference figure); "
            "ERISA group health plans may require at most two levels (29 CFR 2560.503-1(c)(2))",
        ),
        RESPONSE_WAIT: _w(
            days=30,
            anchor=SUBMISSION,
            note="not a reference figure: when to chase an unanswered claim (configure per payer)",
        ),
    },
    "medicaid": {
        SECONDARY_FILING: _w(days=180, anchor=ADJUDICATION, note="states vary"),
        CORRECTED_CLAIM: _w(days=180, anchor=ADJUDICATION),
        APPEAL: _w(days=60, anchor=DENIAL, note="state-specific, 30-90"),
        RESPONSE_WAIT: _w(days=30, anchor=SUBMISSION, note="not a reference figure"),
    },
    "tricare": {
        TIMELY_FILING: _w(months=12, anchor=DOS),
    },
    "medigap": {
        SECONDARY_FILING: _w(days=90, anchor=ADJUDICATION, note="as commercial secondary"),
        RESPONSE_WAIT: _w(days=30, anchor=REMIT_RECEIPT, note="crossover wait (CMS/IBX), from the Medicare remit date"),
    },
}


def with_overrides(
    base: Mapping[str, Mapping[str, Window]], overrides: Mapping[str, Mapping[str, Window]]
) -> dict[str, dict[str, Window]]:
    """A new table: `base` with `overrides[payer_class][item]` replacing or adding entries."""
    out = {k: dict(v) for k, v in base.items()}
    for cls, items in overrides.items():
        out.setdefault(cls, {}).update(items)
    return out


# ------------------------------------------------------------------------------------------ arithmetic
def add_months(d: date, months: int) -> date:
    """`d` plus calendar months, the day clamped to the target month's end."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def add_business_days(d: date, n: int) -> date:
    """`d` plus n weekdays (Mon–Fri). Holidays are not known. From a weekend, counting starts Monday."""
    if n < 0:
        raise ValueError("n must be >= 0")
    current = d
    while n:
        current += timedelta(days=1)
        if current.weekday() < 5:
            n -= 1
    return current


def business_days_between(start: date, end: date) -> int:
    """Weekdays in (start, end]: the n with add_business_days(start, n) == end when end is a weekday."""
    if end <= start:
        return 0
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for i in range(1, rest + 1):
        if (start + timedelta(days=weeks * 7 + i)).weekday() < 5:
            count += 1
    return count


@dataclass(frozen=True, slots=True)
class Deadline:
    item: str
    payer_class: str
    anchor_date: date
    start: date  # anchor date plus presumed receipt days
    due: date  # last day to act
    alert_on: date  # from this day the item is in the alert band
    window: Window

    def status(self, today: date) -> str:
        """'ok', 'alert' (>= 80% of the window gone) or 'overdue' (after the due date)."""
        if today > self.due:
            return "overdue"
        if today >= self.alert_on:
            return "alert"
        return "ok"

    def days_left(self, today: date) -> int:
        return (self.due - today).days


def _floor(x: Decimal) -> int:
    return int(x.to_integral_value(rounding=ROUND_FLOOR))


def compute_deadline(
    window: Window,
    anchor_date: date,
    *,
    item: str = "",
    payer_class: str = "",
    alert_fraction: Decimal = ALERT_FRACTION,
) -> Deadline:
    start = anchor_date + timedelta(days=window.receipt_days)
    if window.business:
        due = add_business_days(start, window.days)
        alert_on = add_business_days(start, _floor(window.days * alert_fraction))
    else:
        due = add_months(start, window.months) if window.months else start + timedelta(days=window.days)
        alert_on = start + timedelta(days=_floor((due - start).days * alert_fraction))
    return Deadline(item, payer_class, anchor_date, start, due, alert_on, window)


def deadline(
    payer_class: str,
    item: str,
    anchor_date: date,
    table: Mapping[str, Mapping[str, Window]] = DEFAULT_WINDOWS,
) -> Deadline | None:
    """The deadline for `item` at a payer of `payer_class`, counted from `anchor_date` (which must be the
    date the window's anchor names); None when the table has no such window."""
    window = table.get(payer_class, {}).get(item)
    if window is None:
        return None
    return compute_deadline(window, anchor_date, item=item, payer_class=payer_class)


def window_anchor(
    payer_class: str, item: str, table: Mapping[str, Mapping[str, Window]] = DEFAULT_WINDOWS
) -> str | None:
    """Which date `deadline` expects for this item (DOS, primary adjudication, remit receipt, denial ...)."""
    window = table.get(payer_class, {}).get(item)
    return window.anchor if window else None


# ------------------------------------------------------------------------------------- the §6 uses
def secondary_filing_deadline(
    payer_class: str,
    primary_adjudication: date,
    date_of_service: date,
    table: Mapping[str, Mapping[str, Window]] = DEFAULT_WINDOWS,
) -> Deadline | None:
    """Timely filing of the secondary claim: from the primary's adjudication date (DTP*573 = BPR16), or from
    the DOS when the class counts from the DOS (Medicare as secondary)."""
    anchor = window_anchor(payer_class, SECONDARY_FILING, table)
    if anchor is None:
        return None
    return deadline(payer_class, SECONDARY_FILING, date_of_service if anchor == DOS else primary_adjudication, table)


def appeal_deadline(
    payer_class: str, denial_date: date, table: Mapping[str, Mapping[str, Window]] = DEFAULT_WINDOWS
) -> Deadline | None:
    """First-level appeal: Medicare redetermination 120 days from presumed receipt (notice date + 5)."""
    return deadline(payer_class, APPEAL, denial_date, table)


def crossover_wait_until(
    medicare_remit_date: date, table: Mapping[str, Mapping[str, Window]] = DEFAULT_WINDOWS
) -> date:
    """The day from which the supplemental claim may be billed directly when no crossover 835 came."""
    found = deadline("medicare", CROSSOVER_WAIT, medicare_remit_date, table)
    assert found is not None
    return found.due


def action_deadline(
    action: str,
    payer_class: str,
    adjudication_date: date,
    table: Mapping[str, Mapping[str, Window]] = DEFAULT_WINDOWS,
) -> Deadline | None:
    """§2.5: APPEAL -> the appeal window from the denial (835) date; CORRECT -> the corrected-claim window
    from the adjudication date; other actions have no deadline here."""
    if action == "APPEAL":
        return appeal_deadline(payer_class, adjudication_date, table)
    if action == "CORRECT":
        return deadline(payer_class, CORRECTED_CLAIM, adjudication_date, table)
    return None


def unanswered(
    sent: date, today: date, payer_class: str, table: Mapping[str, Mapping[str, Window]] = DEFAULT_WINDOWS
) -> bool:
    """True when a claim sent on `sent` has had no answer past the class's response wait."""
    found = deadline(payer_class, RESPONSE_WAIT, sent, table)
    return found is not None and today > found.due


def replace_window(window: Window, **changes) -> Window:
    return replace(window, **changes)


def appeal_level_deadline(
    payer_class: str, level: int, decision_date: date, table: Mapping[str, Mapping[str, Window]] = DEFAULT_WINDOWS
) -> Deadline | None:
    """The window to file appeal `level` (1 = first appeal, 2 = Medicare reconsideration ...), counted from the
    decision it answers; None when the class has no window for that level (or past the last level)."""
    if not 1 <= level <= len(APPEAL_LEVELS):
        return None
    return deadline(payer_class, APPEAL_LEVELS[level - 1], decision_date, table)


def follow_up_deadline(
    payer_class: str, item: str, sent: date, table: Mapping[str, Mapping[str, Window]] = DEFAULT_WINDOWS
) -> Deadline:
    """When to chase the payer about something sent on `sent` (an appeal, a corrected claim, a won appeal's
    payment): the class's window for `item`, else its response wait, else the commercial response wait."""
    for cls, name in ((payer_class, item), (payer_class, RESPONSE_WAIT), ("commercial", RESPONSE_WAIT)):
        found = deadline(cls, name, sent, table)
        if found is not None:
            return found
    return compute_deadline(Window(days=30, anchor=SUBMISSION), sent, item=item, payer_class=payer_class)
