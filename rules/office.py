"""The billing office's own postings: what a person decides after the payers have answered (a denial given up
or an appeal lost, a balance moved to bad debt or charity, a patient's payment), as ledger rows, and the
statement they change.

Pure functions: plain values in, `LedgerEntry` rows and a `Statement` out; no I/O, no clock.

Every office decision is a **move** of an amount of one claim, for one (payer, group, CARC), from one ledger
category to another, written as two rows that sum to zero (so each dollar stays counted once):

* a denial written off (`lost`, `written-off`): other -> administrative (kind write-off);
* bad debt after the collection effort, or charity: patient -> bad-debt / charity (kind write-off);
* a patient's payment: patient -> payment; when bad debt was booked first, bad-debt -> patient before it
  (the bad debt is reversed, to the extent of the payment);
* an undo (`reopened`, a reversal) is the same move with the opposite sign.

The rows carry a note starting with ``office:`` (`OFFICE`). `apply_office(statement, rows)` adds the moves of
a claim's office rows to its statement, so that summing the claim's ledger rows by category still equals the
statement (the posting rows explain the payers' answer, the office rows what the office did with it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from .carc import CARC_TABLE, COINSURANCE, COPAY, DEDUCTIBLE, NONCOVERED
from .ledger import OFFICE, LedgerEntry
from .payer_order import SEQUENCE
from .settlement import Placement
from .statement import PatientBalance, Statement, WriteOff

ZERO = Decimal(0)
PATIENT_PAYER = ""  # a ledger row of the patient's own payment has no payer id
PATIENT_LABEL = "patient"  # ... and is listed as paid by "patient" on the statement
WRITE_OFF_CATEGORIES = ("contractual", "administrative", "bad-debt", "charity")
KIND_OF = {
    "administrative": "write-off",
    "bad-debt": "write-off",
    "charity": "write-off",
    "other": "adjustment",
    "patient": "patient-transfer",
    "payment": "payment",
}
BUCKETS = (DEDUCTIBLE, COINSURANCE, COPAY, NONCOVERED, "other")


def is_office(entry: LedgerEntry) -> bool:
    """True for a row the office wrote (not a payer's posting)."""
    return entry.note.startswith(OFFICE)


@dataclass(frozen=True, slots=True)
class Move:
    """An amount of one (payer, group, CARC) of a claim moved from one category to another."""

    claim: str
    payer: str
    sequence: str
    group: str
    reason: str
    amount: Decimal
    source: str  # category the amount leaves
    target: str  # category it goes to
    note: str
    line: str = ""

    def rows(self, when: datetime) -> list[LedgerEntry]:
        """The two ledger rows of the move (they sum to zero)."""
        base = dict(
            timestamp=when,
            claim=self.claim,
            level="line" if self.line else "claim",
            line=self.line,
            group=self.group,
            reason=self.reason,
            sequence=self.sequence,
            note=OFFICE + " " + self.note,
        )
        payer_to = PATIENT_PAYER if self.target == "payment" else self.payer
        return [
            LedgerEntry(payer=self.payer, kind=KIND_OF[self.source], amount=-self.amount, category=self.source, **base),
            LedgerEntry(payer=payer_to, kind=KIND_OF[self.target], amount=self.amount, category=self.target, **base),
        ]


def bucket(reason: str) -> str:
    """A patient-responsibility CARC's bucket on the statement (its row's share in rules.carc)."""
    rule = CARC_TABLE.get(reason)
    return (rule.share if rule is not None and rule.share else "") or "other"


def patient_lines(stmt: Statement, buckets: Iterable[str] = BUCKETS) -> list[Placement]:
    """The patient-balance lines of a statement, deductible first, then coinsurance, copay, non-covered."""
    order = list(buckets)
    lines = [a for a in stmt.adjustments if a.category == "patient" and a.amount > 0 and bucket(a.reason) in order]
    return sorted(lines, key=lambda a: order.index(bucket(a.reason)))


def spread(lines: list[Placement], amount: Decimal, source: str, target: str, note: str, claim: str) -> list[Move]:
    """`amount` taken from `lines` in order, each at most its own amount."""
    moves, left = [], amount
    for a in lines:
        if left <= 0:
            break
        take = min(left, a.amount)
        moves.append(Move(claim, a.payer, a.sequence, a.group, a.reason, take, source, target, note))
        left -= take
    return moves


def patient_payment(stmt: Statement, amount: Decimal, note: str) -> list[Move]:
    """A patient's payment: bad debt booked on the claim is reversed first (bad-debt -> patient) up to the
    payment, then the payment is taken from the patient balance (patient -> payment). Raises ValueError when
    the payment is more than the patient owes (a credit is not posted here)."""
    if amount <= 0:
        raise ValueError(f"a payment must be above 0, not {amount}")
    owed = stmt.patient_balance.total + stmt.write_off.bad_debt
    if amount > owed:
        raise ValueError(f"payment {amount} is more than the {owed} the patient owes on claim {stmt.claim_id}")
    bad = [a for a in stmt.adjustments if a.category == "bad-debt" and a.amount > 0]
    reverse_amount = max(ZERO, amount - stmt.patient_balance.total)
    moves = spread(bad, reverse_amount, "bad-debt", "patient", "bad debt reversed: payment received", stmt.claim_id)
    after = apply_moves(stmt, moves)
    return moves + spread(patient_lines(after), amount, "patient", "payment", note, stmt.claim_id)


# ------------------------------------------------------------------------------------------ the overlay
def moves_of(entries: Iterable[LedgerEntry]) -> list[Move]:
    """The office rows of a claim read back as moves (each row on its own: +amount into its category)."""
    out = []
    for e in entries:
        if is_office(e):
            out.append(Move(e.claim, e.payer, e.sequence, e.group, e.reason, e.amount, "", e.category, e.note))
    return out


def apply_office(stmt: Statement, entries: Iterable[LedgerEntry]) -> Statement:
    """The statement with the office rows of its claim added: each row puts its amount in its category for
    its (payer, group, CARC); totals recomputed. Rows of other claims are ignored."""
    moves = [m for m in moves_of(entries) if m.claim == stmt.claim_id]
    return apply_moves(stmt, moves) if moves else stmt


def apply_moves(stmt: Statement, moves: Iterable[Move]) -> Statement:
    """`stmt` with every move applied (a move with a source takes from it too)."""
    amounts: dict[tuple, Decimal] = {}
    notes: dict[tuple, str] = {}
    for a in stmt.adjustments:
        key = (a.sequence, a.payer, a.group, a.reason, a.category)
        amounts[key] = amounts.get(key, ZERO) + a.amount
        notes.setdefault(key, a.note)
    paid = dict(stmt.paid_by_payer)
    actions = {(a.payer, a.group, a.reason): a.action for a in stmt.adjustments}
    for m in moves:
        for category, sign in ((m.source, -1), (m.target, 1)):
            if not category:
                continue
            if category == "payment":
                label = PATIENT_LABEL if m.target == "payment" or m.payer == PATIENT_PAYER else m.payer
                paid[label] = paid.get(label, ZERO) + sign * m.amount
                continue
            key = (m.sequence, m.payer, m.group, m.reason, category)
            amounts[key] = amounts.get(key, ZERO) + sign * m.amount
            if sign > 0 and m.amount > 0 and category in WRITE_OFF_CATEGORIES:
                notes[key] = m.note.removeprefix(OFFICE).strip()
    lines = [
        Placement(p, s, g, r, amt, c, action=actions.get((p, g, r), ""), note=notes.get((s, p, g, r, c), ""))
        for (s, p, g, r, c), amt in amounts.items()
        if amt != 0
    ]
    lines.sort(key=lambda a: (SEQUENCE.index(a.sequence) if a.sequence in SEQUENCE else 99, a.payer, a.group, a.reason))

    def total(category: str) -> Decimal:
        return sum((a.amount for a in lines if a.category == category), ZERO)

    shares = {
        b: sum((a.amount for a in lines if a.category == "patient" and bucket(a.reason) == b), ZERO) for b in BUCKETS
    }
    patient = PatientBalance(
        total("patient"),
        shares[DEDUCTIBLE],
        shares[COINSURANCE],
        shares[COPAY],
        shares[NONCOVERED],
        shares["other"],
        stmt.patient_balance.due_from,
    )
    write_off = WriteOff(total("contractual"), total("administrative"), total("bad-debt"), total("charity"))
    return replace(
        stmt,
        adjustments=tuple(lines),
        paid_by_payer=tuple((p, a) for p, a in paid.items() if a != 0 or p != PATIENT_LABEL),
        patient_balance=patient,
        write_off=write_off,
        other_adjustments=total("other"),
    )
