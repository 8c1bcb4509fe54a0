"""A claim's statement: where every dollar of its charge stands, each counted once.

    charge = Σ paid by payers + write-offs (contractual, administrative, bad debt, charity)
             + other adjustments (open denials and items to work) + patient balance
             + awaiting payer (not answered yet) - credit (paid beyond what was open)

`balanced` checks that identity on parts that were each placed on their own (`rules.settlement`); nothing is
a residual. What cannot be placed (an answer that does not add up to the charge) is `unresolved`: it breaks
the identity, makes the statement unbalanced and goes on the review list, never written off or billed.

Patient-balance policy (`StatementPolicy`): a patient balance owed by the patient (no payer left) that is > 0
and under `small_balance_threshold` becomes an administrative write-off; `uncollectible=True` moves it to
bad debt. Neither happens by default, and neither while anything is unresolved.

Plain values in, plain values out; Decimal money; no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from . import denials
from .carc import COINSURANCE_CARCS, COPAY_CARCS, DEDUCTIBLE_CARCS, PATIENT_NONCOVERED_CARCS
from .payer_order import SEQUENCE
from .posting import Answer, ClaimAccount
from .settlement import (
    ADMINISTRATIVE,
    BAD_DEBT,
    CARRIED,
    CHARITY,
    CLAIM_LEVEL,
    CONTRACTUAL,
    CREDIT,
    OTHER,
    PATIENT,
    RESTATED,
    Item,
    PayerAnswer,
    Placement,
    settle,
)

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class StatementPolicy:
    """The billing office's decisions the statement applies."""

    small_balance_threshold: Decimal = ZERO  # patient balances > 0 and < this: administrative write-off
    uncollectible: bool = False  # the patient-balance policy deems the balance uncollectible: bad debt
    abandoned: frozenset[tuple[str, str, str]] = frozenset()  # (payer, group, CARC) denials given up: WO-A
    overrides: denials.Overrides | None = None  # per-payer CARC action overrides


@dataclass(frozen=True, slots=True)
class PatientBalance:
    total: Decimal = ZERO
    deductible: Decimal = ZERO
    coinsurance: Decimal = ZERO
    copay: Decimal = ZERO
    noncovered: Decimal = ZERO
    other: Decimal = ZERO
    due_from: str = "patient"  # "patient", or the id of the next payer that has not answered yet

    def to_dict(self) -> dict:
        """The JSON shape: amounts as exact decimal strings."""
        return {
            "total": str(self.total),
            "deductible": str(self.deductible),
            "coinsurance": str(self.coinsurance),
            "copay": str(self.copay),
            "noncovered": str(self.noncovered),
            "other": str(self.other),
            "due_from": self.due_from,
        }


@dataclass(frozen=True, slots=True)
class WriteOff:
    contractual: Decimal = ZERO
    administrative: Decimal = ZERO
    bad_debt: Decimal = ZERO
    charity: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.contractual + self.administrative + self.bad_debt + self.charity

    def to_dict(self) -> dict:
        """The JSON shape: amounts as exact decimal strings."""
        return {
            "contractual": str(self.contractual),
            "administrative": str(self.administrative),
            "bad_debt": str(self.bad_debt),
            "charity": str(self.charity),
        }


@dataclass(frozen=True, slots=True)
class Statement:
    claim_id: str
    charge: Decimal
    paid_by_payer: tuple[tuple[str, Decimal], ...]  # (payer id, net paid), in payer order
    adjustments: tuple[Placement, ...]  # counted: each dollar once (summed over lines)
    informational: tuple[Placement, ...]  # not counted: restated by a later payer, PR carried to the next
    patient_balance: PatientBalance
    write_off: WriteOff
    other_adjustments: Decimal  # open denials and items to work
    credit: Decimal  # paid beyond what was left open: a refund to review (>= 0)
    awaiting_payer: Decimal  # not answered by any payer yet
    unresolved: Decimal  # the charge less every placed part: what the answers leave unplaced; 0 when balanced
    review: tuple[str, ...] = ()
    last_payer: str = ""
    placements: tuple[Placement, ...] = ()  # every placement, line by line: what the ledger books

    @property
    def paid_total(self) -> Decimal:
        return sum((amt for _, amt in self.paid_by_payer), ZERO)

    @property
    def placed_total(self) -> Decimal:
        """Every part the statement placed: what must equal the charge."""
        return (
            self.paid_total
            + self.write_off.total
            + self.other_adjustments
            + self.patient_balance.total
            + self.awaiting_payer
            - self.credit
        )

    def is_balanced(self) -> bool:
        """The placed parts add up to the charge, with nothing left unresolved."""
        return self.placed_total == self.charge

    def to_dict(self) -> dict:
        """The JSON shape of `edi statement --json`: amounts as exact decimal strings."""
        return {
            "claim_id": self.claim_id,
            "charge": str(self.charge),
            "paid_by_payer": {p: str(a) for p, a in self.paid_by_payer},
            "adjustments": [a.to_dict() for a in self.adjustments],
            "informational": [a.to_dict() for a in self.informational],
            "patient_balance": self.patient_balance.to_dict(),
            "write_off": self.write_off.to_dict(),
            "other_adjustments": str(self.other_adjustments),
            "credit": str(self.credit),
            "awaiting_payer": str(self.awaiting_payer),
            "unresolved": str(self.unresolved),
            "review": list(self.review),
            "last_payer": self.last_payer,
            "balanced": self.is_balanced(),
        }


def statement(account: ClaimAccount, policy: StatementPolicy = StatementPolicy()) -> Statement:
    """The account's statement: its answers settled in payer order, the office's policy applied."""
    answers = payer_answers(account)
    settlement = settle(account.charge, answers, _classifier(policy))
    counted = [p for p in settlement.placements if p.category not in (RESTATED, CARRIED)]
    informational = [p for p in settlement.placements if p.category in (RESTATED, CARRIED)]
    paid_by_payer = tuple((a.payer, a.paid) for a in answers)
    last = answers[-1] if answers else None
    due_from = _due_from(account, last)
    awaiting = account.charge if last is None else ZERO
    unexplained = sum((gap for _, gap in settlement.unexplained), ZERO)
    if due_from == "patient" and unexplained == 0:
        counted = _patient_policy(counted, policy)
    counted.sort(key=_order)
    informational.sort(key=_order)

    def total(category: str) -> Decimal:
        return sum((p.amount for p in counted if p.category == category), ZERO)

    patient = [p for p in counted if p.category == PATIENT]
    balance = PatientBalance(total(PATIENT), due_from=due_from, **_buckets(patient))
    write_off = WriteOff(total(CONTRACTUAL), total(ADMINISTRATIVE), total(BAD_DEBT), total(CHARITY))
    placed = sum(paid for _, paid in paid_by_payer) + sum((p.amount for p in counted), ZERO) + awaiting
    return Statement(
        account.claim_id,
        account.charge,
        paid_by_payer,
        _summed(counted),
        _summed(informational),
        balance,
        write_off,
        total(OTHER),
        -total(CREDIT),
        awaiting,
        account.charge - placed,
        tuple(_review(counted, settlement.unexplained)),
        last.payer if last else "",
        tuple(counted + informational),
    )


def payer_answers(account: ClaimAccount) -> list[PayerAnswer]:
    """Each payer's active answers (reversed ones cancelled), netted into one, in payer order."""
    by_payer: dict[tuple[str, str], list[Answer]] = {}
    for answer in account.active():
        by_payer.setdefault((answer.sequence, answer.payer_id), []).append(answer)
    out = []
    for (sequence, payer), answers in sorted(by_payer.items(), key=lambda kv: SEQUENCE.index(kv[0][0])):
        items = tuple(
            Item(a.group, a.reason, a.amount, a.line if a.level == "line" else CLAIM_LEVEL)
            for answer in answers
            for a in answer.adjustments
            if a.amount
        )
        lines = tuple((ln.line, ln.charge) for answer in answers for ln in answer.lines)
        line_paid = tuple((ln.line, ln.paid) for answer in answers for ln in answer.lines)
        remarks = tuple(r for answer in answers for r in answer.remarks)
        paid = sum((answer.paid for answer in answers), ZERO)
        out.append(PayerAnswer(payer, sequence, paid, lines, items, remarks, line_paid))
    return out


def _classifier(policy: StatementPolicy):
    def classify(payer: str, group: str, reason: str, amount: Decimal, remarks: tuple[str, ...]):
        cls = denials.classify(group, reason, amount, remarks, payer_id=payer, overrides=policy.overrides)
        note = "needs review" if cls.needs_review else ""
        if cls.action == denials.WO_C:
            return CONTRACTUAL, cls.action, note
        if cls.action == denials.WO_A or (payer, group, reason) in policy.abandoned:
            return ADMINISTRATIVE, cls.action, note
        if cls.action == denials.INFO and amount < 0:  # paid above the charge (OA-94): a negative allowance
            return CONTRACTUAL, cls.action, note or "paid above the charge"
        return OTHER, cls.action, note

    return classify


def _due_from(account: ClaimAccount, last: PayerAnswer | None) -> str:
    if last is None:
        return account.payers[0][1] if account.payers else "unknown"
    nxt = account.next_payer(last.sequence)
    return nxt[1] if nxt is not None else "patient"


def _patient_policy(counted: list[Placement], policy: StatementPolicy) -> list[Placement]:
    """Small balances written off (administrative), or the whole balance to bad debt, when the policy says."""
    patient_total = sum((p.amount for p in counted if p.category == PATIENT), ZERO)
    if patient_total <= 0:
        return counted
    if patient_total < policy.small_balance_threshold:
        category, note = ADMINISTRATIVE, "small balance"
    elif policy.uncollectible:
        category, note = BAD_DEBT, "uncollectible per patient-balance policy"
    else:
        return counted
    return [replace(p, category=category, note=note) if p.category == PATIENT else p for p in counted]


def _buckets(patient: list[Placement]) -> dict[str, Decimal]:
    buckets = {"deductible": ZERO, "coinsurance": ZERO, "copay": ZERO, "noncovered": ZERO, "other": ZERO}
    for p in patient:
        buckets[_bucket(p.reason)] += p.amount
    return buckets


def _bucket(reason: str) -> str:
    if reason in DEDUCTIBLE_CARCS:
        return "deductible"
    if reason in COINSURANCE_CARCS:
        return "coinsurance"
    if reason in COPAY_CARCS:
        return "copay"
    if reason in PATIENT_NONCOVERED_CARCS:
        return "noncovered"
    return "other"


def _review(counted: list[Placement], unexplained) -> list[str]:
    review = []
    for p in counted:
        if p.note == "needs review":
            review.append(f"{p.payer} {p.group}-{p.reason} {p.amount}: classification needs review")
        if p.category == OTHER:
            review.append(f"{p.payer} {p.group}-{p.reason} {p.amount}: open item, action {p.action or 'review'}")
        if p.category == CREDIT:
            review.append(f"credit of {-p.amount} from payer {p.payer}: {p.note}")
    for payer, gap in unexplained:
        review.append(
            f"{gap} of payer {payer}'s answer cannot be placed: its payment and adjustments do not add up to the "
            "claim's charge; review (not written off, not billed)"
        )
    return review


def _summed(placements: list[Placement]) -> tuple[Placement, ...]:
    """Placements summed over lines: one per payer, CAS and category (what a person reads)."""
    sums: dict[tuple, Placement] = {}
    for p in placements:
        key = (p.payer, p.sequence, p.group, p.reason, p.category, p.action, p.note)
        seen = sums.get(key)
        sums[key] = replace(p, line=CLAIM_LEVEL) if seen is None else replace(seen, amount=seen.amount + p.amount)
    return tuple(p for p in sums.values() if p.amount)


def _order(p: Placement) -> tuple:
    return (SEQUENCE.index(p.sequence), p.payer, p.line, p.group, p.reason, p.category)
