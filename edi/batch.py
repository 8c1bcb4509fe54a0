"""`edi batch`: a clearinghouse drop (a folder or a .zip of mixed 837 and 835 files) on the claim store.

A run, in the order that makes every output appear exactly once whatever stops the process (kill -9
included), in the shape of achgateway (audit trail by hash, processing apart from publishing and cleanup):

1. recover: publish every outbox row a previous run committed but did not publish (same name, same text);
2. per input file (837s first, then 835s), in ONE store transaction: hash it (a hash already taken is a
   duplicate, not read again), read it, store its original claims or its adjudications (rules run here; a
   claim converted is ``ready``, one without its original yet ``pending-original``), record the file;
3. re-run pending adjudications whose original claim has now arrived;
4. in ONE store transaction: every ``ready`` claim, grouped by destination (ISA receiver + secondary payer,
   at most `MAX_CLAIMS_PER_INTERCHANGE` per interchange), is written to an outbox row with its control
   numbers reserved from the store's counter, and marked ``converted``; with ``ack_dir`` set, the 999/TA1
   of each inbound file (validated in the gate's process pool while 2-3 ran) go to the outbox too, one
   transaction per input, keyed by its sha256 so that an input is acknowledged once;
5. the outbound gate: every outbox row without a verdict is validated (`edi.validate.outbound_gate`: pyx12
   on its guide + COB balancing on every claim) in a process pool, and the verdict is committed on the row:
   ``passed``; or ``failed``, in the same transaction as its claims' move to ``needs-review`` ("outbound
   validation failed: ...") and the removal of their secondary_claims rows (they were not billed);
6. publish the outbox rows (temp file, fsync, rename) by verdict: passed to OUTDIR (acks to ack_dir), failed
   to the rejected folder with ``<name>.report.json``; a row without a verdict is never published;
7. move each input to ``processed/`` (or ``rejected/`` with ``<name>.report.json``) and mark it settled.

A crash in 2 rolls the file back (it is read again next time); after 2 the hash is known (the input is only
moved, next time); after 4 the outbox is validated and published at the next start (the gate runs before
anything is written: an unvalidated file is never published); after 5 the committed verdict is used as it
is (the file is not validated again, and a failed one is never published, even by a run with --no-gate);
after 6 publishing again rewrites the same bytes under the same name.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sqlite3
import sys
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from parsers.envelope import EnvelopeWalker, element, first_transaction_set
from parsers.errors import Position, X12Error
from parsers.models import ClaimPayment
from parsers.read835 import Reader835
from parsers.read837 import Reader837
from parsers.syntax import Tokenizer
from rules.netting import group_by_claim
from rules.outcome import CONVERTED, NEEDS_REVIEW, Outcome, Refusal
from rules.stage import outcome_for
from writers.claim837 import parties_from, write_837, write_837_placed
from writers.x12 import InterchangeParties, WriterError

from .config import Settings
from .control import ControlNumbers
from .exits import EXIT_OK, EXIT_REVIEW
from .files import write_atomic
from .log import get_logger
from .pipeline import gc_paused, output_parties
from .posting import Poster
from .remittance import remittance_envelope
from .store import (
    ALREADY_BILLED,
    PENDING_ORIGINAL,
    READY,
    ClaimStore,
    open_store,
    payments_from_raw,
    raw_remittance,
)
from .validate import FileVerdict, render_acks, validate_text

log = get_logger("edi.batch")

CRASH_ENV = "EDI_TEST_CRASH_AT"  # tests: "<point>" or "<point>:<n>" makes the process os._exit(137) there
MAX_CLAIMS_PER_INTERCHANGE = 1000  # well under the guide's 5,000 per set, so the outbound gate (one file per
# pyx12 process, ~100-160 claims/s each) spreads a large destination over its pool
SNIFF_BYTES = 1 << 16
PROCESSED, REJECTED, DUPLICATE = "processed", "rejected", "duplicate"
GATE_PASSED, GATE_FAILED, GATE_SKIPPED = "passed", "failed", "skipped"  # outbox.gate (NULL: not judged yet)
ACK_DESTINATION = "ack:"  # outbox.destination of acknowledgments: "ack:<sha256 of the inbound file>"

_crash_hits: Counter = Counter()


def crash_point(name: str) -> None:
    """A named point of the exactly-once protocol where tests kill the process (no-op in production)."""
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return
    target, _, nth = spec.partition(":")
    if target == name:
        _crash_hits[name] += 1
        if _crash_hits[name] >= int(nth or 1):
            os._exit(137)


class DropError(Exception):
    """The drop itself cannot be read (missing, not a folder or a zip, a broken zip): exit 2."""


def ignored_name(name: str) -> bool:
    """Names a writer uses while a file is not complete yet, and our own sidecars."""
    base = name.rsplit("/", 1)[-1]
    return base.startswith(".") or base.endswith((".part", ".tmp", ".report.json")) or not base


# ------------------------------------------------------------------------------------------ inputs
@dataclass
class InputFile:
    """One file of a drop. `path` is set when it is a file on disk (it is moved when done); zip members
    have none (a rejected member is extracted next to the zip, under rejected/<zip name>/)."""

    name: str
    load: Callable[[], bytes]
    head: Callable[[], bytes]
    path: Path | None = None
    home: Path | None = None  # the folder holding processed/ and rejected/
    archive: str = ""
    kind: str = ""


def inputs_from_folder(folder: Path) -> list[InputFile]:
    out = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or ignored_name(path.name):
            continue
        out.append(file_input(path, folder))
    return out


def file_input(path: Path, home: Path) -> InputFile:
    def head(p=path) -> bytes:
        with open(p, "rb") as handle:
            return handle.read(SNIFF_BYTES)

    return InputFile(path.name, path.read_bytes, head, path, home)


def inputs_from_zip(archive: Path) -> tuple[list[InputFile], zipfile.ZipFile]:
    try:
        zf = zipfile.ZipFile(archive)
        infos = [
            i
            for i in zf.infolist()
            if not i.is_dir() and not ignored_name(i.filename) and not i.filename.startswith("__MACOSX/")
        ]
    except (zipfile.BadZipFile, OSError) as exc:
        raise DropError(f"{archive}: not a readable zip ({exc})") from exc
    out = []
    for info in sorted(infos, key=lambda i: i.filename):

        def load(i=info) -> bytes:
            return zf.read(i)

        def head(i=info) -> bytes:
            with zf.open(i) as handle:
                return handle.read(SNIFF_BYTES)

        out.append(InputFile(info.filename, load, head, None, archive.parent, archive.name))
    return out, zf


# ------------------------------------------------------------------------------------------ results
@dataclass
class FileResult:
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


class TimedStore:
    """Wraps a store and adds up the seconds spent in it (SQL, serialisation, commits): the store's share."""

    def __init__(self, store: ClaimStore):
        self._store = store
        self.seconds = 0.0

    def __getattr__(self, name: str):
        attr = getattr(self._store, name)
        if not callable(attr):
            return attr
        if name in ("transaction", "savepoint"):
            wrapped = self._timed_context(attr)
        else:

            def wrapped(*args, _attr=attr, **kwargs):
                start = time.perf_counter()
                try:
                    return _attr(*args, **kwargs)
                finally:
                    self.seconds += time.perf_counter() - start

        setattr(self, name, wrapped)
        return wrapped

    def _timed_context(self, factory):
        @contextmanager
        def timed():
            start = time.perf_counter()
            manager = factory()
            value = manager.__enter__()
            self.seconds += time.perf_counter() - start
            try:
                yield value
            except BaseException:
                start = time.perf_counter()
                if not manager.__exit__(*sys.exc_info()):
                    self.seconds += time.perf_counter() - start
                    raise
                self.seconds += time.perf_counter() - start
            else:
                start = time.perf_counter()
                manager.__exit__(None, None, None)
                self.seconds += time.perf_counter() - start

        return timed


def _safe(value: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in value.strip()) or "NONE"


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


# ------------------------------------------------------------------------------------------ validation pool
class ValidationPool:
    """`edi.validate.validate_text` off the main process: a spawn ProcessPoolExecutor of `workers` processes,
    started on first use and kept across runs (`edi watch` pays the start-up once). pyx12 costs 0.3-0.5 s per
    file plus ~6 ms per claim, so files are validated side by side, one per worker. ``workers=0`` validates in
    the calling process, at submit time."""

    def __init__(self, workers: int):
        self.workers = max(0, workers)
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, text: str | bytes, name: str) -> Future:
        if self.workers == 0:
            done: Future = Future()
            try:
                done.set_result(validate_text(text, name))
            except Exception as exc:  # a bug of ours or pyx12's: the caller decides, as with a worker's
                done.set_exception(exc)
            return done
        if self._pool is None:
            # spawn: a forked child would inherit the SQLite connection and the parent's threads mid-lock
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
            )
        return self._pool.submit(validate_text, text, name)

    def reset(self) -> None:
        """Drop a broken pool (a worker killed, e.g. out of memory); the next submit starts a new one."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _exit_with_parent(parent: int) -> None:
    """Pool worker start-up: exit as soon as the parent is gone. A parent killed (-9, OOM) never tells its
    workers, which would wait on the call queue forever, holding the parent's stdout/stderr open."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    import threading

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _claim_spans(text: str) -> dict[str, list[tuple[int, int]]]:
    """CLM01 -> [(first, last) segment ordinal (ISA = 1) of its 2300 loop and below], of an 837 we wrote and
    stored in the outbox. The writer knew them (`ClaimPlacement.first/last`) when it wrote the file, but the
    gate may judge the file in a later run, from the stored text: read back with our tokenizer."""
    spans: dict[str, list[tuple[int, int]]] = {}
    current: tuple[str, int] | None = None
    tok = Tokenizer.from_bytes(text.encode("latin-1"), "outbox")
    for seg in tok:
        if seg[0] in ("CLM", "HL", "SE") and current is not None:
            spans.setdefault(current[0], []).append((current[1], tok.ordinal - 1))
            current = None
        if seg[0] == "CLM":
            current = (seg[1], tok.ordinal)
    return spans


def gate_report(name: str, verdict: FileVerdict, claims: list[str], spans: dict) -> dict:
    """The `<name>.report.json` of an output the gate stopped: every finding with its position, segment,
    element, plain explanation and the claim (CLM01) it sits in."""

    def claim_at(segment: int) -> str:
        for claim_id, ranges in spans.items():
            if any(a <= segment <= b for a, b in ranges):
                return claim_id
        return ""

    return {
        "file": name,
        "outcome": "rejected by the outbound gate: not published",
        "reason": f"outbound validation failed: {len(verdict.errors)} error(s)",
        "guide": verdict.guide,
        "guide_checked": verdict.guide_checked,
        "claims": claims,
        "rejected_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "findings": [
            {
                "file": name,
                "segment": i.segment,
                "offset": i.offset,
                "segment_id": i.segment_id,
                "element": i.element,
                "severity": i.severity,
                "rule": i.rule,
                "explanation": i.explanation,
                "message": i.message,
                "claim_id": claim_at(i.segment) if i.segment else "",
            }
            for i in verdict.issues
        ],
    }


def _claim_reason(claim_id: str, report: dict, where: Path) -> str:
    """The needs-review reason of one claim of a rejected output: its own errors first, else the file's."""
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    own = [f for f in errors if f["claim_id"] == claim_id] or errors
    said = "; ".join(
        f"segment {f['segment']} ({f['element'] or f['segment_id'] or 'file'}): {f['explanation']} - {f['message']}"
        for f in own[:3]
    )
    more = f" and {len(own) - 3} more" if len(own) > 3 else ""
    return f"outbound validation failed: {said}{more}; the file is in {where} with its report"


# ------------------------------------------------------------------------------------------ the runner
class Runner:
    """Runs drops (or single files, for `edi watch`) against one store and one output folder."""

    def __init__(
        self,
        store: ClaimStore,
        out: Path,
        settings: Settings | None = None,
        now: Callable[[], datetime] = datetime.now,
    ):
        self.store = TimedStore(store)
        self.out = Path(out).resolve()
        self.settings = settings or Settings()
        self.policy = self.settings.policy.policy()
        self.now = now
        self.poster = Poster(self.store, self.settings, now)
        self.postings: list[dict] = []  # what each 835 claim group posted (the run report's "postings")
        gate = self.settings.gate
        self.gate_enabled = gate.enabled
        self.rejected_dir = Path(gate.rejected_dir or self.out / REJECTED).resolve()
        self.ack_dir = Path(self.settings.ack_dir).resolve() if self.settings.ack_dir else None
        self.validator = ValidationPool(gate.workers)
        self.gate_log: list[dict] = []  # verdicts committed since the current run started
        self.rejected_written: list[str] = []  # failed outputs written to the rejected folder, this run
        self.gate_seconds = 0.0

    def close(self) -> None:
        """Stop the validation processes."""
        self.validator.close()

    # -------------------------------------------------------------------------------- one run
    def run(self, inputs: list[InputFile], progress: Callable[[int], None] | None = None) -> dict:
        started = time.perf_counter()
        store_before = self.store.seconds
        run_id = uuid.uuid4().hex
        self.out.mkdir(parents=True, exist_ok=True)
        self.gate_log, self.rejected_written, self.gate_seconds = [], [], 0.0
        republished = self.publish()
        for inp in inputs:
            if not inp.kind:
                inp.kind = first_transaction_set(inp.head())
        order = {"837": 0, "835": 1}
        ordered = sorted(inputs, key=lambda i: order.get(i.kind, 2))  # stable: names stay in order
        ack_jobs = self._validate_inbound(ordered) if self.ack_dir is not None else {}
        results: list[FileResult] = []
        attention: list[dict] = []
        resolved: Counter = Counter()
        for inp in ordered:
            if inp.kind == "835" and not resolved:
                resolved = self.resolve_pending(attention) or Counter({"none": 0})
            with gc_paused():  # per file: garbage left by one file is collected before the next
                results.append(self.process_file(inp, attention))
            if progress:
                progress(1)
        if not resolved:
            resolved = self.resolve_pending(attention)
        resolved.pop("none", None)
        with gc_paused():
            outputs = self.emit(run_id, attention)
        acks = self.acknowledge(results, ack_jobs, run_id) if ack_jobs else []
        crash_point("after-commit-before-publish")
        self.publish()
        crash_point("after-publish-before-move")
        verdicts = {g["name"]: g for g in self.gate_log}
        for output in outputs:
            output["gate"] = verdicts.get(output["name"], {}).get("gate", "")
        rejected_claims = 0
        for g in self.gate_log:
            for claim_id, reason in g.get("claims", {}).items():
                rejected_claims += 1
                attention.append(
                    {
                        "file": "(outbound gate)",
                        "claim_id": claim_id,
                        "disposition": NEEDS_REVIEW,
                        "reasons": [reason],
                    }
                )
        for result in results:
            self.settle(result)
        dispositions: Counter = Counter()
        for result in results:
            dispositions.update(result.dispositions)
        seconds = time.perf_counter() - started
        report = {
            "run_id": run_id,
            "files": [r.as_dict() for r in results],
            "claims": {
                "total": sum(dispositions.values()),
                "by_disposition": dict(dispositions),
                "resolved_pending": dict(resolved),
                "attention": attention,
            },
            "postings": self.postings,
            "outputs": outputs,
            "republished": republished,
            "acknowledgments": acks,
            "gate": self._gate_summary(),
            "seconds": round(seconds, 3),
            "store_seconds": round(self.store.seconds - store_before, 3),
        }
        report["claims"]["outbound_rejected"] = rejected_claims
        files = Counter(r.outcome for r in results)
        report["totals"] = {
            "files": len(results),
            "by_outcome": dict(files),
            "outputs": len(outputs),
            "claims_written": sum(o["claims"] for o in outputs if o["gate"] != GATE_FAILED),
        }
        review = dispositions.get(NEEDS_REVIEW, 0) + resolved.get(NEEDS_REVIEW, 0)
        report["exit_code"] = (
            EXIT_REVIEW
            if files.get(REJECTED)
            or review
            or rejected_claims
            or report["gate"]["rejected"]
            or any(r.duplicate_of_rejected for r in results)
            else EXIT_OK
        )
        log.info(
            "batch.run",
            files=len(results),
            outcomes=dict(files),
            claims=sum(dispositions.values()),
            dispositions=dict(dispositions),
            resolved_pending=dict(resolved),
            outputs=len(outputs),
            control_numbers=[o["isa13"] for o in outputs],
            gate=report["gate"],
            seconds=report["seconds"],
            store_seconds=report["store_seconds"],
        )
        return report

    def _gate_summary(self) -> dict:
        by = Counter(g["gate"] for g in self.gate_log)
        return {
            "enabled": self.gate_enabled,
            "workers": self.validator.workers,
            "checked": by[GATE_PASSED] + by[GATE_FAILED],
            "passed": by[GATE_PASSED],
            "failed": by[GATE_FAILED],
            "skipped": by[GATE_SKIPPED],
            "errors": by["error"],
            "claims_checked": sum(g.get("claims_in_file", 0) for g in self.gate_log),
            # judged failed in this run, or judged by a run that stopped and written to rejected/ now
            "rejected": sorted(
                {g["name"] for g in self.gate_log if g["gate"] == GATE_FAILED} | set(self.rejected_written)
            ),
            "seconds": round(self.gate_seconds, 3),
            "validator_seconds": round(sum(g.get("seconds", 0.0) for g in self.gate_log), 3),
        }

    # -------------------------------------------------------------------------------- step 2: one file
    def process_file(self, inp: InputFile, attention: list[dict]) -> FileResult:
        started = time.perf_counter()
        data = inp.load()
        kind = inp.kind or first_transaction_set(data[:SNIFF_BYTES])
        result = FileResult(inp, hashlib.sha256(data).hexdigest(), kind)
        store = self.store
        with store.transaction():
            existing = store.file_by_hash(result.sha256)
            if existing is not None:
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
                result.file_id = store.add_file(
                    result.sha256, inp.name, existing.kind, len(data), DUPLICATE, result.report
                )
                log.info("batch.file", file=inp.name, kind=existing.kind, outcome=DUPLICATE)
                return result
            result.file_id = store.add_file(result.sha256, inp.name, result.kind or "other", len(data), "processing")
            try:
                with store.savepoint():
                    if result.kind == "837":
                        result.report = self._read_837(data, inp.name, result)
                    elif result.kind == "835":
                        result.report = self._read_835(data, inp.name, result, attention)
                    else:
                        self._not_claims(data, inp.name, result.kind)
            except X12Error as exc:
                result.outcome = REJECTED
                result.claims = 0
                result.dispositions.clear()
                result.report = _rejection(inp, result.sha256, result.kind, exc.message, exc.position)
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

    def _read_835(self, data: bytes, name: str, result: FileResult, attention: list[dict]) -> dict:
        text = data.decode("latin-1")
        tok = Tokenizer.from_bytes(data, name)
        reader = Reader835(tok)
        raw: dict[int, tuple[str, str]] = {}  # id(payment) -> (remittance header, CLP loop), as read
        envelopes: dict[int, tuple[str | None, str | None, str]] = {}  # id(remittance) -> ISA, GS, header
        payments: list[ClaimPayment] = []
        for payment in reader.claims():
            loop = text[payment.position.offset : tok.offset]  # CLP up to the segment that ended the claim
            rem = payment.remittance
            envelope = envelopes.get(id(rem))
            if envelope is None:
                envelope = envelopes[id(rem)] = remittance_envelope(text, rem, payment.position.offset)
            raw[id(payment)] = (envelope[2], loop)
            payments.append(payment)
        for claim_id, group in group_by_claim(payments).items():
            last = group[-1]
            rem = last.remittance
            isa, gs, _ = envelopes[id(rem)]
            stored_raw = raw_remittance(isa, gs, rem.delimiters, [raw[id(p)] for p in group], rem.findings)
            key = f"{element(rem.trn, 2)}|{element(rem.trn, 3)}"
            disposition, reasons = self.adjudicate(group, key, claim_id, stored_raw, result.file_id)
            result.claims += 1
            result.dispositions[disposition] += 1
            if disposition not in (READY, CONVERTED):
                attention.append({"file": name, "claim_id": claim_id, "disposition": disposition, "reasons": reasons})
        result.dispositions = Counter({(CONVERTED if k == READY else k): v for k, v in result.dispositions.items()})
        return _findings_summary(reader.findings)

    # -------------------------------------------------------------------------------- rules on the store
    def adjudicate(
        self, group: list[ClaimPayment], key: str, claim_id: str, raw: str, file_id: int | None
    ) -> tuple[str, list[str]]:
        """Decide one netted 835 claim against the store; record it. Returns (disposition, reasons)."""
        store = self.store
        last = group[-1]
        icn = last.payer_claim_number
        existing = store.find_adjudication(key, claim_id, icn)
        if existing is not None and existing.state in (READY, CONVERTED):
            return ALREADY_BILLED, [
                f"this adjudication (remittance {key}, CLP07 {icn}) was already billed to "
                "the secondary payer; nothing emitted again"
            ]
        stored = store.originals(claim_id)
        if not stored:
            reasons = ["the original 837 claim is not in the store yet; converted when it arrives"]
            store.save_adjudication(key, claim_id, icn, last.status, raw, file_id, PENDING_ORIGINAL, reasons)
            return PENDING_ORIGINAL, reasons
        posted = self.poster.post_group(group, stored, raw)  # issue 6: every answer is posted to its account
        self.postings.append(posted.as_dict())
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
        destination = parties = None
        if state == CONVERTED:
            try:
                chosen = output_parties(self.settings, parties_from(outcome.original))
            except ValueError as exc:
                state, reasons = NEEDS_REVIEW, [str(exc)]
            else:
                state = READY
                parties = asdict(chosen)
                destination = json.dumps([list(parties.values()), outcome.secondary.payer_id])
        store.save_adjudication(
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
        return state, reasons

    def resolve_pending(self, attention: list[dict]) -> Counter:
        """Step 3: pending adjudications whose original claim is now in the store, decided again."""
        resolved: Counter = Counter()
        store = self.store
        while True:
            with store.transaction():
                pending = store.pending_with_originals(500)
                for record in pending:
                    group = payments_from_raw(record.raw, f"store:{record.remittance_key}")
                    disposition, reasons = self.adjudicate(
                        group, record.remittance_key, record.claim_id, record.raw, None
                    )
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

    # -------------------------------------------------------------------------------- step 4: emit
    def emit(self, run_id: str, attention: list[dict]) -> list[dict]:
        store = self.store
        outputs: list[dict] = []
        when = self.now()
        with store.transaction():
            by_destination: dict[str, list[int]] = {}
            for adjudication_id, destination in store.ready_claims():
                by_destination.setdefault(destination, []).append(adjudication_id)
            for destination, ids in by_destination.items():
                for start in range(0, len(ids), MAX_CLAIMS_PER_INTERCHANGE):
                    chunk = store.load_ready(ids[start : start + MAX_CLAIMS_PER_INTERCHANGE])
                    output = self._write(chunk, destination, run_id, when, attention)
                    if output:
                        outputs.append(output)
        for output in outputs:
            log.info(
                "batch.output",
                file=output["name"],
                claims=output["claims"],
                isa13=output["isa13"],
                payer=output["payer_id"],
            )
        return outputs

    def _write(self, chunk, destination: str, run_id: str, when: datetime, attention: list[dict]) -> dict | None:
        store = self.store
        parties = InterchangeParties(**chunk[0].parties)
        payer = json.loads(destination)[1]
        claims = [store.secondary_claim(r) for r in chunk]
        try:
            write_837(claims, parties, lambda: 1, when)
        except WriterError:
            keep = []
            for ready, claim in zip(chunk, claims, strict=True):
                try:
                    write_837([claim], parties, lambda: 1, when)
                    keep.append((ready, claim))
                except WriterError as exc:
                    reasons = [f"the secondary claim cannot be written: {exc}"]
                    store.set_state(ready.adjudication_id, NEEDS_REVIEW, reasons)
                    attention.append(
                        {
                            "file": "(output)",
                            "claim_id": ready.claim_id,
                            "disposition": NEEDS_REVIEW,
                            "reasons": reasons,
                        }
                    )
            if not keep:
                return None
            chunk, claims = [k[0] for k in keep], [k[1] for k in keep]
        numbers = ControlNumbers(store)
        numbers.reserve(2 + len(claims))
        text, placements = write_837_placed(claims, parties, numbers, when)
        isa13 = placements[0].isa13
        name = f"{_safe(parties.receiver_id)}-{_safe(payer)}-{isa13}.837"
        outbox_id = store.add_outbox(name, str(self.out), text, len(claims), destination, run_id)
        by_index = sorted(placements, key=lambda p: p.index)  # the order of `claims`, which is the chunk's
        for ready, placed in zip(chunk, by_index, strict=True):
            store.record_secondary(
                ready.adjudication_id,
                ready.original_id,
                ready.claim_id,
                payer,
                isa13,
                placed.gs06,
                placed.st02,
                outbox_id,
                name,
            )
        return {
            "name": name,
            "receiver_id": parties.receiver_id,
            "payer_id": payer,
            "claims": len(claims),
            "isa13": isa13,
        }

    # -------------------------------------------------------------------------------- step 5: publish
    def publish(self) -> list[str]:
        """Gate every committed output that has no verdict yet, then write every unpublished one by its
        verdict: passed (or skipped under --no-gate) into its folder, failed into the rejected folder with
        ``<name>.report.json``. A row without a verdict (the gate could not run) is never written. Returns
        the names written. Idempotent."""
        self._remove_stale_temporaries()
        rows = self.store.unpublished()
        if any(r.gate is None for r in rows):
            self.gate([r for r in rows if r.gate is None])
            crash_point("after-gate-before-publish")
            rows = self.store.unpublished()
        done = []
        for record in rows:
            if record.gate in (GATE_PASSED, GATE_SKIPPED):
                write_atomic(Path(record.directory) / record.name, self.store.outbox_text(record.id))
            elif record.gate == GATE_FAILED:
                report = self.store.gate_report(record.id) or {}
                write_atomic(self.rejected_dir / f"{record.name}.report.json", json.dumps(report, indent=2) + "\n")
                write_atomic(self.rejected_dir / record.name, self.store.outbox_text(record.id))
                self.rejected_written.append(record.name)
                log.warning("gate.rejected", file=record.name, folder=str(self.rejected_dir))
            else:
                continue
            crash_point("after-publish-before-mark")
            self.store.mark_published(record.id)
            done.append(record.name)
        return done

    # -------------------------------------------------------------------------------- step 5: the gate
    def gate(self, rows) -> None:
        """Judge outbox rows: validate them side by side in the pool and commit each verdict on its row."""
        started = time.perf_counter()
        store = self.store
        if not self.gate_enabled:
            for record in rows:
                if store.set_gate(record.id, GATE_SKIPPED):
                    log.warning("gate.skipped", file=record.name, reason="--no-gate: published unvalidated")
                self.gate_log.append({"name": record.name, "gate": GATE_SKIPPED})
            self.gate_seconds += time.perf_counter() - started
            return
        texts = {record.id: store.outbox_text(record.id) for record in rows}
        jobs = [(record, self.validator.submit(texts[record.id], record.name)) for record in rows]
        for record, job in jobs:
            try:
                verdict = job.result()
            except Exception as exc:  # a worker died or the validator broke: the row waits for the next run
                log.error("gate.error", file=record.name, error=f"{type(exc).__name__}: {exc}")
                self.gate_log.append({"name": record.name, "gate": "error"})
                if isinstance(exc, BrokenProcessPool):
                    self.validator.reset()
                continue
            self._record_verdict(record, texts.pop(record.id), verdict)
        self.gate_seconds += time.perf_counter() - started

    def _record_verdict(self, record, text: str, verdict: FileVerdict) -> None:
        store = self.store
        entry = {
            "name": record.name,
            "claims_in_file": verdict.claims,
            "seconds": round(verdict.seconds, 3),
        }
        if verdict.ok:
            store.set_gate(record.id, GATE_PASSED)
            entry["gate"] = GATE_PASSED
            log.info("gate.passed", file=record.name, claims=verdict.claims, seconds=entry["seconds"])
            self.gate_log.append(entry)
            return
        entry["gate"] = GATE_FAILED
        with store.transaction():
            claims = store.outbox_claims(record.id)
            report = gate_report(record.name, verdict, [c for _, c in claims], _claim_spans(text))
            if not store.set_gate(record.id, GATE_FAILED, report):
                return  # a concurrent run judged it first; its verdict stands
            reasons = {}
            for adjudication_id, claim_id in claims:
                reason = _claim_reason(claim_id, report, self.rejected_dir / record.name)
                store.set_state(adjudication_id, NEEDS_REVIEW, [reason])
                reasons[claim_id] = reason
            store.unbill(record.id)
        entry["claims"] = reasons
        self.gate_log.append(entry)
        log.warning(
            "gate.failed",
            file=record.name,
            errors=len(verdict.errors),
            rules=sorted({i.rule for i in verdict.errors}),
            claims=len(claims),
        )

    # -------------------------------------------------------------------------------- acknowledgments
    def _validate_inbound(self, inputs: list[InputFile]) -> dict[int, Future]:
        """Start validating every X12 input (for its 999/TA1) in the pool, while the store work goes on."""
        jobs = {}
        for inp in inputs:
            if inp.head().lstrip()[:3] == b"ISA":
                jobs[id(inp)] = self.validator.submit(inp.load(), inp.name)
        return jobs

    def acknowledge(self, results: list[FileResult], jobs: dict[int, Future], run_id: str) -> list[str]:
        """Put the 999/TA1 of each input in the outbox (one transaction per input, once per sha256)."""
        store = self.store
        written: list[str] = []
        when = self.now()
        for result in results:
            job = jobs.get(id(result.input))
            if job is None or result.outcome == DUPLICATE:
                continue  # not X12, or acknowledged when it first came in
            try:
                verdict = job.result()
            except Exception as exc:
                log.error("ack.error", file=result.input.name, error=f"{type(exc).__name__}: {exc}")
                if isinstance(exc, BrokenProcessPool):
                    self.validator.reset()
                continue
            destination = ACK_DESTINATION + result.sha256
            with store.transaction():
                if store.outbox_for(destination):
                    continue  # acknowledged by a run that stopped before moving the input
                numbers = ControlNumbers(store)
                for suffix, text in render_acks(verdict, numbers, when):
                    base = Path(result.input.name).name
                    for name in (f"{base}{suffix}", f"{base}.{result.sha256[:12]}{suffix}"):
                        try:
                            with store.savepoint():
                                store.add_outbox(name, str(self.ack_dir), text, 0, destination, run_id)
                            break
                        except sqlite3.IntegrityError:  # an earlier input of the same name was acknowledged
                            continue
                    written.append(name)
                    log.info("batch.ack", file=result.input.name, ack=name)
        return written

    def _remove_stale_temporaries(self, older_than: float = 600.0) -> None:
        """write_atomic's temporaries (``.NAME.837.xxxx.part``) left by a process killed while writing; only
        old ones, since another process may be writing a fresh one right now."""
        limit = time.time() - older_than
        places = [(self.out, ".*.837.*.part"), (self.rejected_dir, ".*.part")]
        if self.ack_dir is not None:
            places.append((self.ack_dir, ".*.part"))
        for folder, pattern in places:
            if not folder.is_dir():
                continue
            for path in folder.glob(pattern):
                try:
                    if path.stat().st_mtime < limit:
                        path.unlink()
                except FileNotFoundError:
                    pass

    # -------------------------------------------------------------------------------- step 6: cleanup
    def settle(self, result: FileResult) -> None:
        inp = result.input
        rejected = result.outcome == REJECTED or result.duplicate_of_rejected
        home = inp.home or (inp.path.parent if inp.path else self.out)
        if inp.path is not None:
            if inp.path.exists():
                folder = home / (REJECTED if rejected else PROCESSED)
                folder.mkdir(parents=True, exist_ok=True)
                target = folder / inp.name
                if target.exists():
                    target = folder / f"{target.stem}.{result.sha256[:12]}{target.suffix}"
                if rejected:
                    write_atomic(folder / f"{target.name}.report.json", json.dumps(result.report, indent=2) + "\n")
                os.replace(inp.path, target)
                _fsync_dir(folder)
                result.moved_to = str(target)
        elif rejected:
            folder = home / REJECTED / inp.archive
            target = folder / inp.name.replace("/", "_")
            write_atomic(folder / f"{target.name}.report.json", json.dumps(result.report, indent=2) + "\n")
            write_atomic(target, inp.load())
            result.moved_to = str(target)
        crash_point("after-move-before-settle")
        if result.file_id is not None:
            self.store.settle_file(result.file_id)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _findings_summary(findings) -> dict:
    counts = Counter(f"{f.severity}:{f.rule}" for f in findings)
    errors = [str(f) for f in findings if f.severity == "error"][:20]
    return {"findings": dict(counts), "errors": errors} if counts else {}


# ------------------------------------------------------------------------------------------ entry point
def run_batch(
    drop: str | Path,
    out: str | Path,
    settings: Settings | None = None,
    quiet: bool = False,
    report_path: str | Path | None = None,
    progress_stream=None,
) -> dict:
    """`edi batch`: the whole drop in one run. Raises DropError when the drop cannot be read."""
    import click

    settings = settings or Settings()
    drop = Path(drop)
    archive = None
    if drop.is_dir():
        inputs = inputs_from_folder(drop)
    elif drop.is_file() and zipfile.is_zipfile(drop):
        inputs, archive = inputs_from_zip(drop)
    elif drop.exists():
        raise DropError(f"{drop}: neither a folder nor a .zip")
    else:
        raise DropError(f"{drop}: no such folder or file")
    store = open_store(settings.state_dir)
    runner = None
    try:
        runner = Runner(store, Path(out), settings)
        stream = progress_stream or sys.stderr
        if not quiet and stream.isatty() and inputs:
            with click.progressbar(length=len(inputs), label="edi batch", file=stream) as bar:
                report = runner.run(inputs, bar.update)
        else:
            report = runner.run(inputs)
    finally:
        if runner is not None:
            runner.close()
        store.close()
        if archive is not None:
            archive.close()
    report["drop"] = str(drop)
    report["out"] = str(Path(out))
    if report_path is not None:
        write_atomic(report_path, json.dumps(report, indent=2) + "\n")
    return report


def summary(report: dict) -> str:
    """The short human summary printed on stderr."""
    totals = report["totals"]
    outcomes = ", ".join(f"{v} {k}" for k, v in sorted(totals["by_outcome"].items())) or "none"
    claims = report["claims"]
    by = ", ".join(f"{k} {v}" for k, v in sorted(claims["by_disposition"].items()) if k != "stored-original")
    lines = [
        f"{totals['files']} file(s): {outcomes}",
        f"{claims['by_disposition'].get('stored-original', 0)} original claim(s) stored; 835 claims: {by or 'none'}",
    ]
    if claims["resolved_pending"]:
        lines.append(
            "pending claims resolved: " + ", ".join(f"{k} {v}" for k, v in sorted(claims["resolved_pending"].items()))
        )
    lines.append(
        f"{totals['claims_written']} secondary claim(s) in {totals['outputs']} file(s)"
        + (f" in {report.get('out')}" if report.get("out") else "")
    )
    gate = report.get("gate") or {}
    if gate.get("enabled") is False:
        lines.append("outbound gate OFF (--no-gate): outputs were published without validation")
    elif gate.get("checked"):
        lines.append(
            f"outbound gate: {gate['checked']} file(s) checked, {gate['passed']} passed, {gate['failed']} "
            f"rejected, {gate['seconds']}s"
        )
    for name in gate.get("rejected", []):
        lines.append(f"  not published {name}: outbound validation failed (see its report.json)")
    if gate.get("errors"):
        lines.append(f"  {gate['errors']} output(s) could not be validated: kept, published after a later check")
    if report.get("acknowledgments"):
        lines.append(f"{len(report['acknowledgments'])} acknowledgment(s) written")
    for f in report["files"]:
        if f["outcome"] == REJECTED:
            lines.append(f"  rejected {f['name']}: {f['report']['reason']}")
    return "\n".join(lines)
