"""An append-only ledger of postings, exported to JSONL and CSV and read back exactly.

Every amount is a Decimal written as its exact text (`str(Decimal)`), never a float; timestamps are ISO 8601
(`datetime.isoformat`, with the offset when the datetime is aware). `read_jsonl(export_jsonl(ledger))` and
`read_csv(export_csv(ledger))` give the same entries back, field for field.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal

KINDS = ("payment", "adjustment", "write-off", "patient-transfer")
LEVELS = ("claim", "line")
CATEGORIES = ("payment", "contractual", "patient", "administrative", "bad-debt", "charity", "other", "info")


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    timestamp: datetime
    claim: str  # claim key (CLP01 / CLM01)
    payer: str  # payer id ("" for patient-side entries not tied to a payer)
    level: str  # claim | line
    kind: str  # payment | adjustment | write-off | patient-transfer
    amount: Decimal
    category: str
    group: str = ""  # CAS group (CO/PR/OA/PI), "" for payments and policy write-offs
    reason: str = ""  # CARC, or a policy reason (small-balance, bad-debt)
    line: str = ""  # line key (REF*6R or #n) when level == "line"
    trace: str = ""  # TRN02 of the source remittance
    trace_payer: str = ""  # TRN03
    payer_claim_number: str = ""  # CLP07
    sequence: str = ""  # P, S, T ... the payer's place
    note: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} not in {KINDS}")
        if self.level not in LEVELS:
            raise ValueError(f"level {self.level!r} not in {LEVELS}")
        if self.category not in CATEGORIES:
            raise ValueError(f"category {self.category!r} not in {CATEGORIES}")
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"amount must be Decimal, not {type(self.amount).__name__}")


FIELDS = tuple(f.name for f in fields(LedgerEntry))


class Ledger:
    """Append-only: entries can be added and read, never changed or removed (corrections are new entries)."""

    __slots__ = ("_entries",)

    def __init__(self, entries: Iterable[LedgerEntry] = ()):
        self._entries: list[LedgerEntry] = []
        self.extend(entries)

    def append(self, entry: LedgerEntry) -> None:
        if not isinstance(entry, LedgerEntry):
            raise TypeError("a ledger holds LedgerEntry values")
        self._entries.append(entry)

    def extend(self, entries: Iterable[LedgerEntry]) -> None:
        for e in entries:
            self.append(e)

    @property
    def entries(self) -> tuple[LedgerEntry, ...]:
        return tuple(self._entries)

    def __iter__(self) -> Iterator[LedgerEntry]:
        return iter(tuple(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ledger) and self._entries == other._entries

    def for_claim(self, claim: str) -> tuple[LedgerEntry, ...]:
        return tuple(e for e in self._entries if e.claim == claim)

    def total(self, claim: str | None = None, kind: str | None = None, category: str | None = None) -> Decimal:
        return sum(
            (
                e.amount
                for e in self._entries
                if (claim is None or e.claim == claim)
                and (kind is None or e.kind == kind)
                and (category is None or e.category == category)
            ),
            Decimal(0),
        )


def _to_row(entry: LedgerEntry) -> dict[str, str]:
    row = {}
    for name in FIELDS:
        value = getattr(entry, name)
        row[name] = value.isoformat() if isinstance(value, datetime) else str(value)
    return row


def _from_row(row: dict[str, str]) -> LedgerEntry:
    missing = [n for n in FIELDS if n not in row]
    if missing:
        raise ValueError(f"ledger row lacks {missing}")
    values: dict = {n: row[n] for n in FIELDS}
    values["timestamp"] = datetime.fromisoformat(row["timestamp"])
    values["amount"] = Decimal(row["amount"])
    return LedgerEntry(**values)


def export_jsonl(entries: Iterable[LedgerEntry]) -> str:
    """One JSON object per line; amounts and timestamps as exact strings."""
    return "".join(json.dumps(_to_row(e), ensure_ascii=False) + "\n" for e in entries)


def read_jsonl(text: str) -> Ledger:
    # split on "\n" only: str.splitlines would also split on U+0085, U+2028 ... inside a JSON string
    return Ledger(_from_row(json.loads(line)) for line in text.split("\n") if line.strip())


def export_csv(entries: Iterable[LedgerEntry]) -> str:
    """CSV with a header row (the LedgerEntry field names), quoted as needed, '\\r\\n' line ends."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for e in entries:
        writer.writerow(_to_row(e))
    return out.getvalue()


def read_csv(text: str) -> Ledger:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return Ledger(_from_row(row) for row in reader)
