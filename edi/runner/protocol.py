"""The exactly-once protocol of `edi batch` and `edi watch`, step by step. A run, in the order that makes
every output appear exactly once whatever stops the process (kill -9 included), in the shape of achgateway
(audit trail by hash, processing apart from publishing and cleanup):

1. recover: publish every outbox row a previous run committed but did not publish (same name, same text);
2. per input file (837s first, then 835s), in ONE store transaction: hash it (a hash already taken is a
   duplicate, not read again), read it, store its original claims or decide its 835 claim groups (a claim
   converted is ``ready``, one without its original yet ``pending-original``), record the file
   (`edi.runner.inbound`);
3. re-decide pending claims whose original claim has now arrived;
4. in ONE store transaction: every ``ready`` claim, grouped by destination (ISA receiver + secondary payer,
   at most `MAX_CLAIMS_PER_INTERCHANGE` per interchange), is written to an outbox row with its control
   numbers reserved from the store's counter, and marked ``converted``; with ``ack_dir`` set, the 999/TA1
   of each inbound file (validated in the gate's process pool while 2-3 ran) go to the outbox too, one
   transaction per input, keyed by its sha256 so that an input is acknowledged once (`edi.runner.outbox`);
5. the outbound gate: every outbox row without a verdict is validated and the verdict is committed on the
   row (`edi.runner.gate`; the validation of the rows step 4 wrote started as it wrote them, in the pool, so
   that it runs beside step 4; only a committed row gets a verdict);
6. publish the outbox rows (temp file, fsync, rename) by verdict: passed to OUTDIR (acks to ack_dir), failed
   to the rejected folder with ``<name>.report.json``; a row without a verdict is never published;
7. move each input to ``processed/`` (or ``rejected/`` with ``<name>.report.json``) and mark it settled.

A crash in 2 rolls the file back (it is read again next time); after 2 the hash is known (the input is only
moved, next time); after 4 the outbox is validated and published at the next start (the gate runs before
anything is written: an unvalidated file is never published); after 5 the committed verdict is used as it
is (the file is not validated again, and a failed one is never published, even by a run with --no-gate);
after 6 publishing again rewrites the same bytes under the same name.

Several workers (processes, machines) on one store and one inbox (`edi.runner.workers`): a worker takes an
input's lease before step 2 and lets it go after step 7, so each input is worked on by one live worker at a
time (a dead worker's leases are taken over); step 1 and 6 publish only the worker's own outbox rows and those
of dead workers (`ClaimStore.take_outbox`); step 4 takes the ready claims it emits with row locks the other
workers skip; step 3 runs again after the run's last input, so that a claim whose 835 and 837 were taken in
at the same moment by two workers is decided by whichever commits last (it sees the other's commit). A
transaction that lost a unique key to another worker (`Conflict`) is rolled back and the input read again.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from edi.config import Settings
from edi.files import write_atomic
from edi.log import get_logger
from edi.pipeline import gc_paused
from edi.store import ClaimStore, Conflict
from parsers.envelope import first_transaction_set
from rules.outcome import NEEDS_REVIEW

from .crashpoints import crash_point
from .gate import OutboundGate, ValidationPool
from .inbound import FileResult, Inbound, PostingTotals
from .intake import PROCESSED, REJECTED, InputFile
from .outbox import Outbox
from .report import RunReport
from .spool import Spool
from .workers import Worker

log = get_logger("edi.batch")


class Runner:
    """Runs drops (or single files, for `edi watch`) against one store and one output folder."""

    def __init__(
        self,
        store: ClaimStore,
        out: Path,
        settings: Settings | None = None,
        now: Callable[[], datetime] = datetime.now,
        command: str = "batch",
    ):
        self.settings = settings or Settings()
        self.worker = Worker(store, command, self.settings.workers.lease_seconds)
        self.store = TimedStore(store)
        self.out = Path(out).resolve()
        gate = self.settings.gate
        rejected_dir = Path(gate.rejected_dir or self.out / REJECTED).resolve()
        ack_dir = Path(self.settings.ack_dir).resolve() if self.settings.ack_dir else None
        self.validator = ValidationPool(gate.workers)
        self.gate = OutboundGate(self.store, self.validator, gate.enabled, rejected_dir, gate.engine, gate.cross_check)
        self.inbound = Inbound(self.store, self.settings, now)
        self.outbox = Outbox(self.store, self.out, self.gate, ack_dir, now, self.worker.id)

    def close(self) -> None:
        """Stop the validation processes; this worker stops (its leases are let go)."""
        self.validator.close()
        self.worker.close()

    def publish(self) -> list[str]:
        """Step 1 and 6: gate and publish whatever is committed and not published yet."""
        return self.outbox.publish()

    def run(
        self, inputs: list[InputFile], progress: Callable[[int], None] | None = None, wait: bool = False
    ) -> RunReport:
        """One run of the protocol over `inputs` (module doc). An input another live worker holds is passed
        over, or, with `wait`, taken by a later run once that worker let it go (unless it moved it away: then
        it was done): `edi batch` returns when the whole drop is done, whoever did it."""
        report, held = self._run(inputs, progress)
        while wait and held:
            time.sleep(min(1.0, self.settings.workers.lease_seconds / 10))
            held = [i for i in held if i.path is None or i.path.exists()]
            if held:
                later, held = self._run(held, progress)
                report.absorb(later)
        return report

    def _run(self, inputs: list[InputFile], progress) -> tuple[RunReport, list[InputFile]]:
        """Steps 1-7 over the inputs this worker can lease; the inputs other live workers hold."""
        started = time.perf_counter()
        store_before = self.store.seconds
        run_id = uuid.uuid4().hex
        self.out.mkdir(parents=True, exist_ok=True)
        self.gate.start_run()
        self.inbound.postings = PostingTotals()
        republished = self.publish()
        ordered = _claims_first(inputs)
        ack_jobs = self.outbox.validate_inbound(ordered) if self.outbox.ack_dir is not None else {}
        results, attention, resolved, held = self._take_in(ordered, progress)
        with gc_paused():
            outputs = self.outbox.emit(run_id, attention)
        acks = self.outbox.acknowledge(results, ack_jobs, run_id) if ack_jobs else []
        crash_point("after-commit-before-publish")
        self.publish()
        crash_point("after-publish-before-move")
        verdicts = {g["name"]: g for g in self.gate.log}
        for output in outputs:
            output["gate"] = verdicts.get(output["name"], {}).get("gate", "")
        rejected_claims = self._gate_rejections(attention)
        for result in results:
            self.settle(result)
        dispositions: Counter = Counter()
        for result in results:
            dispositions.update(result.dispositions)
        report = RunReport(
            run_id,
            results,
            dispositions,
            resolved,
            attention,
            self.inbound.postings,
            outputs,
            republished,
            acks,
            self.gate.summary(),
            time.perf_counter() - started,
            self.store.seconds - store_before,
            rejected_claims,
        )
        if report.files or report.outputs or report.republished or report.resolved_pending:
            _log_run(report)  # a run with nothing to do (a watcher's sweep) says nothing
        return report, held

    def _take_in(
        self, ordered: list[InputFile], progress
    ) -> tuple[list[FileResult], list[dict], Counter, list[InputFile]]:
        """Steps 2 and 3: every input this worker can lease on the store; pending claims decided again before
        the first 835 (their originals may have come in this run's 837s) and at the end."""
        results: list[FileResult] = []
        attention = Spool()
        resolved: Counter | None = None
        held: list[InputFile] = []  # leased by another live worker
        for inp in ordered:
            if inp.kind == "835" and resolved is None:
                resolved = self.inbound.resolve_pending(attention)
            if not self.worker.take(inp):
                held.append(inp)
                continue
            self._take_one(inp, results, attention, progress)
        final = self.inbound.resolve_pending(attention)
        return results, attention, final if resolved is None else resolved + final, held

    def _take_one(self, inp: InputFile, results: list[FileResult], attention: Spool, progress) -> None:
        """Step 2 for one leased input (read again when a concurrent worker's commit got in its way)."""
        if inp.path is not None and not inp.path.exists():  # settled by the worker that held it before
            self.worker.release(inp)
        else:
            for attempt in range(3):
                seen, posted = attention.mark(), self.inbound.postings.mark()
                try:
                    with gc_paused():  # per file: garbage left by one file is collected before the next
                        results.append(self.inbound.process_file(inp, attention))
                    break
                except FileNotFoundError:  # moved away by a worker that took over a lapsed lease
                    self.worker.release(inp)
                    break
                except Conflict as exc:
                    attention.rollback(seen)
                    self.inbound.postings.rollback(posted)
                    log.info("batch.retry", file=inp.name, attempt=attempt + 1, reason=str(exc))
                    if attempt == 2:
                        raise
        if progress:
            progress(1)

    def _gate_rejections(self, attention: Spool) -> int:
        """The claims of outputs the gate failed in this run, added to `attention`; how many."""
        count = 0
        for g in self.gate.log:
            for claim_id, reason in g.get("claims", {}).items():
                count += 1
                attention.append(
                    {"file": "(outbound gate)", "claim_id": claim_id, "disposition": NEEDS_REVIEW, "reasons": [reason]}
                )
        return count

    def settle(self, result: FileResult) -> None:
        """Step 7: move the input to processed/ (or rejected/ with its report) and mark it settled."""
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
                try:
                    os.replace(inp.path, target)
                    _fsync_dir(folder)
                    result.moved_to = str(target)
                except FileNotFoundError:  # moved a moment ago by a worker that took over a lapsed lease
                    pass
        elif rejected:
            folder = home / REJECTED / inp.archive
            target = folder / inp.name.replace("/", "_")
            write_atomic(folder / f"{target.name}.report.json", json.dumps(result.report, indent=2) + "\n")
            if not inp.refusal and result.sha256:  # a member refused or unreadable is not extracted: its report is
                write_atomic(target, inp.load())
                result.moved_to = str(target)
            else:
                result.moved_to = str(folder / f"{target.name}.report.json")
        crash_point("after-move-before-settle")
        if result.file_id is not None:
            self.store.settle_file(result.file_id)
        self.worker.release(inp)


def _claims_first(inputs: list[InputFile]) -> list[InputFile]:
    """837s, then 835s, then the rest; names keep their order within each (the sort is stable)."""
    for inp in inputs:
        if not inp.kind and not inp.refusal:
            try:
                inp.kind = first_transaction_set(inp.head())
            except FileNotFoundError:  # another worker took it and moved it away a moment ago
                continue
            except Exception:  # unreadable: processing it says why, and rejects it
                inp.kind = ""
    order = {"837": 0, "835": 1}
    return sorted(inputs, key=lambda i: order.get(i.kind, 2))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _log_run(report: RunReport) -> None:
    log.info(
        "batch.run",
        files=len(report.files),
        outcomes=dict(report.by_outcome),
        claims=sum(report.dispositions.values()),
        dispositions=dict(report.dispositions),
        resolved_pending=dict(report.resolved_pending),
        outputs=len(report.outputs),
        control_numbers=[o["isa13"] for o in report.outputs],
        gate=report.gate,
        seconds=round(report.seconds, 3),
        store_seconds=round(report.store_seconds, 3),
    )


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
