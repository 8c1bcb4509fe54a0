"""Posting payers' 835 answers on the claim store: claim accounts, the ledger, the denial worklist, and what a
later payer's answer sends onward (a tertiary claim) or a changed answer replaces (frequency 7).

The money rules are `rules.posting` (post, statement, ledger rows), `rules.denials` (actions) and
`rules.deadlines` (windows); this module only keeps their inputs and outputs in the store. Which payer an
answer is from: `edi.posting.payers`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from edi.config import Settings
from edi.store import AccountRecord, ClaimStore, StoredClaim, payments_from_raw
from edi.store.codecs import adjudication_from_json, adjudication_to_json
from parsers.models import Claim837, ClaimPayment, OtherPayer
from rules import denials
from rules.balance import check_cob_balance
from rules.cob import as_replacement, build_tertiary
from rules.deadlines import DEFAULT_WINDOWS, action_deadline
from rules.ledger import LedgerEntry
from rules.matching import match_lines
from rules.netting import net_adjudications
from rules.office import apply_office
from rules.outcome import CONVERTED, NEEDS_REVIEW, Refusal
from rules.payer_order import SEQUENCE
from rules.posting import (
    Adjudication,
    ClaimAccount,
    Statement,
    check_primary_payment,
    ledger_entries,
    policy_entries,
    post,
    statement,
)
from rules.stage import check_primary_balances

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
            or (self.statement is not None and self.statement.unresolved != 0)
        )

    def as_dict(self) -> dict:
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
        return ClaimAccount(
            record.claim_id,
            Decimal(record.charge),
            tuple((p[0], p[1]) for p in record.payers),
            tuple(adjudication_from_json(p.body) for p in self.store.postings(record.id)),
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
        data: what cannot be posted is refused with a reason."""
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
        changed = False
        for payment in group:
            adj = Adjudication.from_835(payment, result.payer_id, result.sequence)
            outcome = post(account, adj)
            if not outcome.accepted:
                if any("already posted" in f for f in outcome.findings):
                    result.duplicates += 1
                else:
                    result.refused += outcome.findings
                continue
            posting_id = self.store.add_posting(
                record.id,
                adj.sequence,
                adj.payer_id,
                adj.payer_claim_number,
                adj.is_reversal,
                adj.trace,
                adjudication_to_json(adj),
                raw,
                result.resolved_by,
            )
            if posting_id is None:
                result.duplicates += 1
                continue
            changed = True
            result.posted += 1
            result.findings += outcome.findings
            account = outcome.account
            self.store.add_ledger_entries(record.id, posting_id, ledger_entries(account, adj, when, self.policy))
            if adj.is_reversal:
                self.settle_won(record, adj, when)
                self.store.close_worklist(
                    record.id, adj.payer_id, adj.payer_claim_number, f"reversed by remittance {adj.trace}"
                )
            else:
                result.worklist += self._worklist(record, posting_id, payment, adj, result)
                self.settle_won(record, adj, when)
        result.statement = statement(account, self.policy)
        if changed:
            self._policy_rows(record, result.statement, when)
        return result

    def settle_won(self, record: AccountRecord, adj: Adjudication, when: datetime) -> None:
        """A payer's new answer (or its reversal, ahead of a correction) resolves the items of this account
        that wait for it after a won appeal (issue 17: stage 'won' -> 'paid')."""
        what = "reversed its answer to pay anew" if adj.is_reversal else "sent its new answer"
        day = (adj.adjudication_date or when.date()).isoformat()
        self.store.settle_won(record.id, adj.payer_id, day, f"the payer {what} (remittance {adj.trace})")

    def _worklist(
        self,
        record: AccountRecord,
        posting_id: int,
        payment: ClaimPayment,
        adj: Adjudication,
        result: GroupPosting,
    ) -> int:
        """Denial items (§2.5) with their deadlines (§6), and the payment-check discrepancies (§1.7, §5)."""
        payer_class = self.settings.posting.payer_class(adj.payer_id)
        anchor = adj.adjudication_date or self.now().date()
        overrides = self.settings.posting.overrides or None
        count = 0
        for item in denials.classify_claim(payment, adj.payer_id, overrides).items:
            if item.amount == 0 or not denials.is_denial(item):
                continue
            due = action_deadline(item.action, payer_class, anchor, DEFAULT_WINDOWS)
            self.store.add_worklist_item(
                {
                    "account_id": record.id,
                    "posting_id": posting_id,
                    "claim_id": record.claim_id,
                    "line": item.line,
                    "payer_id": adj.payer_id,
                    "payer_claim_number": adj.payer_claim_number,
                    "grp": item.group,
                    "reason": item.reason,
                    "amount": str(item.amount),
                    "action": item.action,
                    "deadline": due.due.isoformat() if due else None,
                    "alert_on": due.alert_on.isoformat() if due else None,
                    "note": item.basis + ("; needs review" if item.needs_review else ""),
                }
            )
            count += 1
        for problem in check_primary_payment(payment, self._fees):
            result.discrepancies.append(
                f"{problem.kind}{' line ' + problem.line if problem.line else ''}: {problem.message}"
            )
            self.store.add_worklist_item(
                {
                    "account_id": record.id,
                    "posting_id": posting_id,
                    "claim_id": record.claim_id,
                    "line": problem.line,
                    "payer_id": adj.payer_id,
                    "payer_claim_number": adj.payer_claim_number,
                    "grp": "",
                    "reason": problem.kind,
                    "amount": str(abs((problem.expected or 0) - (problem.actual or 0))),
                    "action": "REVIEW",
                    "note": problem.message,
                }
            )
            count += 1
        return count

    def _policy_rows(self, record: AccountRecord, stmt: Statement, when: datetime) -> None:
        """Append the difference between the statement's policy write-offs (small balance, bad debt) and the
        ones already in the ledger: the ledger never changes, it only gains the correcting rows."""

        def key(e):
            return (e.payer, e.reason, e.category, e.sequence, e.note)

        have: dict[tuple, Decimal] = {}
        for e in self.store.ledger(account_id=record.id):
            if e.kind == "write-off" and e.group == "PR" and e.note in ("small-balance", "bad-debt"):
                have[key(e)] = have.get(key(e), Decimal(0)) + e.amount
        rows = []
        want: dict[tuple, Decimal] = {}
        sample = {}
        for e in policy_entries(stmt, when):
            want[key(e)] = want.get(key(e), Decimal(0)) + e.amount
            sample[key(e)] = e
        for k in sorted(set(have) | set(want)):
            delta = want.get(k, Decimal(0)) - have.get(k, Decimal(0))
            if delta:
                base = sample.get(k)
                if base is None:
                    payer, reason, category, sequence, note = k
                    base = LedgerEntry(
                        when,
                        stmt.claim_id,
                        payer,
                        "claim",
                        "write-off",
                        delta,
                        category,
                        "PR",
                        reason,
                        sequence=sequence,
                        note=note,
                    )
                rows.append(replace(base, amount=delta))
        if rows:
            self.store.add_ledger_entries(record.id, None, rows)

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
        if stmt is not None and stmt.unresolved != 0:
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
            if posted.sequence != "S" or destination.responsibility != "T":
                raise Refusal(
                    NEEDS_REVIEW,
                    f"the original names a {destination.responsibility} payer after the "
                    f"{posted.sequence} payer: only tertiary claims (S answered, T next) are built",
                )
            payment, _ = net_adjudications(group)
            if payment.patient_responsibility_total() == 0 and not policy.send_nothing_due:
                return POSTED, [summary, "nothing left for the tertiary payer", balance], None
            primary = self._primary_payment(posted)
            check_primary_balances(primary, original)
            check_primary_balances(payment, original)
            tertiary, notes = build_tertiary(
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
            tertiary = self.replacement(posted, tertiary)
        except Refusal as refusal:
            return refusal.disposition, [summary, refusal.reason], None
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
