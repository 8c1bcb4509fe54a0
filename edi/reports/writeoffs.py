"""The write-off report: every ledger row of kind write-off (contractual, administrative, bad debt, charity)
posted between two dates, summed by payer, reason (the CARC and its description), category, month or
billing provider. Its totals are sums of ledger rows, so they equal `edi ledger export` summed the same way.

JSON shape: {"from", "to", "totals": {"contractual", "administrative", "bad_debt", "charity"}, "rows": [...]},
each row {<dimension>: key, "description", "contractual", "administrative", "bad_debt", "charity", "total",
"entries", "claims", "remarks"}; amounts are exact decimal strings; "remarks" are the RARCs the payers gave on
the row's claims ([{"code", "description"}], each once), the words that go with a CARC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from rules.carc import carc_description, rarc_description
from rules.ledger import LedgerEntry

DIMENSIONS = ("category", "payer", "reason", "month", "provider")
CATEGORIES = ("contractual", "administrative", "bad-debt", "charity")
ZERO = Decimal(0)


def field(category: str) -> str:
    """A ledger category as a JSON field name (bad-debt -> bad_debt)."""
    return category.replace("-", "_")


def in_range(entry: LedgerEntry, start: date | None, end: date | None) -> bool:
    """True when the row was posted on a day from `start` to `end` (both included; None: open)."""
    day = entry.timestamp.date()
    return (start is None or day >= start) and (end is None or day <= end)


def write_off_rows(entries: Iterable[LedgerEntry], start: date | None, end: date | None) -> list[LedgerEntry]:
    """The ledger's write-off rows posted in the range (categories it does not count are left out)."""
    return [e for e in entries if e.kind == "write-off" and e.category in CATEGORIES and in_range(e, start, end)]


def key_of(entry: LedgerEntry, by: str, providers: dict[str, str]) -> tuple[str, str]:
    """(key, description) of a row for dimension `by`."""
    if by == "payer":
        return entry.payer or "patient", ""
    if by == "reason":
        if entry.group:
            return f"{entry.group}-{entry.reason}", carc_description(entry.reason)
        return entry.reason or "-", "policy write-off"
    if by == "month":
        return entry.timestamp.strftime("%Y-%m"), ""
    if by == "provider":
        return providers.get(entry.claim, "unknown"), ""
    return entry.category, ""


def totals(rows: Iterable[LedgerEntry]) -> dict[str, Decimal]:
    """Sum per category."""
    out = {c: ZERO for c in CATEGORIES}
    for e in rows:
        out[e.category] += e.amount
    return out


def money(value: Decimal) -> str:
    """An amount as exact text with two decimals (X12 amounts have at most two)."""
    return f"{value:.2f}"


Remarks = dict[tuple[str, str], tuple[str, ...]]  # (claim, payer) -> the RARCs of that payer's answers


def remarks_of(entries: list[LedgerEntry], remarks: Remarks) -> list[dict]:
    """The RARCs the payers gave on the claims of `entries` (each once, in order), with their descriptions."""
    codes = dict.fromkeys(code for e in entries for code in remarks.get((e.claim, e.payer), ()))
    return [{"code": code, "description": rarc_description(code)} for code in codes]


def remark_text(remarks: list[dict], described: bool) -> str:
    """A row's RARCs as one cell: 'N115 MA01', or with `described` 'N115: words; MA01: words'."""
    if described:
        return "; ".join(f"{r['code']}: {r['description']}" for r in remarks)
    return " ".join(r["code"] for r in remarks)


def summarise(entries: list[LedgerEntry], by: str, providers: dict[str, str], remarks: Remarks) -> list[dict]:
    """One row per key of dimension `by`: amounts per category, total, number of ledger rows and claims, the
    RARCs."""
    groups: dict[str, list[LedgerEntry]] = {}
    descriptions: dict[str, str] = {}
    for e in entries:
        key, description = key_of(e, by, providers)
        groups.setdefault(key, []).append(e)
        descriptions[key] = description
    rows = []
    for key, members in groups.items():
        sums = totals(members)
        row = {by: key, "description": descriptions[key]}
        row.update({field(c): money(sums[c]) for c in CATEGORIES})
        row["total"] = money(sum(sums.values(), ZERO))
        row["entries"] = len(members)
        row["claims"] = len({e.claim for e in members})
        row["remarks"] = remarks_of(members, remarks)
        rows.append(row)
    if by == "month":
        return sorted(rows, key=lambda r: r["month"])
    return sorted(rows, key=lambda r: (-Decimal(r["total"]), r[by]))


def write_off_report(
    entries: Iterable[LedgerEntry],
    start: date | None = None,
    end: date | None = None,
    by: str = "category",
    providers: dict[str, str] | None = None,
    remarks: Remarks | None = None,
) -> dict:
    """The write-off report of the ledger `entries` (all of the store's) for [start, end], by `by`; `providers`
    (claim -> billing provider) and `remarks` (`Remarks`) from the store."""
    if by not in DIMENSIONS:
        raise ValueError(f"--by {by!r}: one of {', '.join(DIMENSIONS)}")
    rows = write_off_rows(entries, start, end)
    sums = totals(rows)
    return {
        "from": start.isoformat() if start else "",
        "to": end.isoformat() if end else "",
        "totals": {field(c): money(sums[c]) for c in CATEGORIES},
        "rows": summarise(rows, by, providers or {}, remarks or {}),
    }
