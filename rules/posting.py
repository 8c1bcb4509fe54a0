"""Posting a payer's answer on a claim account: what was answered, and whether it can be posted.

Plain values in, plain values out; Decimal money; no I/O, no clock.

* `Answer` is one payer's answer on one claim (one 835 CLP with its lines and adjustments):
  `Answer.from_835(claim_payment, payer_id, sequence)` builds it from the reader's `ClaimPayment`.
* `ClaimAccount` holds the charge, the expected payers in sequence (P, S, T ...) and every answer posted.
  `post(account, answer)` returns a new account (or the same one when the posting is refused) and findings.
  A reversal (CLP02=22) must exactly negate an answer of the same payer with the same CLP07 already on the
  account; the pair then nets to zero and the correction that follows is the payer's word. A second posting
  of the same (payer, CLP07, reversal or not, TRN02) is refused.

What the answers mean for the charge, each dollar once, is `rules.settlement` and `rules.statement`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from parsers.models import ClaimPayment, balanced_paid
from parsers.syntax import parse_date

from . import denials
from .payer_order import SEQUENCE

ZERO = Decimal(0)


# ------------------------------------------------------------------------------------------ inputs
@dataclass(frozen=True, slots=True)
class PostedAdjustment:
    group: str
    reason: str
    amount: Decimal
    level: str = "claim"  # claim | line
    line: str = ""  # line key when level == "line"


@dataclass(frozen=True, slots=True)
class LinePayment:
    line: str  # REF*6R, else "#n" (position among the claim's SVC loops)
    charge: Decimal
    paid: Decimal
    allowed: Decimal | None = None  # AMT*B6


@dataclass(frozen=True, slots=True)
class Answer:
    """One payer's answer on one claim: one 835 CLP with its lines and adjustments."""

    payer_id: str
    sequence: str  # P, S, T ...: this payer's place for this claim
    claim_id: str  # CLP01
    status: str  # CLP02
    charge: Decimal  # CLP03
    paid: Decimal  # CLP04
    payer_claim_number: str = ""  # CLP07
    patient_responsibility: Decimal | None = None  # CLP05
    original_claim_number: str = ""  # REF*F8 on a correction
    trace: str = ""  # TRN02
    trace_payer: str = ""  # TRN03
    adjudication_date: date | None = None  # BPR16, else DTM*405
    lines: tuple[LinePayment, ...] = ()
    adjustments: tuple[PostedAdjustment, ...] = ()  # claim and line level
    remarks: tuple[str, ...] = ()  # RARCs (MOA/MIA/LQ)

    @property
    def is_reversal(self) -> bool:
        return self.status == "22"

    def total(self, group: str | None = None) -> Decimal:
        return sum((a.amount for a in self.adjustments if group is None or a.group == group), ZERO)

    @classmethod
    def from_835(cls, payment: ClaimPayment, payer_id: str | None = None, sequence: str = "P") -> Answer:
        """From the 835 reader's claim. `payer_id` defaults to the remittance's payer id
        (REF*2U, N104, TRN03)."""
        rem = payment.remittance
        if payer_id is None:
            payer_id = rem.payer_id if rem is not None else ""
        adjs = [PostedAdjustment(a.group, a.reason, a.amount) for a in payment.adjustments]
        lines = []
        for i, svc in enumerate(payment.services):
            key = denials.line_key(svc, i)
            lines.append(LinePayment(key, svc.charge, svc.paid, svc.amounts.get("B6")))
            adjs += [PostedAdjustment(a.group, a.reason, a.amount, "line", key) for a in svc.adjustments]
        when = parse_date(rem.adjudication_date) if rem is not None else None  # None: not a CCYYMMDD date
        return cls(
            payer_id,
            sequence,
            payment.claim_id,
            payment.status,
            payment.charge,
            payment.paid,
            payment.payer_claim_number,
            payment.patient_responsibility,
            payment.reference("F8"),
            rem.trace_number if rem else "",
            rem.payer_trn_id if rem else "",
            when,
            tuple(lines),
            tuple(adjs),
            tuple(payment.remark_codes()),
        )


@dataclass(frozen=True, slots=True)
class ClaimAccount:
    """A claim's charge, its payers in order, and every answer posted (append-only)."""

    claim_id: str
    charge: Decimal
    payers: tuple[tuple[str, str], ...] = ()  # (sequence, payer id), e.g. (("P", "11111"), ("S", "22222"))
    answers: tuple[Answer, ...] = ()

    def payer_at(self, sequence: str) -> str | None:
        return next((pid for seq, pid in self.payers if seq == sequence), None)

    def next_payer(self, sequence: str) -> tuple[str, str] | None:
        """The expected payer after `sequence`, if any."""
        later = [(s, p) for s, p in self.payers if SEQUENCE.index(s) > SEQUENCE.index(sequence)]
        return min(later, key=lambda sp: SEQUENCE.index(sp[0])) if later else None

    def active(self) -> list[Answer]:
        """Answers not reversed (each reversal cancels the one original it was matched to)."""
        out: list[Answer] = []
        for adj in self.answers:
            if adj.is_reversal:
                original = next(
                    a for a in out if a.payer_id == adj.payer_id and a.payer_claim_number == adj.payer_claim_number
                )
                out.remove(original)
            else:
                out.append(adj)
        return out


@dataclass(frozen=True, slots=True)
class Posting:
    account: ClaimAccount
    accepted: bool
    findings: tuple[str, ...] = ()


def _negates(reversal: Answer, original: Answer) -> bool:
    def key(a: PostedAdjustment, sign: int):
        return (a.group, a.reason, a.level, a.line, sign * a.amount)

    return (
        reversal.charge == -original.charge
        and reversal.paid == -original.paid
        and sorted(key(a, -1) for a in reversal.adjustments) == sorted(key(a, 1) for a in original.adjustments)
    )


def post(account: ClaimAccount, answer: Answer) -> Posting:
    """Post one payer's answer. Refused (account unchanged) when it is for another claim, already posted, or a
    reversal that matches nothing on file or does not exactly undo what it names (§1.8: work queue)."""
    refusal = _refusal(account, answer)
    if refusal:
        return Posting(account, False, (refusal,))
    findings = () if answer.is_reversal else tuple(_findings(account, answer))
    return Posting(replace(account, answers=account.answers + (answer,)), True, findings)


def _refusal(account: ClaimAccount, adj: Answer) -> str:
    """Why `adj` cannot be posted on `account`, or ""."""
    if adj.claim_id != account.claim_id:
        return f"835 claim {adj.claim_id!r} is not claim {account.claim_id!r}"
    if adj.sequence not in SEQUENCE:
        return f"payer sequence {adj.sequence!r} is not one of {SEQUENCE}"
    identity = (adj.payer_id, adj.payer_claim_number, adj.is_reversal, adj.trace)
    if any((a.payer_id, a.payer_claim_number, a.is_reversal, a.trace) == identity for a in account.answers):
        return (
            f"payer {adj.payer_id} claim {adj.payer_claim_number} from remittance {adj.trace or '?'} is already posted"
        )
    if adj.is_reversal:
        same = [a for a in account.active() if (a.payer_id, a.payer_claim_number) == identity[:2]]
        if not same:
            return (
                f"reversal of payer {adj.payer_id} claim {adj.payer_claim_number}: "
                "no answer on file to reverse (work queue)"
            )
        if not _negates(adj, same[0]):
            return (
                f"reversal of payer {adj.payer_id} claim {adj.payer_claim_number} "
                "does not exactly undo the answer on file"
            )
    return ""


def _findings(account: ClaimAccount, adj: Answer) -> list[str]:
    """What is odd about an answer that can be posted: another charge, B2, an unexpected payer or order."""
    findings = []
    if adj.charge != account.charge:
        findings.append(f"payer {adj.payer_id} adjudicated a charge of {adj.charge}, the claim is {account.charge}")
    if balanced_paid(adj.charge, adj.total()) != adj.paid:
        findings.append(
            f"payer {adj.payer_id} claim {adj.payer_claim_number} does not balance (B2): "
            f"{adj.charge} - {adj.total()} != {adj.paid}"
        )
    expected = account.payer_at(adj.sequence)
    if account.payers and expected != adj.payer_id:
        findings.append(f"payer {adj.payer_id} answered as {adj.sequence}, expected {expected or 'none'}")
    earlier = [s for s, _ in account.payers if SEQUENCE.index(s) < SEQUENCE.index(adj.sequence)]
    answered = {a.sequence for a in account.active()}
    missing = [s for s in earlier if s not in answered]
    if missing:
        findings.append(f"{adj.sequence} payer answered before payer(s) {', '.join(missing)}")
    return findings


def post_all(account: ClaimAccount, answers: Iterable[Answer]) -> Posting:
    findings: list[str] = []
    for adj in answers:
        result = post(account, adj)
        account = result.account
        findings += result.findings
    return Posting(account, True, tuple(findings))


def account_for(claim_id: str, charge: Decimal, payers: Iterable[tuple[str, str]] = ()) -> ClaimAccount:
    """A claim account with no answer posted yet."""
    return ClaimAccount(claim_id, charge, tuple(payers))
