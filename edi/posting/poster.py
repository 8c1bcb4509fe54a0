"""Posting payers' 835 answers on the claim store: claim accounts, the ledger, the denial worklist, and what a
later payer's answer sends onward (a tertiary claim) or a changed answer replaces (frequency 7).

The money rules are `rules.posting` (answers on an account), `rules.statement` (each dollar counted once),
`rules.ledger` (the rows that keep the ledger equal to the statement), `rules.denials` (actions) and
`rules.deadlines` (windows); this module only keeps their inputs and outputs in the store. Which payer an
answer is from: `edi.posting.payers`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from edi.config import Settings
from edi.office.postings import undo_write_offs
from edi.store import AccountRecord, ClaimStore, StoredClaim, payments_from_raw
from edi.store.codecs import answer_from_json, answer_to_json
from parsers.models import Claim837, ClaimPayment, OtherPayer
from rules import denials
from rules.balance import check_cob_balance
from rules.cob import as_replacement, build_tertiary
from rules.deadlines import action_deadline
from rules.ledger import corrections, payment_rows
from rules.matching import match_lines
from rules.netting import net_adjudications
from rules.office import apply_office
from rules.outcome import CONVERTED, NEEDS_REVIEW, Refusal
from rules.payer_order import SEQUENCE
from rules.payment_check import check_primary_payment
from rules.posting import Answer, ClaimAccount, post
from rules.settlement import CARRIED, CREDIT, RESTATED, Placement
from rules.stage import check_primary_balances
from rules.statement import Statement, statement

from .payers import account_payers, resolve_payer

POSTED = "posted"
RESPONSE_ITEM = "response-wait"


# ------------------------------------------------------------------------------------------ results
@dataclass
class GroupPosting:
    """What posting one 835 claim group (one CLP01 of one remittance) did."""

    claim_id: str
    account_id: int | None = None
    original: StoredClaim | None = None
    sequence: str | None = None
    payer_id: str = ""
    resolved_by: str = ""
    posted: int = 0
    duplicates: int = 0
    refused: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    discrepancies: list[str] = field(default_factory=list)
    worklist: int = 0
    statement: Statement | None = None

    @property
    def needs_review(self) -> bool:
        return bool(
            self.refused
            or self.findings
            or self.account_id is None
            or (self.statement is not None and not self.statement.is_balanced())
        )

    def as_dict(self) -> dict:
        """The JSON shape of one claim group's posting in reports."""
        out = {
            "claim_id": self.claim_id,
            "payer": self.payer_id,
            "sequence": self.sequence,
            "resolved_by": self.resolved_by,
            "posted": self.posted,
            "already_posted": self.duplicates,
            "refused": self.refused,
            "findings": self.findings,
            "discrepancies": self.discrepancies,
            "worklist_items": self.worklist,
        }
        if self.statement is not None:
            s = self.statement
            out["balance"] = {
                "patient": str(s.patient_balance.total),
                "due_from": s.patient_balance.due_from,
                "contractual": str(s.write_off.contractual),
                "open_items": str(s.other_adjustments),
                "credit": str(s.credit),
                "unresolved": str(s.unresolved),
            }
        return out


# ------------------------------------------------------------------------------------------ the poster
class Poster:
    """Posts 835 claim groups on one store: accounts, postings, ledger rows, worklist items."""

    def __init__(self, store: ClaimStore, settings: Settings | None = None, now: Callable[[], datetime] = datetime.now):
        self.store = store
        self.settings = settings or Settings()
        self.now = now
        self.policy = self.settings.posting.statement_policy()
        self._fees = self.settings.posting.fees()

    # -------------------------------------------------------------------------------- accounts
    def load(self, record: AccountRecord) -> ClaimAccount:
        """The rules' `ClaimAccount` of a stored account, with every answer posted to it."""
        return ClaimAccount(
            record.claim_id,
            Decimal(record.charge),
            tuple((p[0], p[1]) for p in record.payers),
            tuple(answer_from_json(p.body) for p in self.store.postings(record.id)),
        )

    def statement(self, claim_id: str) -> list[Statement]:
        """The statement of every account of this CLM01 (one per original claim on file), with what the
        office did on it (rules.office: write-offs, bad debt, charity, patient payments)."""
        return [self.account_statement(r) for r in self.store.accounts(claim_id)]

    def account_statement(self, record: AccountRecord) -> Statement:
        """One account's statement, the office's rows included."""
        return apply_office(statement(self.load(record), self.policy), self.store.ledger(account_id=record.id))

    def _choose(self, stored: list[StoredClaim], payment: ClaimPayment):
        """The original claim this answer is for, its account, and the payer resolved (module doc)."""
        best = None
        for candidate in stored:
            payers = account_payers(candidate.claim)
            record = self.store.open_account(
                candidate.row_id, candidate.claim.claim_id, str(candidate.claim.charge), payers
            )
            account = self.load(record)
            resolved = resolve_payer(payment, payers, account)
            score = (
                resolved is not None and "payer id" in resolved[2][:9],
                resolved is not None,
                candidate.claim.charge == abs(payment.charge),
            )
            if best is None or score > best[0]:
                best = (score, candidate, record, account, resolved)
        return best[1:]

    # -------------------------------------------------------------------------------- posting
    def post_group(self, group: list[ClaimPayment], stored: list[StoredClaim], raw: str) -> GroupPosting:
        """Post every CLP of one claim group (reversals first as they come). Never raises for the payer's
        data: what cannot be posted is refused with a reason. The ledger gains the payments, then the rows
        that make it say what the statement says; the worklist gains this payer's denials (its own part of
        the charge, not what it restated), the payment-check discrepancies, and what cannot be placed."""
        result = GroupPosting(group[0].claim_id)
        if not stored:
            result.refused.append("the original 837 claim is not in the store: nothing to post against")
            return result
        candidate, record, account, resolved = self._choose(stored, group[-1])
        result.original, result.account_id = candidate, record.id
        if resolved is None:
            result.refused.append("the 835's payer is none of the claim's payers and no next payer is expected")
            return result
        result.sequence, result.payer_id, result.resolved_by = resolved
        when = self.now()
        posted: list[tuple[int, ClaimPayment, Answer]] = []
        for payment in group:
            answer = Answer.from_835(payment, result.payer_id, result.sequence)
            done = self._post_one(record, account, answer, raw, result)
            if done is not None:
                posting_id, account = done  # as the store now holds it: open_account locked its row till commit
                posted.append((posting_id, payment, answer))
                self.store.add_ledger_entries(record.id, posting_id, payment_rows(record.claim_id, answer, when))
        payers_word = statement(account, self.policy)  # what the payers' answers say, before the office's moves
        ledger = self.store.ledger(account_id=record.id)
        if posted:
            posting_id, _, last = posted[-1]
            self.store.add_ledger_entries(
                record.id, posting_id, corrections(record.claim_id, ledger, payers_word.placements, last, when)
            )
        for _, _, answer in posted:
            self.settle_won(record, answer, when)
            if answer.is_reversal:
                self.close_reversed(record, answer, when)
        if any(answer.is_reversal for _, _, answer in posted):  # undoing write-offs added office rows
            ledger = self.store.ledger(account_id=record.id)
        result.statement = apply_office(payers_word, ledger)  # corrections are payer rows: the office's are as read
        for posting_id, payment, answer in posted:
            if not answer.is_reversal:
                result.worklist += self._worklist(record, account, posting_id, payment, answer, result)
        return result

    def close_reversed(self, record: AccountRecord, reversal: Answer, when: datetime) -> None:
        """The items of the answer `reversal` takes back are closed, and the write-offs the office posted on
        them undone (rules.appeals REVERSED): the corrected answer, if any, brings its own items."""
        text = f"reversed by remittance {reversal.trace}"
        closed = self.store.close_worklist(record.id, reversal.payer_id, reversal.payer_claim_number, text)
        on = (reversal.adjudication_date or when.date()).isoformat()
        undo_write_offs(self.store, record, closed, on, text, when)

    def _post_one(
        self, record: AccountRecord, account: ClaimAccount, answer: Answer, raw: str, result
    ) -> tuple[int, ClaimAccount] | None:
        """Record one answer when the rules accept it: its posting id and the account with it, or None
        (refused or already posted)."""
        outcome = post(account, answer)
        if not outcome.accepted:
            if any("already posted" in f for f in outcome.findings):
                result.duplicates += 1
            else:
                result.refused += outcome.findings
            return None
        posting_id = self.store.add_posting(
            record.id,
            answer.sequence,
            answer.payer_id,
            answer.payer_claim_number,
            answer.is_reversal,
            answer.trace,
            answer_to_json(answer),
            raw,
            result.resolved_by,
        )
        if posting_id is None:
            result.duplicates += 1
            return None
        result.posted += 1
        result.findings += outcome.findings
        return posting_id, outcome.account

    def settle_won(self, record: AccountRecord, adj: Answer, when: datetime) -> None:
        """A payer's new answer (or its reversal, ahead of a correction) resolves the items of this account
        that wait for it after a won appeal (issue 17: stage 'won' -> 'paid')."""
        what = "reversed its answer to pay anew" if adj.is_reversal else "sent its new answer"
        day = (adj.adjudication_date or when.date()).isoformat()
        self.store.settle_won(record.id, adj.payer_id, day, f"the payer {what} (remittance {adj.trace})")

    def _worklist(
        self,
        record: AccountRecord,
        account: ClaimAccount,
        posting_id: int,
        payment: ClaimPayment,
        answer: Answer,
        result: GroupPosting,
    ) -> int:
        """Denial items (§2.5) with their deadlines (§6) for the payer's own part of the charge, the
        payment-check discrepancies (§1.7, §5), and what the statement could not place (credit, unresolved)."""
        base = {
            "account_id": record.id,
            "posting_id": posting_id,
            "claim_id": record.claim_id,
            "payer_id": answer.payer_id,
            "payer_claim_number": answer.payer_claim_number,
        }
        items = self._denial_items(account, answer, result)
        items += _payment_check_items(payment, self._fees, result)
        items += _unplaced_items(result.statement, answer)
        for item in items:
            self.store.add_worklist_item({**base, **item})
        return len(items)

    def _denial_items(self, account: ClaimAccount, answer: Answer, result: GroupPosting) -> list[dict]:
        """A denial item, with its action's deadline, for each denial in the payer's own part of the charge
        (a patient-responsibility denial only when no payer is left to carry it)."""
        payer_class = self.settings.posting.payer_class(answer.payer_id)
        anchor = answer.adjudication_date or self.now().date()
        overrides = self.settings.posting.overrides or None
        last_payer = account.next_payer(answer.sequence) is None
        items = []
        for p in _own_placements(result.statement, answer):
            cls = denials.classify(
                p.group, p.reason, p.amount, answer.remarks, payer_id=answer.payer_id, overrides=overrides
            )
            if not denials.is_denial(cls):
                continue
            action = cls.action
            if action == denials.BILL_NEXT:  # a patient-responsibility denial: the next payer's claim carries it
                if not last_payer:
                    continue
                action = denials.BILL_PT  # no payer is left: the patient is billed for it
            due = action_deadline(action, payer_class, anchor, self.settings.posting.deadline_table())
            items.append(
                {
                    "line": p.line,
                    "grp": p.group,
                    "reason": p.reason,
                    "amount": str(p.amount),
                    "action": action,
                    "deadline": due.due.isoformat() if due else None,
                    "alert_on": due.alert_on.isoformat() if due else None,
                    "note": cls.basis + ("; needs review" if cls.needs_review else ""),
                }
            )
        return items

    # -------------------------------------------------------------------------------- onward
    def destination_claim_number(self, account_id: int, payer_id: str) -> str:
        """The destination payer's own claim number (CLP07 of its latest answer on file), or ''."""
        record = self.store.account(account_id)
        if record is None:
            return ""
        answers = [a for a in self.load(record).active() if a.payer_id == payer_id]
        return answers[-1].payer_claim_number if answers else ""

    def replacement(self, posted: GroupPosting, claim: Claim837, required: bool = False) -> Claim837:
        """`claim` as a replacement (frequency 7 + REF*F8) when its destination already holds a claim for
        this original; unchanged otherwise (`required`: a claim is known to be billed, so refuse instead).
        Raises Refusal when the destination's claim number is unknown."""
        sent = {payer for payer, _ in self.store.secondaries_sent(posted.original.row_id)}
        if claim.payer_id not in sent:
            if required:
                raise Refusal(
                    NEEDS_REVIEW,
                    "a claim to the next payer is already waiting to be sent for this claim "
                    "from another remittance; a replacement (frequency 7) needs a person",
                )
            return claim
        icn = self.destination_claim_number(posted.account_id, claim.payer_id)
        if not icn:
            raise Refusal(
                NEEDS_REVIEW,
                f"a claim was already sent to payer {claim.payer_id} for this claim and "
                "the prior payer changed its answer: a replacement (frequency 7) needs the "
                f"destination's claim number for REF*F8, and payer {claim.payer_id} has not answered yet",
            )
        return as_replacement(claim, icn)

    def onward(self, group: list[ClaimPayment], posted: GroupPosting, policy) -> tuple[str, list[str], Claim837 | None]:
        """A later payer's answer (S, T ...): posted, and when the original names a further payer after the
        secondary, the tertiary claim (§3.8). Returns (state, reasons, claim to send or None)."""
        original = posted.original.claim
        stmt = posted.statement
        summary = (
            f"posted {posted.posted} answer(s) from the {posted.sequence} payer {posted.payer_id} "
            f"({posted.resolved_by})"
        )
        if posted.refused or posted.findings:
            return NEEDS_REVIEW, [summary, *posted.refused, *posted.findings], None
        if stmt is not None and not stmt.is_balanced():
            return NEEDS_REVIEW, [summary, *stmt.review], None
        later = SEQUENCE[SEQUENCE.index(posted.sequence) + 1 :]
        destination: OtherPayer | None = next(
            (p for s in later for p in original.other_payers if p.responsibility == s), None
        )
        balance = (
            (
                f"patient balance {stmt.patient_balance.total} due from {stmt.patient_balance.due_from}, "
                f"contractual {stmt.write_off.contractual}"
            )
            if stmt
            else ""
        )
        if destination is None:
            return POSTED, [summary, balance], None
        try:
            tertiary, payment = self._tertiary(group, posted, destination, policy)
        except Refusal as refusal:
            return refusal.disposition, [summary, refusal.reason], None
        if tertiary is None:
            return POSTED, [summary, "nothing left for the tertiary payer", balance], None
        frequency = "replacement (frequency 7)" if tertiary.frequency == "7" else "tertiary claim"
        return (
            CONVERTED,
            [
                summary,
                f"{frequency} to payer {tertiary.payer_id} with 2320 P and S; "
                f"{payment.patient_responsibility_total()} left after the secondary",
            ],
            tertiary,
        )

    def _tertiary(
        self, group: list[ClaimPayment], posted: GroupPosting, destination: OtherPayer, policy
    ) -> tuple[Claim837 | None, ClaimPayment]:
        """The tertiary claim (§3.8) after the secondary's netted answer, checked to balance, as a replacement
        when one was sent already; None when nothing is left for it. Raises Refusal when it cannot be built."""
        if posted.sequence != "S" or destination.responsibility != "T":
            raise Refusal(
                NEEDS_REVIEW,
                f"the original names a {destination.responsibility} payer after the "
                f"{posted.sequence} payer: only tertiary claims (S answered, T next) are built",
            )
        original = posted.original.claim
        payment, _ = net_adjudications(group)
        if payment.patient_responsibility_total() == 0 and not policy.send_nothing_due:
            return None, payment
        primary = self._primary_payment(posted)
        check_primary_balances(primary, original)
        check_primary_balances(payment, original)
        tertiary, _ = build_tertiary(
            original,
            primary,
            match_lines(original, primary),
            payment,
            match_lines(original, payment),
            destination,
            policy,
        )
        problems = check_cob_balance(tertiary)
        if problems:
            raise Refusal(NEEDS_REVIEW, "tertiary claim would not balance: " + "; ".join(problems))
        return self.replacement(posted, tertiary), payment

    def _primary_payment(self, posted: GroupPosting) -> ClaimPayment:
        """The primary's netted answer on file for this account, re-read from its stored X12."""
        postings = [p for p in self.store.postings(posted.account_id) if p.sequence == "P"]
        if not postings:
            raise Refusal(NEEDS_REVIEW, "the primary's answer is not on file: the tertiary claim needs its 2320")
        wanted = {(p.payer_claim_number, p.reversal, p.trace) for p in postings}
        payments, seen = [], set()
        for p in postings:
            if p.raw in seen:
                continue
            seen.add(p.raw)
            for payment in payments_from_raw(p.raw):
                trace = payment.remittance.trace_number if payment.remittance else ""
                if (
                    payment.claim_id == posted.claim_id
                    and (payment.payer_claim_number, payment.is_reversal, trace) in wanted
                ):
                    payments.append(payment)
        final, _ = net_adjudications(payments)
        return final


def _own_placements(stmt: Statement, answer: Answer) -> list[Placement]:
    """The counted placements of the answer's payer: its own part of the charge (not what it restated)."""
    return [
        p
        for p in stmt.placements
        if p.payer == answer.payer_id
        and p.sequence == answer.sequence
        and p.group
        and p.category not in (CREDIT, RESTATED, CARRIED)
    ]


def _payment_check_items(payment: ClaimPayment, fees, result: GroupPosting) -> list[dict]:
    """A REVIEW item for each problem the payment check finds in the answer (§1.7, §5), also kept on the
    posting's discrepancies."""
    items = []
    for problem in check_primary_payment(payment, fees):
        where = f" line {problem.line}" if problem.line else ""
        result.discrepancies.append(f"{problem.kind}{where}: {problem.message}")
        amount = abs((problem.expected or 0) - (problem.actual or 0))
        items.append(
            {
                "line": problem.line,
                "grp": "",
                "reason": problem.kind,
                "amount": str(amount),
                "action": "REVIEW",
                "note": problem.message,
            }
        )
    return items


def _unplaced_items(stmt: Statement, answer: Answer) -> list[dict]:
    """Worklist items for a credit (a refund to review) and for what could not be placed."""
    items = []
    if stmt.credit and any(p.category == CREDIT and p.payer == answer.payer_id for p in stmt.adjustments):
        note = f"payer {answer.payer_id} paid {stmt.credit} beyond what was left open: review for a refund"
        items.append(
            {"line": "", "grp": "", "reason": "credit", "amount": str(stmt.credit), "action": "REFUND", "note": note}
        )
    if stmt.unresolved:
        note = "; ".join(r for r in stmt.review if "cannot be placed" in r)
        items.append(
            {
                "line": "",
                "grp": "",
                "reason": "unresolved",
                "amount": str(stmt.unresolved),
                "action": "REVIEW",
                "note": note,
            }
        )
    return items
