"""The collection effort on a patient balance, and when what is still unpaid becomes bad debt
(reference §5.3). Pure date arithmetic: the statements already sent and today in, the next step out.

* A balance due from the patient gets a statement, then one every `interval_days`, up to `statements`.
* After the last statement, once `bad_debt_after_days` have passed since the first one (and
  `interval_days` since the last), what is still unpaid is moved to bad debt: never at posting time.
* **Medicare bad debt** (cost-reported providers, 42 CFR 413.89): only the Medicare deductible and
  coinsurance count, and only when the first bill to the patient went out within 120 days of the later of
  the Medicare remittance and the secondary payer's remittance (Novitas/FCSO, cost-report periods from
  10/1/2020). The rest of a balance written off is bad debt for the books, not Medicare bad debt.
* A payment after the bad debt reverses it, up to the payment (`rules.office.patient_payment`); a payer's
  later payment that lowers the balance reverses the bad debt booked on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from .carc import COINSURANCE, DEDUCTIBLE

STATEMENT, BAD_DEBT = "statement", "bad-debt"
MEDICARE_SHARES = (DEDUCTIBLE, COINSURANCE)


@dataclass(frozen=True, slots=True)
class Effort:
    """The office's collection effort (settings [collections])."""

    statements: int = 3
    interval_days: int = 30
    bad_debt_after_days: int = 120
    medicare_first_bill_days: int = 120


def next_step(effort: Effort, sent: list[date], today: date) -> str | None:
    """STATEMENT, BAD_DEBT or None (nothing due today) for a balance the patient owes, given the days the
    statements were sent (in order)."""
    if not sent:
        return STATEMENT
    since_last = (today - sent[-1]).days
    if len(sent) < effort.statements:
        return STATEMENT if since_last >= effort.interval_days else None
    if (today - sent[0]).days >= effort.bad_debt_after_days and since_last >= effort.interval_days:
        return BAD_DEBT
    return None


def medicare_first_bill_in_time(effort: Effort, first_bill: date, remittances: Iterable[date]) -> bool:
    """True when the first patient bill went out within the window after the later of the remittances."""
    dates = list(remittances)
    if not dates:
        return False
    return first_bill <= max(dates) + timedelta(days=effort.medicare_first_bill_days)


def medicare_share(share: str) -> bool:
    """True for the patient-balance shares Medicare bad debt may include (deductible, coinsurance)."""
    return share in MEDICARE_SHARES
