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

from .settlement import CARRIED, CREDIT, OTHER, PATIENT, RESTATED, WRITE_OFFS, Placement

KINDS = ("payment", "adjustment", "write-off", "patient-transfer")
LEVELS = ("claim", "line")
OFFICE = "office:"  # the note of every row the billing office wrote (rules.office), not a payer's posting
# "info" is what earlier versions booked for OA-23/OA-94; a posting corrects such rows away (`corrections`).
CATEGORIES = (
    "payment",
    *WRITE_OFFS,
    PATIENT,
    OTHER,
    CREDIT,
    RESTATED,
    CARRIED,
    "info",
)


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


# ------------------------------------------------------------------------------------------ rows of a posting
def payment_rows(claim_id: str, answer, timestamp: datetime) -> list[LedgerEntry]:
    """The payment rows of one posted answer (`rules.posting.Answer`): per line (SVC03), and the claim-level
    remainder (CLP04 - Σ SVC03) as a claim row. A reversal's rows carry its negative amounts."""
    base = _source(claim_id, answer, timestamp)
    rows = []
    line_paid = Decimal(0)
    for ln in answer.lines:
        if ln.paid != 0:
            rows.append(
                LedgerEntry(level="line", line=ln.line, kind="payment", amount=ln.paid, category="payment", **base)
            )
        line_paid += ln.paid
    if answer.paid - line_paid != 0 or not answer.lines:
        rows.append(
            LedgerEntry(level="claim", kind="payment", amount=answer.paid - line_paid, category="payment", **base)
        )
    return rows


def corrections(
    claim_id: str, existing: Iterable[LedgerEntry], placements: Iterable[Placement], answer, timestamp: datetime
) -> list[LedgerEntry]:
    """The rows that make a claim's non-payment ledger rows say what its statement says: for every (payer,
    place, line, CAS, category) the difference between the placed amount and the amount already booked. The
    ledger never changes; it only gains these rows, so it agrees with the statement after every posting, and a
    later answer that re-explains an amount books no second write-off (its restatement is booked as such).
    `answer` is the posting that caused them (its remittance is the rows' trace). The office's rows
    (`OFFICE`, `rules.office`) are moves on top of what the payers said, not part of it: left alone."""
    booked: dict[tuple, Decimal] = {}
    for e in existing:
        if e.kind != "payment" and not e.note.startswith(OFFICE):  # the office's moves stand on their own
            key = (e.payer, e.sequence, e.line, e.group, e.reason, e.category)
            booked[key] = booked.get(key, Decimal(0)) + e.amount
    wanted: dict[tuple, Decimal] = {}
    notes: dict[tuple, str] = {}
    for p in placements:
        key = (p.payer, p.sequence, p.line, p.group, p.reason, p.category)
        wanted[key] = wanted.get(key, Decimal(0)) + p.amount
        notes.setdefault(key, p.note)
    base = _source(claim_id, answer, timestamp)
    rows = []
    for key in sorted(set(booked) | set(wanted)):
        delta = wanted.get(key, Decimal(0)) - booked.get(key, Decimal(0))
        if delta:
            payer, sequence, line, group, reason, category = key
            rows.append(
                LedgerEntry(
                    **{**base, "payer": payer, "sequence": sequence, "note": notes.get(key, "")},
                    level="line" if line else "claim",
                    line=line,
                    kind=kind_of(category),
                    amount=delta,
                    category=category,
                    group=group,
                    reason=reason,
                )
            )
    return rows


def kind_of(category: str) -> str:
    """The ledger kind of a placement's category."""
    if category in WRITE_OFFS:
        return "write-off"
    if category == PATIENT:
        return "patient-transfer"
    return "adjustment"


def _source(claim_id: str, answer, timestamp: datetime) -> dict:
    return dict(
        timestamp=timestamp,
        claim=claim_id,
        payer=answer.payer_id,
        trace=answer.trace,
        trace_payer=answer.trace_payer,
        payer_claim_number=answer.payer_claim_number,
        sequence=answer.sequence,
        note="reversal" if answer.is_reversal else "",
    )
