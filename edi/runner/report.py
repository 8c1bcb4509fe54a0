"""What a run of the protocol did: `RunReport` (typed; `as_dict` is the JSON of `edi batch --report`) and
its short human summary."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from edi.exits import EXIT_OK, EXIT_REVIEW
from rules.outcome import NEEDS_REVIEW

from .gate import GATE_FAILED
from .inbound import FileResult, PostingTotals
from .intake import REJECTED
from .spool import Spool

_SPOOLED = "\x00spooled "  # stands for a spooled list while the rest is laid out: no file name holds a NUL


@dataclass
class RunReport:
    """One run: its inputs and what became of them, the claims that need a person, what posting did (totals and
    exceptions: each claim's detail is in the store), the outputs written."""

    run_id: str
    files: list[FileResult]
    dispositions: Counter  # of the 835 claims of this run's files (and "stored-original" for 837 claims)
    resolved_pending: Counter  # claims that waited for their original and were decided in this run
    attention: Spool  # every claim that needs a person: file, claim_id, disposition, reasons (on disk)
    postings: PostingTotals
    outputs: list[dict]
    republished: list[str]
    acknowledgments: list[str]
    gate: dict
    seconds: float
    store_seconds: float
    outbound_rejected: int = 0
    drop: str = ""
    out: str = ""
    by_outcome: Counter = field(init=False)

    def __post_init__(self) -> None:
        self.by_outcome = Counter(r.outcome for r in self.files)

    def absorb(self, later: RunReport) -> None:
        """Add a later run of the same command (the inputs it waited for while other workers held them)."""
        self.files += later.files
        self.by_outcome = Counter(r.outcome for r in self.files)
        for mine, theirs in ((self.dispositions, later.dispositions), (self.resolved_pending, later.resolved_pending)):
            mine.update(theirs)
        self.postings.absorb(later.postings)
        self.attention.extend(later.attention)
        for name in ("outputs", "republished", "acknowledgments"):
            getattr(self, name).extend(getattr(later, name))
        for key, value in later.gate.items():
            if isinstance(value, list):
                self.gate[key] = sorted(set(self.gate.get(key, [])) | set(value))
            elif isinstance(value, int | float) and not isinstance(value, bool) and key != "workers":
                self.gate[key] = round(self.gate.get(key, 0) + value, 3)
        self.seconds += later.seconds
        self.store_seconds += later.store_seconds
        self.outbound_rejected += later.outbound_rejected

    @property
    def claims_written(self) -> int:
        return sum(o["claims"] for o in self.outputs if o["gate"] != GATE_FAILED)

    @property
    def exit_code(self) -> int:
        """1 when a file was rejected, a claim needs review, or an output failed the gate; else 0."""
        review = self.dispositions.get(NEEDS_REVIEW, 0) + self.resolved_pending.get(NEEDS_REVIEW, 0)
        trouble = (
            self.by_outcome.get(REJECTED)
            or review
            or self.outbound_rejected
            or self.gate["rejected"]
            or any(r.duplicate_of_rejected for r in self.files)
            or self.attention.needs_review  # e.g. a claim not renderable
        )
        return EXIT_REVIEW if trouble else EXIT_OK

    def as_dict(self, spooled: bool = False) -> dict:
        """The JSON of `edi batch --report` (`spooled`: the lists kept on disk as placeholders, `json_text`)."""
        out = {
            "run_id": self.run_id,
            "files": [r.as_dict() for r in self.files],
            "claims": {
                "total": sum(self.dispositions.values()),
                "by_disposition": dict(self.dispositions),
                "resolved_pending": dict(self.resolved_pending),
                "attention": _SPOOLED + "attention" if spooled else list(self.attention),
                "outbound_rejected": self.outbound_rejected,
            },
            "postings": self.postings.as_dict(_SPOOLED + "exceptions" if spooled else None),
            "outputs": self.outputs,
            "republished": self.republished,
            "acknowledgments": self.acknowledgments,
            "gate": self.gate,
            "seconds": round(self.seconds, 3),
            "store_seconds": round(self.store_seconds, 3),
            "totals": {
                "files": len(self.files),
                "by_outcome": dict(self.by_outcome),
                "outputs": len(self.outputs),
                "claims_written": self.claims_written,
            },
            "exit_code": self.exit_code,
        }
        if self.drop:
            out["drop"], out["out"] = self.drop, self.out
        return out

    def json_text(self) -> Iterator[str]:
        """`json.dumps(self.as_dict(), indent=2)` and a line break, in pieces (for `write_atomic`): the entries of
        the spooled lists (attention, posting exceptions) are read from disk one at a time, never all in memory."""
        text = json.dumps(self.as_dict(spooled=True), indent=2)
        for name, spool in (("attention", self.attention), ("exceptions", self.postings.exceptions)):
            head, text = text.split(json.dumps(_SPOOLED + name), 1)
            yield head
            yield from _json_list(spool)
        yield text + "\n"

    def summary(self) -> str:
        """The short human summary `edi batch` prints on stderr."""
        outcomes = ", ".join(f"{v} {k}" for k, v in sorted(self.by_outcome.items())) or "none"
        by = ", ".join(f"{k} {v}" for k, v in sorted(self.dispositions.items()) if k != "stored-original")
        lines = [
            f"{len(self.files)} file(s): {outcomes}",
            f"{self.dispositions.get('stored-original', 0)} original claim(s) stored; 835 claims: {by or 'none'}",
        ]
        if self.resolved_pending:
            resolved = ", ".join(f"{k} {v}" for k, v in sorted(self.resolved_pending.items()))
            lines.append(f"pending claims resolved: {resolved}")
        lines.append(
            f"{self.claims_written} secondary claim(s) in {len(self.outputs)} file(s)"
            + (f" in {self.out}" if self.out else "")
        )
        lines += _gate_lines(self.gate)
        if self.acknowledgments:
            lines.append(f"{len(self.acknowledgments)} acknowledgment(s) written")
        for f in self.files:
            if f.outcome == REJECTED:
                lines.append(f"  rejected {f.input.name}: {f.report['reason']}")
        return "\n".join(lines)


def _gate_lines(gate: dict) -> list[str]:
    lines = []
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
    return lines


def _json_list(entries) -> Iterator[str]:
    """A list of dicts at the report's third level (a list in a dict in the report), as json.dumps lays it out."""
    pad = "\n" + " " * 6
    opening = "["
    for entry in entries:
        yield opening + pad + json.dumps(entry, indent=2).replace("\n", pad)  # json escapes line breaks
        opening = ","
    yield "[]" if opening == "[" else "\n    ]"
