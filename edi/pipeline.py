"""A whole conversion, top to bottom: read the original claims and the primary's 835, run the rules,
write the secondary claims and the report. `edi convert` is a thin wrapper over `convert`.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from parsers.envelope import expect_transaction_set
from parsers.errors import Finding
from parsers.models import ZERO, Claim837
from parsers.read835 import read_835
from parsers.read837 import Reader837
from parsers.syntax import Tokenizer
from rules.netting import group_by_claim
from rules.outcome import CONVERTED, NEEDS_REVIEW, Outcome
from rules.stage import outcome_for
from writers.claim837 import Writer837, parties_from
from writers.x12 import InterchangeParties, WriterError

from .config import Settings
from .control import ControlNumbers
from .exits import EXIT_OK, EXIT_REVIEW
from .files import write_atomic
from .log import get_logger
from .store import open_store
from .validation import outbound_gate

SNIFF_BYTES = 1 << 16  # the first ST is always within the first few hundred bytes

log = get_logger("edi.pipeline")


@dataclass
class ConvertResult:
    """What `convert` did: each claim's outcome, the report, the output written."""

    outcomes: list[Outcome]
    report: dict
    output: str | None = None  # where the secondary claims went; None when nothing was converted
    text: str = ""  # the 837 written, when any
    findings: list[Finding] = field(default_factory=list)  # what the inputs' readers found
    outbound: dict | None = None  # the outbound checks' verdict on the 837, when they ran

    @property
    def exit_code(self) -> int:
        """0 clean, 1 when some claim needs a person."""
        return EXIT_REVIEW if any(o.disposition == NEEDS_REVIEW for o in self.outcomes) else EXIT_OK


def output_parties(settings: Settings, default: InterchangeParties) -> InterchangeParties:
    """ISA/GS parties of the output: the settings' where given, else `default` (the original claim's)."""
    given = settings.interchange
    return InterchangeParties(
        given.sender_qualifier or default.sender_qualifier,
        given.sender_id or default.sender_id,
        given.receiver_qualifier or default.receiver_qualifier,
        given.receiver_id or default.receiver_id,
        given.group_sender or given.sender_id or default.group_sender,
        given.group_receiver or given.receiver_id or default.group_receiver,
        given.usage or default.usage,
        default.acknowledgment_requested,
    )


class OutputConflict(Exception):
    """An output (--out, --report) names an input: writing it would destroy what is read (exit 2)."""


def refuse_overwrite(inputs: Sequence[str | Path], **outputs: str | Path | None) -> None:
    """OutputConflict when an output names one of the inputs (the same file, whatever the spelling)."""
    read = {os.path.realpath(p) for p in inputs}
    for name, value in outputs.items():
        if value is not None and str(value) != "-" and os.path.realpath(value) in read:
            raise OutputConflict(f"--{name} {value} is one of the input files: it would be overwritten")


def expect_kind(path: str | Path, kind: str) -> None:
    """X12Error when the file at `path` is X12 of another transaction set than `kind` ("835", "837")."""
    with open(path, "rb") as handle:
        expect_transaction_set(handle.read(SNIFF_BYTES), kind, str(path))


def convert(
    remit: str | Path,
    claims: Sequence[str | Path],
    out: str | Path | None = None,
    report_path: str | Path | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
    keep_claims: bool = True,
    check_outbound: bool = True,
) -> ConvertResult:
    """Convert one primary 835 and its original 837 claims into secondary claims.

    `out` is a path, "-" for standard output, or None to keep the text only in the result. Nothing is
    written when no claim converts. Raises parsers.errors.X12Error when an input cannot be read (or is not an
    835 / an 837), OutputConflict when `out` or `report_path` names an input.
    `keep_claims=False` lets each claim go once it is written (outcomes keep their figures, not their
    original and secondary claim objects): what the command line does, so memory does not grow with the run.

    Before anything is published, the 837 passes the outbound gate's checks (`edi.validation.outbound_gate`:
    the guide, by the gate's engine, encoding included, and COB balancing); one that fails is not written and its claims
    are needs-review. A claim the writer cannot render is needs-review with the reason; the others go out.
    The report is written first, then the 837: a failure between them removes the report (both or neither).
    `check_outbound=False` skips the gate's checks (benchmarks of the conversion alone).
    """
    refuse_overwrite([remit, *claims], out=out, report=report_path)
    expect_kind(remit, "835")
    for path in claims:
        expect_kind(path, "837")
    settings = settings or Settings()
    with gc_paused(promote=True):
        result = _convert(remit, claims, settings, now or datetime.now(), keep_claims)
    if result.text and out is not None and check_outbound:
        _outbound_checks(result, str(out), settings.gate.engine)
    with gc_paused():  # the report is a dict per claim: each collection would rescan the run's whole heap
        _publish(result, remit, claims, out, report_path)
    return result


@contextmanager
def gc_paused(promote: bool = False):
    """Pause the cyclic garbage collector for a run: the readers allocate millions of small acyclic objects,
    and with a large heap each collection rescans all of them (a 4x slowdown at 8,000 claims, growing with
    size). Nothing is lost: the cycles a run leaves are collected when it is switched back on.

    `promote=True` is for a run whose objects outlive it (convert's result holds the remittance): what it
    allocated goes straight to the oldest generation when the collector is switched back on (`gc.freeze`,
    then `gc.unfreeze`), instead of the first collection after the run scanning all of it (half a second at
    20,000 claims); cycles among them are collected by the next full collection. Not done when the caller
    froze objects itself (unfreezing would release them too)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if promote and not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def _convert(remit, claims, settings: Settings, now: datetime, keep_claims: bool) -> ConvertResult:
    """Streaming where the data allows: the 835 is read whole (netting needs all of a claim's adjudications),
    the original claims stream by, and each secondary claim is rendered as soon as it is derived. Memory
    holds the remittance and the output text, not the original claims."""
    started = time.perf_counter()
    remittances, findings = read_835(remit)
    groups = group_by_claim([claim for remittance in remittances for claim in remittance.claims])
    shared = _ids_on_several_originals(claims, groups)
    policy = settings.rule_policy()
    outcomes: dict[str, Outcome] = {}
    waiting: dict[str, list[Claim837]] = {}  # originals sharing a claim id: decided together at the end
    writer = Writer837()
    parties = None

    def settle(claim_id: str, originals: list[Claim837]) -> None:
        nonlocal parties
        outcome = outcome_for(groups[claim_id], {claim_id: originals}, policy)
        if outcome.secondary is not None:
            chosen = written(writer, outcome, parties, settings, now)
            if chosen is not None:
                parties = chosen
                if not keep_claims:
                    outcome.secondary = outcome.original = None  # rendered: let the claim go
        outcomes[claim_id] = outcome

    for path in claims:
        reader = Reader837(Tokenizer.open(path))
        for claim in reader.claims():
            claim_id = claim.claim_id
            if claim_id not in groups:
                continue
            if claim_id in shared:
                waiting.setdefault(claim_id, []).append(claim)
            else:
                settle(claim_id, [claim])
        findings += reader.findings
    for claim_id in groups:
        if claim_id not in outcomes:
            settle(claim_id, waiting.get(claim_id, []))
    ordered = [outcomes[claim_id] for claim_id in groups]
    result = ConvertResult(ordered, {}, findings=findings)
    if writer.count:
        store = open_store(settings.store)  # the counter `edi batch` and `edi watch` share
        try:
            result.text = writer.finish(parties, ControlNumbers(store), now)
        finally:
            store.close()
    log.info(
        "convert.done",
        remittance=str(remit),
        claims=len(ordered),
        converted=writer.count,
        dispositions=dict(Counter(o.disposition for o in ordered)),
        seconds=round(time.perf_counter() - started, 3),
    )
    return result


def written(writer: Writer837, outcome: Outcome, parties: InterchangeParties | None, settings: Settings, now: datetime):
    """The interchange parties a converted claim is written with, once it is added to `writer` (only when it
    renders in an interchange of its own: a claim that cannot be written must not spoil the interchange);
    None, with the claim made needs-review and the reason, when the writer refuses it (a value holding an
    output delimiter, an ISA06 longer than 15 ...)."""
    try:
        chosen = parties or output_parties(settings, parties_from(outcome.original))
        writer.add_if_alone_renders(outcome.secondary, chosen, now)
    except Exception as exc:
        why = str(exc) if isinstance(exc, WriterError | ValueError) else f"internal error ({type(exc).__name__})"
        outcome.disposition, outcome.secondary = NEEDS_REVIEW, None
        outcome.reasons = [*outcome.reasons, f"the secondary claim cannot be written: {why}"]
        return None
    return chosen


def _outbound_checks(result: ConvertResult, name: str, engine: str) -> None:
    """The outbound gate's checks on the 837 about to be published; when it fails, nothing is published and
    every converted claim is needs-review with the errors (the 837 is kept in `result.outbound`)."""
    verdict = outbound_gate(result.text, name, engine)
    result.outbound = {"ok": verdict.ok, "errors": len(verdict.errors), "guide_checked": verdict.guide_checked}
    if verdict.ok:
        return
    said = "; ".join(
        f"segment {i.segment} ({i.element or i.segment_id or 'file'}): {i.explanation} - {i.message}"
        for i in verdict.errors[:3]
    )
    reason = f"outbound validation failed, the 837 was not written: {said}"
    result.outbound["findings"] = [i.as_dict() for i in verdict.errors]
    for outcome in result.outcomes:
        if outcome.disposition == CONVERTED:
            outcome.disposition, outcome.reasons = NEEDS_REVIEW, [*outcome.reasons, reason]
    result.text = ""


def _publish(result: ConvertResult, remit, claims, out, report_path) -> None:
    """The report first, then the 837 (both or neither: the report is removed when the 837 cannot be written)."""
    result.output = str(out) if out is not None and result.text else None
    result.report = build_report(remit, claims, result.outcomes, result.findings, result.output)
    if result.outbound is not None:
        result.report["outbound_check"] = result.outbound
    if report_path is not None:
        write_atomic(report_path, json.dumps(result.report, indent=2) + "\n")
    if result.output is None:
        return
    try:
        if str(out) == "-":
            sys.stdout.write(result.text)
            sys.stdout.flush()
        else:
            write_atomic(out, result.text)
    except BaseException:
        if report_path is not None:
            Path(report_path).unlink(missing_ok=True)
        raise


def _ids_on_several_originals(paths: Sequence[str | Path], wanted: Mapping[str, object]) -> set[str]:
    """Claim ids of the remittance that more than one original claim carries (a quick tokenizer pass): those
    need all their candidates at hand to break the tie (payer, then charge)."""
    seen: Counter = Counter()
    for path in paths:
        for seg in Tokenizer.open(path):
            if seg[0] == "CLM" and len(seg) > 1 and seg[1] in wanted:
                seen[seg[1]] += 1
    return {claim_id for claim_id, count in seen.items() if count > 1}


def build_report(remit, claims, outcomes: list[Outcome], findings: list[Finding], output: str | None) -> dict:
    """The JSON report of a conversion: each claim's disposition, reasons and figures, and the totals."""

    def total(values) -> str:
        return str(sum(values, ZERO))

    entries = []
    for outcome in outcomes:
        entry = {"claim_id": outcome.claim_id, "disposition": outcome.disposition, "reasons": outcome.reasons}
        entry.update(outcome.figures())
        if outcome.notes:
            entry["notes"] = outcome.notes
        if outcome.destination_payer_id:
            entry["secondary_payer_id"] = outcome.destination_payer_id
        entries.append(entry)
    pays = [o.payment for o in outcomes]
    return {
        "remittance": str(remit),
        "original_claims": [str(c) for c in claims],
        "output": output,
        "claims": entries,
        "totals": {
            "claims": len(outcomes),
            "by_disposition": dict(Counter(o.disposition for o in outcomes)),
            "charge": total(p.charge for p in pays),
            "primary_paid": total(p.paid for p in pays),
            "patient_responsibility": total(p.patient_responsibility_total() for p in pays),
            "converted_charge": total(o.payment.charge for o in outcomes if o.disposition == CONVERTED),
        },
        "input_findings": [f.as_dict() for f in findings],
    }
