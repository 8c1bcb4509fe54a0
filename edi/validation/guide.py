"""The guide's findings (the TR3 map of the file's GS08) folded into a verdict: positioned with our byte
offsets, and merged with our own envelope findings where both say the same thing.

Two engines give the same findings: `fast` (`edi.validation.fast_engine`, compiled from pyx12's maps, at
parse speed; the default) and `pyx12` (the validator of record). The fast engine is held to pyx12 by
differential tests (tests/edi/test_guide_differential.py); the outbound gate cross-checks 1 file in N with
pyx12 in production (`[gate] cross_check`)."""

from __future__ import annotations

import sys
from array import array
from pathlib import Path

from parsers.errors import Finding, Position

from .fast_engine import STOP_RULES, validate_path
from .plain import PLAIN
from .pyx12_engine import validate_guide
from .verdict import FileVerdict, GroupInfo, InterchangeInfo, Issue, SetInfo, issue_from

# pyx12 findings that say what one of our envelope findings says; ours wins (it points at the trailer).
_SAME_AS_OURS = {
    "IK502-4": "SE01",
    "IK502-3": "SE02",
    "AK905-5": "GE01",
    "AK905-4": "GE02",
    "TA105-021": "IEA01",
    "TA105-001": "IEA02",
    "TA105-025": "duplicate-ISA13",
}
ENGINES = ("fast", "pyx12")


def _enclosing(verdict: FileVerdict, ordinal: int) -> tuple[InterchangeInfo | None, GroupInfo | None, SetInfo | None]:
    for isa in verdict.interchanges:
        if isa.start <= ordinal <= (isa.end or sys.maxsize):
            for gs in isa.groups:
                if gs.start <= ordinal <= (gs.end or sys.maxsize):
                    for st in gs.sets:
                        if st.start <= ordinal <= (st.end or sys.maxsize):
                            return isa, gs, st
                    return isa, gs, None
            return isa, None, None
    return None, None, None


def guide_findings(path: Path, name: str, engine: str = "fast") -> tuple[str, list[Finding]]:
    """(the GS08 guides seen, comma-separated; the findings) of one file by one engine (`ENGINES`)."""
    if engine == "pyx12":
        result = validate_guide(path)
        return result.guide, result.findings
    if engine != "fast":
        raise ValueError(f"unknown guide engine {engine!r}: one of {', '.join(ENGINES)}")
    result = validate_path(path, name)
    guides = (g.version for isa in result.interchanges for g in isa.groups if g.version)
    return ",".join(dict.fromkeys(guides)), result.findings


def fold_guide_findings(
    path: Path, name: str, verdict: FileVerdict, offsets: array, engine: str = "fast"
) -> list[Finding]:
    """The guide's findings on the file, positioned with our byte offsets and folded into `verdict`; returns
    them raw (what the 999 answers)."""
    verdict.guide, findings = guide_findings(path, name, engine)
    raw = [
        Finding(
            f.rule,
            f.message,
            Position(
                name,
                f.position.segment,
                offsets[f.position.segment - 1] if 0 < f.position.segment <= len(offsets) else 0,
                f.position.segment_id,
                f.position.element,
            ),
            f.severity,
        )
        for f in findings
    ]
    verdict.guide_checked = not any(f.rule in STOP_RULES for f in raw)
    ours = [i for i in verdict.issues if i.source in ("envelope", "duplicate")]
    raw = _without_bare_interchange_groups(raw, name, verdict)
    for f in raw:
        twin_rule = _SAME_AS_OURS.get(f.rule)
        twin = None
        if twin_rule:
            isa, gs, st = _enclosing(verdict, f.position.segment)
            anchor = {"SE": st, "GE": gs, "IE": isa, "du": isa}[twin_rule[:2]]
            if anchor is not None:
                at = anchor.start if twin_rule == "duplicate-ISA13" else anchor.end
                twin = next((i for i in ours if i.rule == twin_rule and i.segment == at), None)
        if twin is not None:
            if f.rule not in twin.codes:
                twin.codes.append(f.rule)
            continue
        verdict.issues.append(issue_from(f, "guide", name))
    return raw


def _without_bare_interchange_groups(raw: list[Finding], name: str, verdict: FileVerdict) -> list[Finding]:
    """`raw` less pyx12's "GS_LOOP missing" in an interchange that holds only TA1s (said as a warning)."""
    bare = [isa for isa in verdict.interchanges if not isa.groups]
    if bare:
        # pyx12 maps every interchange to a functional group and cannot check one that holds only TA1s: its
        # "GS_LOOP missing" there is not a fault of the file; our envelope walk checked it.
        def in_bare(o: int) -> bool:
            return any(isa.start <= o <= (isa.end or sys.maxsize) for isa in bare)

        dropped = [f for f in raw if f.rule == "IK304-3" and "GS_LOOP" in f.message and in_bare(f.position.segment)]
        if dropped:
            raw = [f for f in raw if f not in dropped]
            verdict.issues.append(
                Issue(
                    name,
                    "no-groups",
                    "warning",
                    "the interchange holds no functional group "
                    "(a TA1 only); pyx12 cannot check it, our envelope checks did",
                    PLAIN["no-groups"],
                    "guide",
                    bare[0].start,
                    bare[0].offset,
                    "ISA",
                )
            )
    return raw
