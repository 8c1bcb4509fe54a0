"""A guide (TR3) validator compiled from pyx12's own maps, agreeing with pyx12 at parse speed.

`validate_bytes(data, name)` checks a whole file (every interchange, group and transaction set) the way
pyx12 4.0.0 does, and returns a `GuideResult`: the findings, each with our `Position` (segment ordinal,
byte offset, segment id, element such as "CLM05-3") and the acknowledgment code pyx12 would give it as its
rule ("IK403-7", "IK304-3", "IK502-4", "AK905-5", "TA105-001"), and a verdict per transaction set, group
and interchange (`verdicts.judge`).

Guides: any map pyx12 has for a 00501 interchange (835 005010X221A1, 837P 005010X222A1, 837I 005010X223A2,
999 005010X231A1 among them). The maps are compiled once and cached on disk (`compile.load_tables`).
What pyx12 cannot check (no map for the group, a byte that is not ASCII, an ISA that is not 106
characters), or where pyx12 itself raises, the engine does not accept either: a finding in
`verdicts.STOP_RULES` leaves the rest of the file unchecked.

Modules: compile.py (maps -> tables, cache), walker.py (loops and segments: where a segment goes, counts),
elements.py (element, composite and syntax-note checks), reader.py (the reader's envelope, HL and LX
checks), engine.py (the pass), verdicts.py (layout and verdicts).
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from pathlib import Path

from parsers.errors import Finding, Position
from parsers.syntax import Tokenizer

from .engine import Engine
from .verdicts import STOP_RULES, GroupVerdict, InterchangeVerdict, SetVerdict, judge

__all__ = [
    "GuideResult",
    "validate_bytes",
    "validate_path",
    "STOP_RULES",
    "SetVerdict",
    "GroupVerdict",
    "InterchangeVerdict",
]

ISA_LENGTH = 106


@dataclass
class GuideResult:
    """What the guide engine says about one file."""

    file: str
    findings: list[Finding] = field(default_factory=list)
    interchanges: list[InterchangeVerdict] = field(default_factory=list)
    file_codes: list[str] = field(default_factory=list)  # errors that belong to no envelope
    segments: int = 0
    seconds: float = 0.0

    @property
    def transactions(self) -> list[SetVerdict]:
        return [s for i in self.interchanges for g in i.groups for s in g.sets]

    @property
    def groups(self) -> list[GroupVerdict]:
        return [g for i in self.interchanges for g in i.groups]

    @property
    def checked(self) -> bool:
        """False when some part of the file could not be checked (a finding in STOP_RULES)."""
        return not any(f.rule in STOP_RULES for f in self.findings)

    @property
    def ok(self) -> bool:
        """True when nothing is in error: every set, group and interchange accepted."""
        return not any(f.severity == "error" for f in self.findings)

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "ok": self.ok,
            "checked": self.checked,
            "segments": self.segments,
            "findings": [f.as_dict() for f in self.findings],
            "transactions": [
                {
                    "set_id": s.set_id,
                    "control_number": s.control_number,
                    "start": s.start,
                    "end": s.end,
                    "accepted": s.accepted,
                    "checked": s.checked,
                    "codes": s.codes,
                }
                for s in self.transactions
            ],
        }


def _head_problem(data: bytes) -> tuple[str, str] | None:
    """What pyx12's reader says of the first 106 bytes (RawX12File), as (rule, message), or None."""
    if data[:3] != b"ISA":
        return "not-x12", "not an X12 interchange pyx12 can read: the file does not begin with 'ISA'"
    if len(data) < ISA_LENGTH or not data[:ISA_LENGTH].isascii():
        return "not-x12", f"not an X12 interchange pyx12 can read: the ISA is not {ISA_LENGTH} ASCII characters"
    icvn = data[84:89]
    if icvn not in (b"00401", b"00501"):
        return "not-x12", (
            "not an X12 interchange pyx12 can read: the ISA is not the fixed 106 characters "
            "(ISA12 is not at its place) or its version is unknown"
        )
    if icvn != b"00501":
        return "unsupported", "the guide engine checks 00501 interchanges only (ISA12 is 00401)"
    return None


def validate_bytes(data: bytes, name: str = "<bytes>") -> GuideResult:
    """Check an X12 file held in memory against the guides of its groups, as pyx12 would."""
    started = time.perf_counter()
    result = GuideResult(name)
    problem = _head_problem(data)
    if problem is not None:
        result.findings.append(Finding(problem[0], problem[1], Position(name, 1, 0, "ISA")))
        result.file_codes = [problem[0]]
        result.seconds = time.perf_counter() - started
        return result
    head = data[:ISA_LENGTH].decode("ascii")
    bad_offset = -1
    if not data.isascii():
        bad = next(i for i, b in enumerate(data) if b > 0x7F)
        bad_offset = data.rfind(head[105].encode("ascii"), 0, bad) + 1
    engine = Engine(name, head)
    tok = Tokenizer(_memory(data), name, keep_layout=True)
    engine.run(tok, bad_offset)
    result.findings = engine.findings
    result.interchanges = engine.layout.interchanges
    result.file_codes = judge(result.findings, engine.layout)
    result.segments = engine.last[0]
    result.seconds = time.perf_counter() - started
    return result


def validate_path(path: str | Path, name: str | None = None) -> GuideResult:
    """validate_bytes on a file."""
    path = Path(path)
    return validate_bytes(path.read_bytes(), name or str(path))


def _memory(data: bytes):
    return io.BytesIO(data)
