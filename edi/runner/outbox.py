"""The outbox and its publisher. Outputs are committed to the store before anything is written to a folder:
secondary claims grouped into interchanges (`emit`), acknowledgments of inbound files (`acknowledge`); then
`publish` writes every committed row by its gate verdict (temp file, fsync, rename), idempotently.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from pathlib import Path

from edi.control import ControlNumbers
from edi.files import write_atomic
from edi.log import get_logger
from edi.posting import add_review_item
from edi.store import ClaimStore, Conflict
from edi.validation import render_acks
from rules.outcome import NEEDS_REVIEW
from writers.claim837 import write_837, write_837_placed
from writers.x12 import InterchangeParties, WriterError

from .crashpoints import crash_point
from .gate import GATE_FAILED, GATE_PASSED, GATE_SKIPPED, OutboundGate
from .inbound import FileResult, internal_error
from .intake import DUPLICATE, InputFile
from .spool import Spool

log = get_logger("edi.outbox")

MAX_CLAIMS_PER_INTERCHANGE = 1000  # well under the guide's 5,000 per set, so the outbound gate (one file per
# validator process) spreads a large destination over its pool
ACK_DESTINATION = "ack:"  # outbox.destination of acknowledgments: "ack:<sha256 of the inbound file>"


class Outbox:
    """Outputs of one output folder (and its rejected and acknowledgment folders) on one store."""

    def __init__(
        self,
        store: ClaimStore,
        out: Path,
        gate: OutboundGate,
        ack_dir: Path | None,
        now: Callable[[], datetime] = datetime.now,
        worker: str | None = None,
    ):
        self.store = store
        self.worker = worker  # the worker id our outbox rows carry (edi.runner.workers)
        self.out = out
        self.gate = gate
        self.rejected_dir = gate.rejected_dir
        self.ack_dir = ack_dir
        self.now = now

    # -------------------------------------------------------------------------------- step 4: emit
    def emit(self, run_id: str, attention: Spool) -> list[dict]:
        """Step 4: every ready claim into an outbox row of its destination, with its control numbers; each
        output's validation started as it is written (`OutboundGate.validate_early`, the verdict committed in
        step 5)."""
        store = self.store
        outputs: list[dict] = []
        when = self.now()
        try:
            with store.transaction():
                for destination, ids in store.ready_claims().items():
                    for start in range(0, len(ids), MAX_CLAIMS_PER_INTERCHANGE):
                        chunk = store.load_ready(ids[start : start + MAX_CLAIMS_PER_INTERCHANGE])
                        output = self._write(chunk, destination, run_id, when, attention)
                        if output:
                            outputs.append(output)
        except BaseException:
            self.gate.forget_early()
            raise
        for output in outputs:
            log.info(
                "batch.output",
                file=output["name"],
                claims=output["claims"],
                isa13=output["isa13"],
                payer=output["payer_id"],
            )
        return outputs

    def _write(self, chunk, destination: str, run_id: str, when: datetime, attention: Spool) -> dict | None:
        store = self.store
        parties = InterchangeParties(**chunk[0].parties)
        payer = json.loads(destination)[1]
        claims = [store.secondary_claim(r) for r in chunk]
        written = self._numbered(claims, parties, when)
        if written is None:  # some claim cannot be rendered: find which, and send the others
            keep = []
            for ready, claim in zip(chunk, claims, strict=True):
                try:
                    write_837([claim], parties, lambda: 1, when)
                    keep.append((ready, claim))
                except Exception as exc:
                    self._unwritable(ready, exc, attention)
            if not keep:
                return None
            chunk, claims = [k[0] for k in keep], [k[1] for k in keep]
            written = self._numbered(claims, parties, when, given_back=False)
        text, placements = written
        isa13 = placements[0].isa13
        name = f"{_safe(parties.receiver_id)}-{_safe(payer)}-{isa13}.837"
        outbox_id = store.add_outbox(name, str(self.out), text, len(claims), destination, run_id, self.worker)
        self.gate.validate_early(outbox_id, name, text)
        by_index = sorted(placements, key=lambda p: p.index)  # the order of `claims`, which is the chunk's
        for ready, placed in zip(chunk, by_index, strict=True):
            store.record_secondary(
                ready.remittance_claim_id,
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

    def _numbered(self, claims: list, parties: InterchangeParties, when: datetime, given_back: bool = True):
        """The interchange of `claims` with its control numbers reserved from the store, and where each claim
        landed; rendered once. None when some claim cannot be rendered: the savepoint is rolled back, which on
        SQLite gives the numbers back (the claims that can be rendered get the same numbers as if the others had
        never been there); PostgreSQL reserves them in a transaction of their own, so there the block is left
        unused (a gap, never a repeat). With `given_back` False the error is raised."""
        store = self.store
        try:
            with store.savepoint():
                numbers = ControlNumbers(store)
                numbers.reserve(2 + len(claims))
                try:
                    return write_837_placed(claims, parties, numbers, when)
                except Exception as exc:
                    if not given_back:
                        raise
                    raise _Unrendered from exc
        except _Unrendered:
            return None

    def _unwritable(self, ready, exc: Exception, attention: Spool) -> None:
        """A claim the writer cannot render: needs-review with the reason, on the worklist, never dropped."""
        why = str(exc) if isinstance(exc, WriterError) else internal_error(exc, "writing the claim")
        reasons = [f"the secondary claim cannot be written: {why}"]
        self.store.set_state(ready.remittance_claim_id, NEEDS_REVIEW, reasons)
        add_review_item(self.store, ready.claim_id, ready.original_id, "not-written", reasons[0])
        attention.append(
            {"file": "(output)", "claim_id": ready.claim_id, "disposition": NEEDS_REVIEW, "reasons": reasons}
        )
        log.warning("batch.unwritable", claim_id=ready.claim_id, error=type(exc).__name__)

    # -------------------------------------------------------------------------------- step 5: publish
    def publish(self) -> list[str]:
        """Gate every committed output that has no verdict yet, then write every unpublished one by its
        verdict: passed (or skipped under --no-gate) into its folder, failed into the rejected folder with
        ``<name>.report.json``. A row without a verdict (the gate could not run) is never written. Returns
        the names written. Idempotent."""
        self._remove_stale_temporaries()
        rows = self._mine()
        if any(r.gate is None for r in rows):
            self.gate.judge([r for r in rows if r.gate is None])
            crash_point("after-gate-before-publish")
            rows = self._mine()
        done = []
        for record in rows:
            if record.gate in (GATE_PASSED, GATE_SKIPPED):
                write_atomic(Path(record.directory) / record.name, self.store.outbox_text(record.id))
            elif record.gate == GATE_FAILED:
                report = self.store.gate_report(record.id) or {}
                write_atomic(self.rejected_dir / f"{record.name}.report.json", json.dumps(report, indent=2) + "\n")
                write_atomic(self.rejected_dir / record.name, self.store.outbox_text(record.id))
                self.gate.rejected_written.append(record.name)
                log.warning("gate.rejected", file=record.name, folder=str(self.rejected_dir))
            else:
                continue
            crash_point("after-publish-before-mark")
            self.store.mark_published(record.id)
            done.append(record.name)
        return done

    def _mine(self):
        """The unpublished rows this publisher is to gate and publish: its worker's own and those of dead
        workers (every unpublished row when it is not a worker)."""
        return self.store.unpublished() if self.worker is None else self.store.take_outbox(self.worker)

    # -------------------------------------------------------------------------------- acknowledgments
    def validate_inbound(self, inputs: list[InputFile]) -> dict[int, Future]:
        """Start validating every X12 input (for its 999/TA1) in the pool, while the store work goes on."""
        jobs = {}
        for inp in inputs:
            try:
                if not inp.refusal and inp.head().lstrip()[:3] == b"ISA":
                    jobs[id(inp)] = self.gate.validator.submit(inp.load(), inp.name)
            except Exception as exc:  # unreadable: processing it rejects it, and no acknowledgment is owed
                log.warning("ack.skipped", file=inp.name, error=type(exc).__name__)
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
                    self.gate.validator.reset()
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
                                store.add_outbox(name, str(self.ack_dir), text, 0, destination, run_id, self.worker)
                            break
                        except Conflict:  # an earlier input of the same name was acknowledged
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


class _Unrendered(Exception):
    """A claim of the chunk cannot be rendered (`Outbox._numbered`)."""


def _safe(value: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in value.strip()) or "NONE"
