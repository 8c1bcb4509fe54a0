"""Posting payers' 835 answers onto a claim account, and the claim's statement
(reference §5.1–§5.5, §1.7, §1.8).

Plain values in, plain values out; Decimal money; no I/O, no clock.

* `Adjudication` is one payer's answer on one claim (one 835 CLP): `Adjudication.from_835(claim_payment,
  payer_id, sequence)` builds it from the reader's `ClaimPayment`.
* `ClaimAccount` holds the charge, the expected payers in sequence (P, S, T ...) and every adjudication
  posted. `post(account, adjudication)` returns a new account (or the same one when the posting is refused)
  and findings. A reversal (CLP02=22) must exactly negate an adjudication of the same payer with the same
  CLP07 already on the account; the pair then nets to zero and the correction that follows is the payer's
  word. A second posting of the same (payer, CLP07, reversal or not, TRN02) is refused.
* `statement(account, policy)` explains the charge, each dollar once:

      charge = Σ paid_by_payer + write_off.contractual + write_off.administrative + write_off.bad_debt
               + other_adjustments + patient_balance.total + unresolved

  - `OA-23` (impact of prior payers) and `OA-94` restate dollars and are never counted (`informational`);
  - a payer's PR is counted only for the LAST payer that answered: earlier payers' PR is what the next payer
    was asked to consider (`informational`, "carried to the next payer");
  - every payer's own CO/PI/OA adjustments are counted: WO-C -> contractual, WO-A (or a denial the office
    gave up on, `policy.abandoned`) -> administrative, anything still open (APPEAL, CORRECT, OTHER-PAYER,
    WAIT, INFO ...) -> other;
  - `unresolved` is what the payers' numbers leave unexplained: after the last payer, the balance left by
    earlier payers minus its payment and its own adjustments should equal its PR. When it pays less than the
    prior PR and reports no PR for the difference the residue is `unresolved` and on the `review` list: never
    written off, never billed. A negative `unresolved` is a credit (overpayment or a duplicate answer).
  - patient-balance policy (`StatementPolicy`): a patient balance owed by the patient (no payer left) that is
    > 0 and under `small_balance_threshold` becomes an administrative write-off; `uncollectible=True` moves
    it to bad debt. Neither happens by default, and neither happens while anything is unresolved.
* `check_primary_payment(claim_payment, fee_schedule)`: allowed vs paid vs patient responsibility, CLP05 vs
  Σ PR, balancing, overpayment, underpayment against a fee schedule -> `Discrepancy` findings.
* `ledger_entries(...)` / `policy_entries(...)`: the append-only ledger rows for a posting and for the
  statement's policy write-offs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from parsers.models import ClaimPayment, balanced_paid
from parsers.syntax import parse_date

from . import denials
from .carc import (
    COINSURANCE_CARCS,
    COPAY_CARCS,
    DEDUCTIBLE_CARCS,
    INFO_ADJUSTMENTS,
    PATIENT_NONCOVERED_CARCS,
    POST_ALLOWED_CARCS,
)
from .ledger import LedgerEntry
from .payer_order import SEQUENCE

ZERO = Decimal(0)
PATIENT, CONTRACTUAL, ADMINISTRATIVE, BAD_DEBT, OTHER = (
    "patient",
    "contractual",
    "administrative",
    "bad-debt",
    "other",
)
CATEGORIES = (CONTRACTUAL, PATIENT, ADMINISTRATIVE, BAD_DEBT, OTHER)


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
class Adjudication:
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
    def from_835(cls, payment: ClaimPayment, payer_id: str | None = None, sequence: str = "P") -> Adjudication:
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
    adjudications: tuple[Adjudication, ...] = ()

    def payer_at(self, sequence: str) -> str | None:
        return next((pid for seq, pid in self.payers if seq == sequence), None)

    def next_payer(self, sequence: str) -> tuple[str, str] | None:
        """The expected payer after `sequence`, if any."""
        later = [(s, p) for s, p in self.payers if SEQUENCE.index(s) > SEQUENCE.index(sequence)]
        return min(later, key=lambda sp: SEQUENCE.index(sp[0])) if later else None

    def active(self) -> list[Adjudication]:
        """Answers not reversed (each reversal cancels the one original it was matched to)."""
        out: list[Adjudication] = []
        for adj in self.adjudications:
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


def _negates(reversal: Adjudication, original: Adjudication) -> bool:
    def key(a: PostedAdjustment, sign: int):
        return (a.group, a.reason, a.level, a.line, sign * a.amount)

    return (
        reversal.charge == -original.charge
        and reversal.paid == -original.paid
        and sorted(key(a, -1) for a in reversal.adjustments) == sorted(key(a, 1) for a in original.adjustments)
    )


def post(account: ClaimAccount, adjudication: Adjudication) -> Posting:
    """Post one payer's answer. Refused (account unchanged) when it is for another claim, already posted, or a
    reversal that matches nothing on file or does not exactly undo what it names (§1.8: work queue)."""
    adj = adjudication
    if adj.claim_id != account.claim_id:
        return Posting(account, False, (f"835 claim {adj.claim_id!r} is not claim {account.claim_id!r}",))
    if adj.sequence not in SEQUENCE:
        return Posting(account, False, (f"payer sequence {adj.sequence!r} is not one of {SEQUENCE}",))
    for done in account.adjudications:
        if (done.payer_id, done.payer_claim_number, done.is_reversal, done.trace) == (
            adj.payer_id,
            adj.payer_claim_number,
            adj.is_reversal,
            adj.trace,
        ):
            return Posting(
                account,
                False,
                (
                    f"payer {adj.payer_id} claim {adj.payer_claim_number} from remittance "
                    f"{adj.trace or '?'} is already posted",
                ),
            )
    findings: list[str] = []
    if adj.is_reversal:
        original = next(
            (
                a
                for a in account.active()
                if a.payer_id == adj.payer_id and a.payer_claim_number == adj.payer_claim_number
            ),
            None,
        )
        if original is None:
            return Posting(
                account,
                False,
                (
                    f"reversal of payer {adj.payer_id} claim {adj.payer_claim_number}: "
                    "no adjudication on file to reverse (work queue)",
                ),
            )
        if not _negates(adj, original):
            return Posting(
                account,
                False,
                (
                    f"reversal of payer {adj.payer_id} claim {adj.payer_claim_number} "
                    "does not exactly undo the adjudication on file",
                ),
            )
    else:
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
    return Posting(replace(account, adjudications=account.adjudications + (adj,)), True, tuple(findings))


def post_all(account: ClaimAccount, adjudications: Iterable[Adjudication]) -> Posting:
    findings: list[str] = []
    for adj in adjudications:
        result = post(account, adj)
        account = result.account
        findings += result.findings
    return Posting(account, True, tuple(findings))


# ------------------------------------------------------------------------------------------ statement
@dataclass(frozen=True, slots=True)
class StatementPolicy:
    small_balance_threshold: Decimal = ZERO  # patient balances > 0 and < this: administrative write-off
    uncollectible: bool = False  # the patient-balance policy deems the balance uncollectible: bad debt
    abandoned: frozenset[tuple[str, str, str]] = frozenset()  # (payer, group, CARC) denials given up: WO-A
    overrides: denials.Overrides | None = None  # per-payer CARC action overrides


@dataclass(frozen=True, slots=True)
class StatementAdjustment:
    payer: str
    sequence: str
    group: str
    reason: str
    amount: Decimal
    category: str  # contractual | patient | administrative | bad-debt | other  (or "info" when informational)
    action: str = ""
    note: str = ""

    def to_dict(self) -> dict:
        d = {
            "payer": self.payer,
            "group": self.group,
            "reason": self.reason,
            "amount": str(self.amount),
            "category": self.category,
        }
        if self.action:
            d["action"] = self.action
        if self.note:
            d["note"] = self.note
        return d


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

    @property
    def total(self) -> Decimal:
        return self.contractual + self.administrative + self.bad_debt

    def to_dict(self) -> dict:
        return {
            "contractual": str(self.contractual),
            "administrative": str(self.administrative),
            "bad_debt": str(self.bad_debt),
        }


@dataclass(frozen=True, slots=True)
class Statement:
    claim_id: str
    charge: Decimal
    paid_by_payer: tuple[tuple[str, Decimal], ...]  # (payer id, net paid), in payer order
    adjustments: tuple[StatementAdjustment, ...]  # counted: each dollar once
    informational: tuple[StatementAdjustment, ...]  # not counted: OA-23/94, earlier payers' PR
    patient_balance: PatientBalance
    write_off: WriteOff
    other_adjustments: Decimal
    unresolved: Decimal
    review: tuple[str, ...] = ()
    last_payer: str = ""

    @property
    def paid_total(self) -> Decimal:
        return sum((amt for _, amt in self.paid_by_payer), ZERO)

    def is_balanced(self) -> bool:
        return self.charge == (
            self.paid_total
            + self.write_off.total
            + self.other_adjustments
            + self.patient_balance.total
            + self.unresolved
        )

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
            "unresolved": str(self.unresolved),
            "review": list(self.review),
            "last_payer": self.last_payer,
            "balanced": self.is_balanced(),
        }


def _patient_bucket(reason: str) -> str:
    if reason in DEDUCTIBLE_CARCS:
        return "deductible"
    if reason in COINSURANCE_CARCS:
        return "coinsurance"
    if reason in COPAY_CARCS:
        return "copay"
    if reason in PATIENT_NONCOVERED_CARCS:
        return "noncovered"
    return "other"


def _category(cls: denials.Classification, payer: str, policy: StatementPolicy) -> str:
    if cls.action == denials.WO_C:
        return CONTRACTUAL
    if cls.action == denials.WO_A or (payer, cls.group, cls.reason) in policy.abandoned:
        return ADMINISTRATIVE
    return OTHER


def statement(account: ClaimAccount, policy: StatementPolicy = StatementPolicy()) -> Statement:
    active = account.active()
    answered = sorted({a.sequence for a in active}, key=SEQUENCE.index)
    last_seq = answered[-1] if answered else None
    review: list[str] = []

    # Net every payer's answers (a reversal and its original cancel exactly; the correction remains).
    paid: dict[str, Decimal] = {}
    net: dict[tuple[str, str, str, str], Decimal] = {}  # (sequence, payer, group, reason) -> amount
    rarcs: dict[str, list[str]] = {}
    order: list[str] = []
    for adj in sorted(account.adjudications, key=lambda a: SEQUENCE.index(a.sequence)):
        if adj.payer_id not in paid:
            order.append(adj.payer_id)
        paid[adj.payer_id] = paid.get(adj.payer_id, ZERO) + adj.paid
        for a in adj.adjustments:
            key = (adj.sequence, adj.payer_id, a.group, a.reason)
            net[key] = net.get(key, ZERO) + a.amount
        if not adj.is_reversal:
            rarcs.setdefault(adj.payer_id, []).extend(adj.remarks)

    counted: list[StatementAdjustment] = []
    info: list[StatementAdjustment] = []
    for (seq, payer, group, reason), amount in net.items():
        if amount == 0:
            continue
        if (group, reason) in INFO_ADJUSTMENTS:
            info.append(
                StatementAdjustment(
                    payer,
                    seq,
                    group,
                    reason,
                    amount,
                    "info",
                    denials.INFO,
                    "restates prior payers" if reason == "23" else "in excess of charges",
                )
            )
        elif group == "PR":
            if seq == last_seq:
                counted.append(StatementAdjustment(payer, seq, group, reason, amount, PATIENT, denials.BILL_NEXT))
            else:
                info.append(
                    StatementAdjustment(
                        payer,
                        seq,
                        group,
                        reason,
                        amount,
                        "info",
                        denials.BILL_NEXT,
                        "patient responsibility carried to the next payer",
                    )
                )
        else:
            cls = denials.classify(
                group, reason, amount, rarcs.get(payer, ()), payer_id=payer, overrides=policy.overrides
            )
            category = _category(cls, payer, policy)
            counted.append(
                StatementAdjustment(
                    payer,
                    seq,
                    group,
                    reason,
                    amount,
                    category,
                    cls.action,
                    "needs review" if cls.needs_review else "",
                )
            )
            if cls.needs_review:
                review.append(f"{payer} {group}-{reason} {amount}: classification needs review ({cls.basis})")
            if category == OTHER:
                review.append(f"{payer} {group}-{reason} {amount}: open item, action {cls.action}")

    paid_by_payer = tuple((p, paid[p]) for p in order)
    paid_total = sum(paid.values(), ZERO)
    unresolved = account.charge - paid_total - sum((a.amount for a in counted), ZERO)

    due_from = "patient"
    if last_seq is None:
        due_from = account.payers[0][1] if account.payers else "unknown"
        if unresolved:
            review.append(f"no payer has answered: {unresolved} open")
    else:
        nxt = account.next_payer(last_seq)
        if nxt is not None:
            due_from = nxt[1]
    if last_seq is not None and unresolved > 0:
        review.append(
            f"{unresolved} unexplained after payer {last_seq}: it paid less than the balance left and "
            "reported no patient responsibility for the difference; review (not written off)"
        )
    elif unresolved < 0:
        review.append(
            f"credit of {-unresolved}: payments and adjustments exceed the charge (overpayment or "
            "duplicate answer); review for refund"
        )

    patient_total = sum((a.amount for a in counted if a.category == PATIENT), ZERO)
    if due_from == "patient" and unresolved == 0 and patient_total > 0:
        if patient_total < policy.small_balance_threshold:
            counted = [
                replace(a, category=ADMINISTRATIVE, note="small balance") if a.category == PATIENT else a
                for a in counted
            ]
        elif policy.uncollectible:
            counted = [
                replace(a, category=BAD_DEBT, note="uncollectible per patient-balance policy")
                if a.category == PATIENT
                else a
                for a in counted
            ]

    buckets = {"deductible": ZERO, "coinsurance": ZERO, "copay": ZERO, "noncovered": ZERO, "other": ZERO}
    for a in counted:
        if a.category == PATIENT:
            b = _patient_bucket(a.reason)
            buckets[b] += a.amount

    def total(category: str) -> Decimal:
        return sum((a.amount for a in counted if a.category == category), ZERO)

    patient = PatientBalance(total(PATIENT), due_from=due_from, **buckets)
    write_off = WriteOff(total(CONTRACTUAL), total(ADMINISTRATIVE), total(BAD_DEBT))
    counted.sort(key=lambda a: (SEQUENCE.index(a.sequence), a.payer, a.group, a.reason))
    info.sort(key=lambda a: (SEQUENCE.index(a.sequence), a.payer, a.group, a.reason))
    last_payer = next((a.payer_id for a in active if a.sequence == last_seq), "") if last_seq else ""
    return Statement(
        account.claim_id,
        account.charge,
        paid_by_payer,
        tuple(counted),
        tuple(info),
        patient,
        write_off,
        total(OTHER),
        unresolved,
        tuple(review),
        last_payer,
    )


# ------------------------------------------------------------------------------------------ primary check
@dataclass(frozen=True, slots=True)
class Discrepancy:
    kind: str  # B1 | B2 | clp05 | allowed-mismatch | overpayment | underpayment
    message: str
    line: str = ""
    expected: Decimal | None = None
    actual: Decimal | None = None


FeeSchedule = Mapping[tuple[str, tuple[str, ...]], Decimal]  # (procedure code, modifiers) -> allowed per unit


def check_primary_payment(payment: ClaimPayment, fee_schedule: FeeSchedule | None = None) -> list[Discrepancy]:
    """§1.7/§5 checks of a payer's answer before billing onward. Per line with AMT*B6: paid + PR
    (+ post-allowed
    CO-253/144) = allowed; paid > allowed or > charge is an overpayment; allowed below the fee schedule's
    (code, modifiers) amount x units paid is an underpayment. Per claim: B2, CLP05 = Σ PR (not for
    reversals), paid > charge."""
    out: list[Discrepancy] = []
    if not payment.b2_balances():
        out.append(
            Discrepancy(
                "B2",
                f"CLP03 {payment.charge} - adjustments {payment.adjustment_total()} != CLP04 {payment.paid}",
                expected=payment.b2_paid(),
                actual=payment.paid,
            )
        )
    if not payment.is_reversal:
        pr = payment.patient_responsibility_total()
        clp05 = payment.patient_responsibility
        if (clp05 if clp05 is not None else ZERO) != pr:
            out.append(
                Discrepancy(
                    "clp05",
                    f"CLP05 {clp05 if clp05 is not None else '(empty)'} != Σ PR {pr}",
                    expected=pr,
                    actual=clp05,
                )
            )
    if payment.paid > payment.charge > 0:
        out.append(
            Discrepancy(
                "overpayment",
                f"claim paid {payment.paid} exceeds the charge {payment.charge}",
                expected=payment.charge,
                actual=payment.paid,
            )
        )
    for i, svc in enumerate(payment.services):
        key = denials.line_key(svc, i)
        if not svc.b1_balances():
            out.append(
                Discrepancy(
                    "B1",
                    f"SVC02 {svc.charge} - adjustments {svc.adjustment_total()} != SVC03 {svc.paid}",
                    key,
                    svc.b1_paid(),
                    svc.paid,
                )
            )
        pr = sum((a.amount for a in svc.adjustments if a.group == "PR"), ZERO)
        post_allowed = sum(
            (a.amount for a in svc.adjustments if a.group in ("CO", "PI") and a.reason in POST_ALLOWED_CARCS),
            ZERO,
        )
        allowed = svc.amounts.get("B6")
        if allowed is not None:
            if svc.paid + pr + post_allowed != allowed:
                out.append(
                    Discrepancy(
                        "allowed-mismatch",
                        f"allowed {allowed} != paid {svc.paid} + patient "
                        f"responsibility {pr}" + (f" + {post_allowed}" if post_allowed else ""),
                        key,
                        allowed,
                        svc.paid + pr + post_allowed,
                    )
                )
            if svc.paid > allowed:
                out.append(
                    Discrepancy("overpayment", f"paid {svc.paid} exceeds allowed {allowed}", key, allowed, svc.paid)
                )
        if svc.paid > svc.charge > 0:
            out.append(
                Discrepancy(
                    "overpayment",
                    f"paid {svc.paid} exceeds the line charge {svc.charge}",
                    key,
                    svc.charge,
                    svc.paid,
                )
            )
        if fee_schedule is not None and not payment.is_reversal:
            proc = svc.submitted_procedure
            rate = fee_schedule.get((proc.code, tuple(proc.modifiers)))
            if rate is not None:
                expected = rate * (svc.units_paid if svc.units_paid is not None else Decimal(1))
                basis = allowed if allowed is not None else svc.paid + pr + post_allowed
                if basis < expected:
                    out.append(
                        Discrepancy(
                            "underpayment",
                            f"allowed {basis} below the fee schedule {expected} "
                            f"for {proc.code}{''.join('-' + m for m in proc.modifiers)}",
                            key,
                            expected,
                            basis,
                        )
                    )
    return out


# ------------------------------------------------------------------------------------------ ledger rows
def ledger_entries(
    account: ClaimAccount,
    adjudication: Adjudication,
    timestamp: datetime,
    policy: StatementPolicy = StatementPolicy(),
) -> list[LedgerEntry]:
    """The ledger rows for one accepted posting: payments per line (claim-level remainder CLP04 - Σ SVC03 as
    a claim row), every CAS at its level. Kind: PR -> patient-transfer (category patient), OA-23/94 ->
    adjustment (info), WO-C -> write-off (contractual), WO-A or abandoned -> write-off (administrative),
    anything else -> adjustment (other). A reversal's rows carry its negative amounts."""
    adj = adjudication
    base = dict(
        timestamp=timestamp,
        claim=account.claim_id,
        payer=adj.payer_id,
        trace=adj.trace,
        trace_payer=adj.trace_payer,
        payer_claim_number=adj.payer_claim_number,
        sequence=adj.sequence,
        note="reversal" if adj.is_reversal else "",
    )
    rows: list[LedgerEntry] = []
    line_paid = ZERO
    for ln in adj.lines:
        if ln.paid != 0:
            rows.append(
                LedgerEntry(level="line", line=ln.line, kind="payment", amount=ln.paid, category="payment", **base)
            )
        line_paid += ln.paid
    if adj.paid - line_paid != 0 or not adj.lines:
        rows.append(LedgerEntry(level="claim", kind="payment", amount=adj.paid - line_paid, category="payment", **base))
    for a in adj.adjustments:
        if (a.group, a.reason) in INFO_ADJUSTMENTS:
            kind, category = "adjustment", "info"
        elif a.group == "PR":
            kind, category = "patient-transfer", PATIENT
        else:
            cls = denials.classify(
                a.group, a.reason, a.amount, adj.remarks, payer_id=adj.payer_id, overrides=policy.overrides
            )
            category = _category(cls, adj.payer_id, policy)
            kind = "write-off" if category in (CONTRACTUAL, ADMINISTRATIVE) else "adjustment"
        rows.append(
            LedgerEntry(
                level=a.level,
                line=a.line,
                kind=kind,
                amount=a.amount,
                category=category,
                group=a.group,
                reason=a.reason,
                **base,
            )
        )
    return rows


def policy_entries(stmt: Statement, timestamp: datetime) -> list[LedgerEntry]:
    """Ledger rows for the statement's policy write-offs (small balance -> administrative, bad debt)."""
    rows = []
    for a in stmt.adjustments:
        if a.group == "PR" and a.category in (ADMINISTRATIVE, BAD_DEBT):
            rows.append(
                LedgerEntry(
                    timestamp=timestamp,
                    claim=stmt.claim_id,
                    payer=a.payer,
                    level="claim",
                    kind="write-off",
                    amount=a.amount,
                    category=a.category,
                    group=a.group,
                    reason=a.reason,
                    sequence=a.sequence,
                    note="small-balance" if a.category == ADMINISTRATIVE else "bad-debt",
                )
            )
    return rows


def account_for(claim_id: str, charge: Decimal, payers: Iterable[tuple[str, str]] = ()) -> ClaimAccount:
    return ClaimAccount(claim_id, charge, tuple(payers))


__all__ = [
    "Adjudication",
    "ClaimAccount",
    "Discrepancy",
    "LinePayment",
    "PatientBalance",
    "PostedAdjustment",
    "Posting",
    "Statement",
    "StatementAdjustment",
    "StatementPolicy",
    "WriteOff",
    "account_for",
    "check_primary_payment",
    "ledger_entries",
    "policy_entries",
    "post",
    "post_all",
    "statement",
]
