"""Inbound files on the store (steps 2 and 3 of the protocol): each file hashed (a hash seen before is a
duplicate), read, and its original claims stored or its 835 claim groups decided and posted, in one store
transaction per file; then the claims that waited for their original are decided again."""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from edi.config import Settings
from edi.log import get_logger
from edi.pipeline import output_parties
from edi.posting import GroupPosting, Poster
from edi.remittances import ClaimGroup, read_claim_groups
from edi.store import ALREADY_BILLED, PENDING_ORIGINAL, READY, ClaimStore, payments_from_raw
from parsers.envelope import EnvelopeWalker, element, first_transaction_set
from parsers.errors import Position, X12Error
from parsers.read837 import Reader837
from parsers.syntax import Tokenizer
from rules.outcome import CONVERTED, NEEDS_REVIEW, Outcome, Refusal
from rules.stage import outcome_for
from writers.claim837 import parties_from

from .crashpoints import crash_point
from .intake import DUPLICATE, PROCESSED, REJECTED, SNIFF_BYTES, InputFile, InputRefused
from .spool import Mark, Spool

log = get_logger("edi.batch")


@dataclass
class FileResult:
    """What became of one inbound file: its hash, kind, outcome, claims and report."""

    input: InputFile
    sha256: str = ""
    kind: str = ""
    outcome: str = PROCESSED
    file_id: int | None = None
    claims: int = 0
    dispositions: Counter = field(default_factory=Counter)
    report: dict | None = None  # the rejection report (sidecar), or what the reader found
    duplicate_of_rejected: bool = False
    moved_to: str = ""

    def as_dict(self) -> dict:
        """The run report's entry for the file."""
        out = {
            "name": self.input.name,
            "sha256": self.sha256,
            "kind": self.kind,
            "outcome": self.outcome,
            "claims": self.claims,
            "dispositions": dict(self.dispositions),
        }
        if self.input.archive:
            out["archive"] = self.input.archive
        if self.moved_to:
            out["moved_to"] = self.moved_to
        if self.report:
            out["report"] = self.report
        return out


@dataclass
class PostingTotals:
    """What posting a run's 835 claim groups did: totals, and the groups with something to look at (refused,
    findings, payment-check discrepancies) as exceptions. Each group's detail (postings, ledger rows, balance,
    worklist items) is in the store, where `edi statement`, `edi ledger` and `edi worklist` read it."""

    counts: Counter = field(default_factory=Counter)
    by_sequence: Counter = field(default_factory=Counter)
    exceptions: Spool = field(default_factory=Spool)  # on disk: it grows with the drop

    def add(self, posting: GroupPosting) -> None:
        """Count one claim group's posting (kept as an exception when it has something to look at)."""
        self.counts.update(
            claims=1, posted=posting.posted, already_posted=posting.duplicates, worklist_items=posting.worklist
        )
        if posting.sequence:
            self.by_sequence[posting.sequence] += 1
        if posting.refused or posting.findings or posting.discrepancies:
            self.exceptions.append(
                {
                    "claim_id": posting.claim_id,
                    "payer": posting.payer_id,
                    "sequence": posting.sequence,
                    "refused": posting.refused,
                    "findings": posting.findings,
                    "discrepancies": posting.discrepancies,
                }
            )

    def mark(self) -> tuple[Counter, Counter, Mark]:
        """Where the totals stand (`rollback` returns to it when a file's transaction is rolled back)."""
        return Counter(self.counts), Counter(self.by_sequence), self.exceptions.mark()

    def rollback(self, mark: tuple[Counter, Counter, Mark]) -> None:
        self.counts, self.by_sequence = Counter(mark[0]), Counter(mark[1])
        self.exceptions.rollback(mark[2])

    def absorb(self, later: PostingTotals) -> None:
        self.counts.update(later.counts)
        self.by_sequence.update(later.by_sequence)
        self.exceptions.extend(later.exceptions)

    def as_dict(self, exceptions: object = None) -> dict:
        """The run report's `postings` (`exceptions`: what to put in place of the list, `RunReport.json_text`)."""
        names = ("claims", "posted", "already_posted", "worklist_items")
        return {
            **{name: self.counts.get(name, 0) for name in names},
            "by_sequence": dict(sorted(self.by_sequence.items())),
            "exceptions": list(self.exceptions) if exceptions is None else exceptions,
        }


def _rejection(inp: InputFile, sha256: str, kind: str, message: str, position: Position | None) -> dict:
    report = {
        "file": inp.name,
        "sha256": sha256,
        "kind": kind or "unknown",
        "reason": message,
        "position": asdict(position) if position is not None else None,
        "rejected_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    if inp.archive:
        report["archive"] = inp.archive
    return report


def _where(exc: BaseException) -> str:
    """An exception as the logs may carry it: its type and the innermost line of our code that raised it,
    never its message (which may quote input data)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "site-packages" not in f.filename] or frames
    where = f" at {Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else ""
    return f"{type(exc).__name__}{where}"


def internal_error(exc: BaseException, doing: str) -> str:
    """The rejection reason of an input that made our code fail: a fault of ours, named without input data."""
    return f"internal error ({_where(exc)}) while {doing}: a fault of the program, not necessarily of the file"


def _unread(exc: BaseException) -> str:
    if isinstance(exc, InputRefused):
        return str(exc)
    if isinstance(exc, OSError):
        return f"cannot read the file: {exc.strerror or type(exc).__name__}"
    return f"cannot read the file ({type(exc).__name__})"


def _already_billed(key: str, icn: str) -> tuple[str, list[str]]:
    return ALREADY_BILLED, [
        f"this answer (remittance {key}, CLP07 {icn}) was already billed to the secondary payer; nothing emitted again"
    ]


def _findings_summary(findings) -> dict:
    counts = Counter(f"{f.severity}:{f.rule}" for f in findings)
    errors = [str(f) for f in findings if f.severity == "error"][:20]
    return {"findings": dict(counts), "errors": errors} if counts else {}


class Inbound:
    """Takes inbound files into one store: originals stored, 835 claim groups decided and posted."""

    def __init__(self, store: ClaimStore, settings: Settings, now: Callable[[], datetime] = datetime.now):
        self.store = store
        self.settings = settings
        self.policy = settings.rule_policy()
        self.poster = Poster(store, settings, now)
        self.postings = PostingTotals()  # what the 835 claim groups posted (the run report's "postings")

    # -------------------------------------------------------------------------------- step 2: one file
    def process_file(self, inp: InputFile, attention: Spool) -> FileResult:
        """Step 2 for one input. Never raises for the input: whatever goes wrong while it is processed (ours
        or unexpected) rejects that input with its report, and the run goes on with the next one."""
        started = time.perf_counter()
        try:
            if inp.refusal:
                raise InputRefused(inp.refusal)
            data = inp.load()
        except Exception as exc:  # over a limit, unreadable, a broken zip member: rejected unread
            result = FileResult(inp, "", inp.kind, REJECTED)
            result.report = _rejection(inp, "", inp.kind, _unread(exc), None)
            log.warning("batch.file", file=inp.name, outcome=REJECTED, reason=result.report["reason"])
            return result
        try:
            return self._process(inp, data, attention, started)
        except Exception as exc:  # the store transaction is rolled back: the input is rejected, unrecorded
            result = FileResult(inp, hashlib.sha256(data).hexdigest(), inp.kind, REJECTED)
            result.report = _rejection(inp, result.sha256, inp.kind, internal_error(exc, "processing the file"), None)
            log.error("batch.file", file=inp.name, outcome=REJECTED, error=_where(exc))
            return result

    def _process(self, inp: InputFile, data: bytes, attention: Spool, started: float) -> FileResult:
        kind = inp.kind or first_transaction_set(data[:SNIFF_BYTES])
        result = FileResult(inp, hashlib.sha256(data).hexdigest(), kind)
        store = self.store
        with store.transaction():
            existing = store.file_by_hash(result.sha256)
            if existing is not None:
                return self._seen_before(inp, len(data), result, existing)
            result.file_id = store.add_file(result.sha256, inp.name, result.kind or "other", len(data), "processing")
            try:
                with store.savepoint():
                    if result.kind == "837":
                        result.report = self._read_837(data, inp.name, result)
                    elif result.kind == "835":
                        result.report = self._read_835(data, inp.name, result, attention)
                    else:
                        self._not_claims(data, inp.name, result.kind)
            except Exception as exc:  # X12Error: the file's fault; anything else: ours, said as such
                result.outcome = REJECTED
                result.claims = 0
                result.dispositions.clear()
                if isinstance(exc, X12Error):
                    message, position = exc.message, exc.position
                else:
                    message, position = internal_error(exc, "reading the file"), None
                    log.error("batch.file.error", file=inp.name, error=_where(exc))
                result.report = _rejection(inp, result.sha256, result.kind, message, position)
            store.finish_file(result.file_id, result.kind or "other", result.outcome, result.report)
        crash_point("after-file-commit")
        log.info(
            "batch.file",
            file=inp.name,
            kind=result.kind or "other",
            outcome=result.outcome,
            claims=result.claims,
            dispositions=dict(result.dispositions),
            seconds=round(time.perf_counter() - started, 3),
        )
        return result

    def _seen_before(self, inp: InputFile, size: int, result: FileResult, existing) -> FileResult:
        """A file whose bytes the store already holds: the move left to do after a stopped run, or a duplicate
        (recorded as such, with the first one's outcome)."""
        store = self.store
        if not existing.settled and existing.name == inp.name:
            # Committed by a run that stopped before moving it: only the move is left to do.
            result.outcome, result.file_id, result.report = (
                existing.outcome,
                existing.id,
                existing.report,
            )
            result.kind = existing.kind
            return result
        result.outcome = DUPLICATE
        result.duplicate_of_rejected = existing.outcome == REJECTED
        result.report = {
            "duplicate_of": existing.name,
            "sha256": result.sha256,
            "first_outcome": existing.outcome,
        }
        if existing.outcome == REJECTED and existing.report:
            result.report["rejection"] = existing.report
        result.file_id = store.add_file(result.sha256, inp.name, existing.kind, size, DUPLICATE, result.report)
        log.info("batch.file", file=inp.name, kind=existing.kind, outcome=DUPLICATE)
        return result

    def _not_claims(self, data: bytes, name: str, kind: str) -> None:
        walker = EnvelopeWalker(Tokenizer.from_bytes(data, name))
        for seg in walker:  # raises X12Error when it is not X12 at all
            if seg[0] == "ST":
                raise X12Error(
                    f"transaction set {element(seg, 1)!r} is neither an 837 nor an 835",
                    walker.position("ST01"),
                )
        raise X12Error("no transaction set (ST) in the file", Position(name))

    def _read_837(self, data: bytes, name: str, result: FileResult) -> dict:
        reader = Reader837(Tokenizer.from_bytes(data, name))
        store = self.store
        for claim in reader.claims():
            store.put_original(claim, result.file_id)
            result.claims += 1
        result.dispositions["stored-original"] = result.claims
        return _findings_summary(reader.findings)

    def _read_835(self, data: bytes, name: str, result: FileResult, attention: Spool) -> dict:
        groups, findings = read_claim_groups(data, name)
        for group in groups:
            disposition, reasons = self.decide(group, result.file_id)
            result.claims += 1
            result.dispositions[disposition] += 1
            if disposition not in (READY, CONVERTED):
                attention.append(
                    {"file": name, "claim_id": group.claim_id, "disposition": disposition, "reasons": reasons}
                )
        result.dispositions = Counter({(CONVERTED if k == READY else k): v for k, v in result.dispositions.items()})
        return _findings_summary(findings)

    # -------------------------------------------------------------------------------- rules on the store
    def decide(self, claim_group: ClaimGroup, file_id: int | None) -> tuple[str, list[str]]:
        """Decide one 835 claim group against the store; record it. Returns (disposition, reasons)."""
        store = self.store
        group, claim_id, raw = claim_group.payments, claim_group.claim_id, claim_group.raw
        key = claim_group.remittance_key
        last = group[-1]
        icn = last.payer_claim_number
        existing = store.find_remittance_claim(key, claim_id, icn)
        if existing is not None and existing.state in (READY, CONVERTED):
            return _already_billed(key, icn)
        stored = store.originals(claim_id)
        if not stored:
            reasons = ["the original 837 claim is not in the store yet; converted when it arrives"]
            if store.save_remittance_claim(key, claim_id, icn, last.status, raw, file_id, PENDING_ORIGINAL, reasons):
                return PENDING_ORIGINAL, reasons
            return _already_billed(key, icn)  # a concurrent worker billed it a moment ago
        posted = self.poster.post_group(group, stored, raw)  # issue 6: every answer is posted to its account
        self.postings.add(posted)
        if posted.sequence not in (None, "P"):  # a later payer's answer: posted, and a tertiary claim if any
            state, reasons, onward = self.poster.onward(group, posted, self.policy)
            outcome = Outcome(claim_id, last, original=posted.original.claim, secondary=onward)
            original_id = posted.original.row_id
        else:
            outcome = outcome_for(group, {claim_id: [s.claim for s in stored]}, self.policy)
            original_id = next((s.row_id for s in stored if s.claim is outcome.original), None)
            state, reasons = outcome.disposition, outcome.reasons
            if state == CONVERTED and store.billed_elsewhere(original_id, existing.id if existing else None):
                try:  # §1.8: the destination already holds a claim: replace it (frequency 7), never duplicate
                    outcome.secondary = self.poster.replacement(posted, outcome.secondary, required=True)
                    reasons = [
                        *reasons,
                        "a secondary claim was already sent for this claim: sent as a replacement "
                        f"(frequency 7, REF*F8 {outcome.secondary.find('REF', 'F8')[2]})",
                    ]
                except Refusal as refusal:
                    state, reasons = refusal.disposition, [refusal.reason]
        state, reasons, destination, parties = self._route(outcome, state, reasons)
        saved = store.save_remittance_claim(
            key,
            claim_id,
            icn,
            last.status,
            raw,
            file_id,
            state,
            reasons,
            original_id,
            destination,
            parties,
            outcome.secondary if state == READY else None,
        )
        if saved is None:  # a concurrent worker decided the same answer first and billed it
            return _already_billed(key, icn)
        return state, reasons

    def _route(self, outcome: Outcome, state: str, reasons: list[str]) -> tuple[str, list[str], str | None, dict]:
        """A converted claim's interchange parties and destination: it is ready to be emitted (or, when the
        parties cannot be chosen, needs review)."""
        if state != CONVERTED:
            return state, reasons, None, None
        try:
            chosen = output_parties(self.settings, parties_from(outcome.original))
        except ValueError as exc:
            return NEEDS_REVIEW, [str(exc)], None, None
        parties = asdict(chosen)
        return READY, reasons, json.dumps([list(parties.values()), outcome.secondary.payer_id]), parties

    def resolve_pending(self, attention: Spool) -> Counter:
        """Step 3: pending remittance claims whose original claim is now in the store, decided again."""
        resolved: Counter = Counter()
        store = self.store
        while True:
            with store.transaction():
                pending = store.pending_with_originals(500)
                for record in pending:
                    group = payments_from_raw(record.raw, f"store:{record.remittance_key}")
                    disposition, reasons = self.decide(ClaimGroup(record.claim_id, group, record.raw), None)
                    disposition = CONVERTED if disposition == READY else disposition
                    resolved[disposition] += 1
                    if disposition != CONVERTED:
                        attention.append(
                            {
                                "file": "(pending)",
                                "claim_id": record.claim_id,
                                "disposition": disposition,
                                "reasons": reasons,
                            }
                        )
            if len(pending) < 500:
                return resolved
