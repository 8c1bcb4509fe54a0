"""Verdicts per transaction set, functional group and interchange, from guide findings and the envelope
layout of a file.

A finding belongs to the innermost envelope whose segments hold its position: a transaction set (ST to
SE), else its functional group (GS to GE), else its interchange (ISA to IEA), else the file. A transaction
set is accepted when no error belongs to it and its SE was read; a group when nothing between its GS and
GE outside its sets is in error and its GE was read; an interchange likewise. A finding that says the
validator stopped (its rule in `STOP_RULES`: pyx12 crashed, has no map, could not decode the file ...)
leaves everything from its position on unchecked, hence not accepted.

The same function judges pyx12's findings (`edi.validation`) and the guide engine's, over the same layout,
so the two can be compared envelope by envelope.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from parsers.errors import Finding, X12Error
from parsers.syntax import Tokenizer

__all__ = ["STOP_RULES", "SetVerdict", "GroupVerdict", "InterchangeVerdict", "Layout", "judge", "layout_of"]

#: Rules that mean "checking stopped here" (pyx12's, as edi.validation names them, and the engine's own).
STOP_RULES = frozenset(
    {
        "pyx12-crash",
        "no-map",
        "engine",
        "encoding",
        "not-x12",
        "unreadable",
        "invalid",
        "unsupported",
        "blank-segment",
        "isa-delimiters",
    }
)


@dataclass(slots=True)
class SetVerdict:
    """One transaction set (ST ... SE)."""

    set_id: str
    control_number: str
    guide: str
    start: int  # ST ordinal
    offset: int  # ST byte offset
    end: int = 0  # SE ordinal; 0 when the set was never closed
    limit: int = 0  # last ordinal that belongs to it (SE, or the segment before the next envelope segment)
    accepted: bool = True
    checked: bool = True
    codes: list[str] = field(default_factory=list)  # rules of the errors that belong to it


@dataclass(slots=True)
class GroupVerdict:
    """One functional group (GS ... GE) and its sets; `accepted` is about the group's own segments."""

    functional_id: str
    control_number: str
    version: str
    start: int
    offset: int
    end: int = 0
    limit: int = 0
    accepted: bool = True
    checked: bool = True
    codes: list[str] = field(default_factory=list)
    sets: list[SetVerdict] = field(default_factory=list)


@dataclass(slots=True)
class InterchangeVerdict:
    """One interchange (ISA ... IEA) and its groups; `accepted` is about the interchange's own segments."""

    control_number: str
    start: int
    offset: int
    end: int = 0
    limit: int = 0
    accepted: bool = True
    checked: bool = True
    codes: list[str] = field(default_factory=list)
    groups: list[GroupVerdict] = field(default_factory=list)


class Layout:
    """The envelope structure of a file, fed envelope segments in order (`see`), closed by `finish`."""

    def __init__(self) -> None:
        self.interchanges: list[InterchangeVerdict] = []
        self._isa: InterchangeVerdict | None = None
        self._gs: GroupVerdict | None = None
        self._st: SetVerdict | None = None

    def see(self, seg: list[str], line: int, offset: int) -> None:
        """Record an envelope segment (ISA, GS, ST, SE, GE, IEA) at ordinal `line`."""
        sid = seg[0]

        def el(i: int) -> str:
            return seg[i] if i < len(seg) else ""

        if sid in ("ISA", "GS", "ST", "GE", "IEA") and self._st is not None:
            self._st.limit, self._st = line - 1, None
        if sid == "ST":
            st = SetVerdict(el(1), el(2), el(3), line, offset)
            self._group(line, offset).sets.append(st)
            self._st = st
        elif sid == "SE":
            if self._st is not None:
                self._st.end = self._st.limit = line
                self._st = None
        elif sid == "GS":
            self._close_group(line - 1)
            self._gs = GroupVerdict(el(1), el(6), el(8), line, offset)
            self._interchange(line, offset).groups.append(self._gs)
        elif sid == "GE":
            if self._gs is not None:
                self._gs.end = line
            self._close_group(line)
        elif sid == "ISA":
            self._close_interchange(line - 1)
            self._isa = InterchangeVerdict(el(13), line, offset)
            self.interchanges.append(self._isa)
        elif sid == "IEA":
            if self._isa is not None:
                self._isa.end = line
            self._close_interchange(line)

    def _interchange(self, line: int, offset: int) -> InterchangeVerdict:
        if self._isa is None:  # a group outside any interchange: a container of its own, never closed
            self._isa = InterchangeVerdict("", line, offset)
            self.interchanges.append(self._isa)
        return self._isa

    def _group(self, line: int, offset: int) -> GroupVerdict:
        if self._gs is None:
            self._gs = GroupVerdict("", "", "", line, offset)
            self._interchange(line, offset).groups.append(self._gs)
        return self._gs

    def _close_group(self, limit: int) -> None:
        if self._gs is not None:
            self._gs.limit, self._gs = limit, None

    def _close_interchange(self, limit: int) -> None:
        self._close_group(limit)
        if self._isa is not None:
            self._isa.limit, self._isa = limit, None

    def finish(self, last_line: int) -> None:
        """Close what is still open at the end of the file (its last segment is `last_line`)."""
        if self._st is not None:
            self._st.limit, self._st = last_line, None
        self._close_interchange(last_line)


def _innermost(p: int, starts: list[int], items: list) -> object | None:
    """The item (sorted by start, not overlapping) whose segments hold ordinal p, or None."""
    i = bisect.bisect_right(starts, p) - 1
    if i >= 0 and p <= items[i].limit:
        return items[i]
    return None


def judge(findings: list[Finding], layout: Layout) -> list[str]:
    """Set every verdict of `layout` from `findings` (errors only); returns the rules of the errors that
    belong to no envelope (file level)."""
    isas = layout.interchanges
    groups = [g for i in isas for g in i.groups]
    sets = [s for g in groups for s in g.sets]
    levels = [([x.start for x in sets], sets), ([x.start for x in groups], groups), ([x.start for x in isas], isas)]
    stop: int | None = None
    file_codes: list[str] = []
    for f in findings:
        if f.severity != "error":
            continue
        p = f.position.segment
        if f.rule in STOP_RULES:
            stop = p if stop is None else min(stop, p)
            file_codes.append(f.rule)
            continue
        for starts, items in levels:
            owner = _innermost(p, starts, items)
            if owner is not None:
                owner.accepted = False
                owner.codes.append(f.rule)
                break
        else:
            file_codes.append(f.rule)
    for items, closed in ((sets, "end"), (groups, "end"), (isas, "end")):
        for item in items:
            if not getattr(item, closed):
                item.accepted = False
            if stop is not None and item.limit >= stop:
                item.checked = item.accepted = False
    return file_codes


def layout_of(data: bytes, name: str = "<bytes>") -> Layout:
    """The envelope layout of X12 bytes by our tokenizer (what the engine records as it validates)."""
    layout = Layout()
    tok = Tokenizer.from_bytes(data, name)
    last = 0
    try:
        for seg in tok:
            last = tok.ordinal
            if seg[0] in ("ISA", "IEA", "GS", "GE", "ST", "SE"):
                layout.see(seg, last, tok.offset)
    except X12Error:
        pass
    layout.finish(last)
    return layout
