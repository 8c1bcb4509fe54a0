"""A whole conversion, top to bottom: read the original claims and the primary's 835, run the rules,
write the secondary claims and the report. `edi convert` is a thin wrapper over `convert`.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from parsers.errors import Finding
from parsers.models import ZERO, Claim837
from parsers.read835 import read_835
from parsers.read837 import Reader837
from parsers.syntax import Tokenizer
from rules.netting import group_by_claim
from rules.outcome import CONVERTED, NEEDS_REVIEW, Outcome
from rules.stage import outcome_for
from writers.claim837 import Writer837, parties_from
from writers.x12 import InterchangeParties

from .config import Settings
from .control import ControlNumbers
from .exits import EXIT_OK, EXIT_REVIEW
from .files import write_atomic
from .log import get_logger
from .store import open_store

log = get_logger("edi.pipeline")


@dataclass
class ConvertResult:
    outcomes: list[Outcome]
    report: dict
    output: str | None = None  # where the secondary claims went; None when nothing was converted
    text: str = ""  # the 837 written, when any
    findings: list[Finding] = field(default_factory=list)  # what the inputs' readers found

    @property
    def exit_code(self) -> int:
        """0 clean, 1 when some claim needs a person."""
        return EXIT_REVIEW if any(o.disposition == NEEDS_REVIEW for o in self.outcomes) else EXIT_OK


def output_parties(settings: Settings, default: InterchangeParties) -> InterchangeParties:
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


def convert(
    remit: str | Path,
    claims: Sequence[str | Path],
    out: str | Path | None = None,
    report_path: str | Path | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
    keep_claims: bool = True,
) -> ConvertResult:
    """Convert one primary 835 and its original 837 claims into secondary claims.

    `out` is a path, "-" for standard output, or None to keep the text only in the result. Nothing is
    written when no claim converts. Raises parsers.errors.X12Error when an input cannot be read.
    `keep_claims=False` lets each claim go once it is written (outcomes keep their figures, not their
    original and secondary claim objects): what the command line does, so memory does not grow with the run.
    """
    with gc_paused():
        return _convert(remit, claims, out, report_path, settings or Settings(), now or datetime.now(), keep_claims)


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector for a run: the readers allocate millions of small acyclic objects,
    and with a large heap each collection rescans all of them (a 4x slowdown at 8,000 claims, growing with
    size). Nothing is lost: the cycles a run leaves are collected when it is switched back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _convert(remit, claims, out, report_path, settings: Settings, now: datetime, keep_claims: bool) -> ConvertResult:
    """Streaming where the data allows: the 835 is read whole (netting needs all of a claim's adjudications),
    the original claims stream by, and each secondary claim is rendered as soon as it is derived. Memory
    holds the remittance and the output text, not the original claims."""
    started = time.perf_counter()
    remittances, findings = read_835(remit)
    groups = group_by_claim([claim for remittance in remittances for claim in remittance.claims])
    shared = _ids_on_several_originals(claims, groups)
    policy = settings.policy.policy()
    outcomes: dict[str, Outcome] = {}
    waiting: dict[str, list[Claim837]] = {}  # originals sharing a claim id: decided together at the end
    writer = Writer837()
    parties = None

    def settle(claim_id: str, originals: list[Claim837]) -> None:
        nonlocal parties
        outcome = outcome_for(groups[claim_id], {claim_id: originals}, policy)
        if outcome.secondary is not None:
            writer.add(outcome.secondary)
            parties = parties or output_parties(settings, parties_from(outcome.original))
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
        if out is not None:
            if str(out) == "-":
                sys.stdout.write(result.text)
                sys.stdout.flush()
            else:
                write_atomic(out, result.text)
            result.output = str(out)
    result.report = build_report(remit, claims, ordered, findings, result.output)
    if report_path is not None:
        write_atomic(report_path, json.dumps(result.report, indent=2) + "\n")
    log.info(
        "convert.done",
        remittance=str(remit),
        claims=len(ordered),
        converted=writer.count,
        dispositions=dict(Counter(o.disposition for o in ordered)),
        output=result.output,
        seconds=round(time.perf_counter() - started, 3),
    )
    return result


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
