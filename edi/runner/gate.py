"""The outbound gate: every output is validated (the guide + COB balancing on every claim) before it is
published, in a process pool, and the verdict is committed on its outbox row. A failed output's claims go to
needs-review in the same transaction, and their secondary_claims rows are removed (they were not billed).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import Counter, deque
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from pathlib import Path

from edi.log import get_logger
from edi.posting import add_review_item
from edi.store import ClaimStore
from edi.validation import FileVerdict, validate_text
from parsers.syntax import Tokenizer
from rules.outcome import NEEDS_REVIEW

log = get_logger("edi.gate")

GATE_PASSED, GATE_FAILED, GATE_SKIPPED = "passed", "failed", "skipped"  # outbox.gate (NULL: not judged yet)


class CrossChecks:
    """The fast engine's verdicts held against pyx12's on the outputs the gate samples (`[gate] cross_check`)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checked = 0
        self.disagreed: list[str] = []

    def compare(self, name: str, fast: FileVerdict, done: Future) -> None:
        """Log how pyx12's verdict on `name` compares with the fast engine's (`done`: pyx12's job)."""
        try:
            record = done.result()
        except Exception as exc:  # the cross-check is a watch, not the gate: say so and go on
            log.error("gate.cross_check.error", file=name, error=f"{type(exc).__name__}: {exc}")
            return
        ours = sorted({(f.rule, f.position.segment) for f in fast.guide_findings})
        theirs = sorted({(f.rule, f.position.segment) for f in record.guide_findings})
        with self.lock:
            self.checked += 1
            if fast.ok == record.ok and ours == theirs:
                log.info("gate.cross_check", file=name, agree=True, ok=fast.ok)
                return
            self.disagreed.append(name)
        log.error(
            "gate.cross_check.disagree",
            file=name,
            fast_ok=fast.ok,
            pyx12_ok=record.ok,
            fast_rules=[r for r, _ in ours][:20],
            pyx12_rules=[r for r, _ in theirs][:20],
        )


class ValidationPool:
    """`edi.validation.validate_text` off the main process: a spawn ProcessPoolExecutor of `workers` processes,
    started on first use and kept across runs (`edi watch` pays the start-up once). pyx12 costs 0.3-0.5 s per
    file plus ~6 ms per claim, so files are validated side by side, one per worker. ``workers=0`` validates in
    the calling process, at submit time."""

    def __init__(self, workers: int):
        self.workers = max(0, workers)
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, text: str | bytes, name: str, engine: str = "fast") -> Future:
        """Validate `text` off this process with the guide `engine`; a future of its `FileVerdict`."""
        if self.workers == 0:
            done: Future = Future()
            try:
                done.set_result(validate_text(text, name, engine))
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
        return self._pool.submit(validate_text, text, name, engine)

    def reset(self) -> None:
        """Drop a broken pool (a worker killed, e.g. out of memory); the next submit starts a new one."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        """Stop the worker processes (waiting for the running jobs)."""
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


def claim_reason(claim_id: str, report: dict, where: Path) -> str:
    """The needs-review reason of one claim of a rejected output: its own errors first, else the file's."""
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    own = [f for f in errors if f["claim_id"] == claim_id] or errors
    said = "; ".join(
        f"segment {f['segment']} ({f['element'] or f['segment_id'] or 'file'}): {f['explanation']} - {f['message']}"
        for f in own[:3]
    )
    more = f" and {len(own) - 3} more" if len(own) > 3 else ""
    return f"outbound validation failed: {said}{more}; the file is in {where} with its report"


class OutboundGate:
    """Judges outbox rows and keeps what it judged during the current run (`summary`)."""

    def __init__(
        self,
        store: ClaimStore,
        pool: ValidationPool,
        enabled: bool,
        rejected_dir: Path,
        engine: str = "fast",
        cross_check: int = 0,
    ):
        self.store = store
        self.validator = pool
        self.enabled = enabled
        self.rejected_dir = rejected_dir
        self.engine = engine
        self.cross_check = cross_check if engine != "pyx12" else 0
        self.judged = 0  # outputs judged by this gate (the 1-in-N count of the cross-check)
        self.cross_checks = CrossChecks()
        self.start_run()

    def start_run(self) -> None:
        """Forget what was judged in the previous run."""
        self.log: list[dict] = []  # verdicts committed since the current run started
        self.rejected_written: list[str] = []  # failed outputs written to the rejected folder, this run
        self.seconds = 0.0
        self.early: dict[int, tuple[tuple[int, int], Future]] = {}  # outbox id -> (its text's key, validation)

    @property
    def window(self) -> int:
        """Outputs validated at a time: the pool kept busy, the texts in memory few whatever the run's size."""
        return max(2, 2 * self.validator.workers)

    # -------------------------------------------------------------------------------- step 4: early
    def validate_early(self, outbox_id: int, name: str, text: str) -> None:
        """Start validating an output as step 4 writes it, its row not committed yet, so that the pool works
        while the main process goes on; step 5 takes the verdict from here (when the committed text is the
        same) and commits it as it would its own. Waits while `window` outputs are being validated."""
        if not self.enabled:
            return
        started = time.perf_counter()
        running = [job for _, job in self.early.values() if not job.done()]
        if len(running) >= self.window:
            wait(running[: len(running) - self.window + 1])
        try:
            self.early[outbox_id] = ((len(text), hash(text)), self.validator.submit(text, name, self.engine))
        except Exception as exc:  # e.g. a pool broken by an inbound file: step 5 validates it (and resets the pool)
            log.warning("gate.early.skipped", file=name, error=type(exc).__name__)
        self.seconds += time.perf_counter() - started

    def forget_early(self) -> None:
        """Step 4 rolled back: its outbox ids may be given to other texts."""
        self.early.clear()

    # -------------------------------------------------------------------------------- step 5: the gate
    def judge(self, rows) -> None:
        """Judge outbox rows: validate them side by side in the pool (`window` at a time), or take the validation
        step 4 started (`validate_early`), and commit each verdict on its row, in the rows' order."""
        started = time.perf_counter()
        store = self.store
        if not self.enabled:
            for record in rows:
                if store.set_gate(record.id, GATE_SKIPPED):
                    log.warning("gate.skipped", file=record.name, reason="--no-gate: published unvalidated")
                self.log.append({"name": record.name, "gate": GATE_SKIPPED})
            self.seconds += time.perf_counter() - started
            return
        pending = iter(rows)
        jobs: deque = deque()
        while True:
            while len(jobs) < self.window and (record := next(pending, None)) is not None:
                text = store.outbox_text(record.id)
                key, job = self.early.pop(record.id, (None, None))
                if key != (len(text), hash(text)):  # not validated in step 4 (e.g. left by an earlier run)
                    job = self.validator.submit(text, record.name, self.engine)
                jobs.append((record, text, job))
            if not jobs:
                break
            record, text, job = jobs.popleft()
            try:
                verdict = job.result()
            except Exception as exc:  # a worker died or the validator broke: the row waits for the next run
                log.error("gate.error", file=record.name, error=f"{type(exc).__name__}: {exc}")
                self.log.append({"name": record.name, "gate": "error"})
                if isinstance(exc, BrokenProcessPool):
                    self.validator.reset()
                continue
            self._cross_check(record.name, text, verdict)
            self._record_verdict(record, text, verdict)
        self.seconds += time.perf_counter() - started

    def _cross_check(self, name: str, text: str, verdict: FileVerdict) -> None:
        """1 output in N: validate it with pyx12 too, in the background (the verdict stands); a disagreement is
        logged as an error with both sides' rules."""
        self.judged += 1
        if not self.cross_check or self.judged % self.cross_check:
            return
        job = self.validator.submit(text, name, "pyx12")
        job.add_done_callback(lambda done: self.cross_checks.compare(name, verdict, done))

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
            self.log.append(entry)
            return
        entry["gate"] = GATE_FAILED
        with store.transaction():
            claims = store.outbox_claims(record.id)
            report = gate_report(record.name, verdict, [c for _, c in claims], _claim_spans(text))
            if not store.set_gate(record.id, GATE_FAILED, report):
                return  # a concurrent run judged it first; its verdict stands
            reasons = {}
            for remittance_claim_id, claim_id in claims:
                reason = claim_reason(claim_id, report, self.rejected_dir / record.name)
                store.set_state(remittance_claim_id, NEEDS_REVIEW, [reason])
                add_review_item(store, claim_id, None, "outbound-gate", reason)
                reasons[claim_id] = reason
            store.unbill(record.id)
        entry["claims"] = reasons
        self.log.append(entry)
        log.warning(
            "gate.failed",
            file=record.name,
            errors=len(verdict.errors),
            rules=sorted({i.rule for i in verdict.errors}),
            claims=len(claims),
        )

    def summary(self) -> dict:
        """The run report's `gate` section: files checked, passed, failed, skipped, errors, seconds."""
        by = Counter(g["gate"] for g in self.log)
        return {
            "enabled": self.enabled,
            "engine": self.engine,
            "workers": self.validator.workers,
            "checked": by[GATE_PASSED] + by[GATE_FAILED],
            "passed": by[GATE_PASSED],
            "failed": by[GATE_FAILED],
            "skipped": by[GATE_SKIPPED],
            "errors": by["error"],
            "claims_checked": sum(g.get("claims_in_file", 0) for g in self.log),
            # judged failed in this run, or judged by a run that stopped and written to rejected/ now
            "rejected": sorted({g["name"] for g in self.log if g["gate"] == GATE_FAILED} | set(self.rejected_written)),
            "seconds": round(self.seconds, 3),
            "validator_seconds": round(sum(g.get("seconds", 0.0) for g in self.log), 3),
            "cross_checked": self.cross_checks.checked,
            "cross_check_disagreements": list(self.cross_checks.disagreed),
        }
