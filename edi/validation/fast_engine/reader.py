"""The checks pyx12's segment reader makes as it reads (`pyx12.x12file.X12Reader`): segment ids, empty
segments, trailing separators, ISA13/GS06/ST02 unique, the IEA/GE/SE counts and control numbers, HL
numbering and parents, and (837P only) LX numbering within a claim.

They are queued, not reported at once: pyx12 hands them to its error tree only when a segment is placed in
the map, so the errors of a segment that is not found wait for the next one that is (`pending`).
"""

from __future__ import annotations

import re

__all__ = ["ReaderChecks", "Pyx12Crash", "value", "ENVELOPE_IDS"]

ENVELOPE_IDS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})
_SEG_ID_RE = re.compile("^[A-Z][A-Z0-9]{1,2}$", re.S)


class Pyx12Crash(Exception):
    """pyx12 raises here instead of reporting: nothing after this point is checked by the validator of record."""


def value(seg: list[str], i: int, sub: str | None) -> str | None:
    """pyx12's Segment.get_value of element i: None when absent, trailing empty components dropped."""
    if i >= len(seg):
        return None
    return seg[i].rstrip(sub) if sub else seg[i]


def to_int(text: str | None) -> int | None:
    """Python's int() of a count or number as pyx12 reads it; None when it is not one."""
    try:
        return int(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class ReaderChecks:
    """pyx12's reader state. `pending` holds (level, code, message, line or 0, offset, segment id)."""

    def __init__(self) -> None:
        self.pending: list[tuple] = []
        self.loops: list[tuple[str, str | None]] = []
        self.isa_ids: list[str | None] = []
        self.gs_ids: list[str | None] = []
        self.st_ids: list[str | None] = []
        self.gs_count = self.st_count = self.seg_count = self.hl_count = self.lx_count = 0
        self.hl_stack: list[int | None] = []
        self.check_837_lx = False
        self.valid_ids: set[str] = set()

    def _seg(self, code: str, msg: str, line: int, offset: int, seg_id: str) -> None:
        self.pending.append(("seg", code, msg, line, offset, seg_id))

    def read(self, seg: list[str], line: int, offset: int, sub: str | None, lead_space: bool = False) -> None:
        """Queue the reader's errors for one segment (pyx12 X12Reader.__iter__ + _parse_segment)."""
        sid = seg[0]
        if lead_space:
            self._seg("1", "Segment contains a leading space", line, offset, sid)
        if len(seg) > 1 and seg[-1] == "":
            self._seg("SEG1", "Segment contains trailing element terminators", line, offset, sid)
        if len(seg) == 1 or not (seg[1].strip(sub) if sub else seg[1]):
            if all(not (e.strip(sub) if sub else e) for e in seg[1:]):
                self._seg("8", f'Segment "{sid}" is empty', line, offset, sid)
        if sid not in self.valid_ids:
            if _SEG_ID_RE.search(sid):
                self.valid_ids.add(sid)
            else:
                self._seg("1", f'Segment identifier "{sid[:3]}" is invalid', line, offset, sid)
        if sid in ENVELOPE_IDS:
            self._envelope(seg, sid, line, offset, sub)
            return
        if sid == "HL":
            self._hl(seg, line, offset, sub)
        elif self.check_837_lx:
            if sid == "CLM":
                self.lx_count = 0
            elif sid == "LX":
                self.lx_count += 1
                if value(seg, 1, sub) != str(self.lx_count):
                    msg = f"Your 2400/LX01 Service Line Number does not match my count of {self.lx_count}"
                    self.pending.append(("seg", "LX", msg, 0, offset, sid))
        self.seg_count += 1

    def _hl(self, seg: list[str], line: int, offset: int, sub: str | None) -> None:
        self.hl_count += 1
        if self.hl_count != to_int(value(seg, 1, sub)):
            self.pending.append(
                ("seg", "HL1", f"My HL count {self.hl_count} does not match your HL count", 0, offset, "HL")
            )
        parent_text = value(seg, 2, sub)
        if parent_text != "":
            parent = to_int(parent_text)
            if parent not in self.hl_stack:
                self.pending.append(("seg", "HL2", "HL parent is not a valid parent", 0, offset, "HL"))
            while self.hl_stack and parent != self.hl_stack[-1]:
                del self.hl_stack[-1]
        self.hl_stack.append(self.hl_count)

    def _envelope(self, seg: list[str], sid: str, line: int, offset: int, sub: str | None) -> None:
        if sid == "ISA":
            if len(seg) != 17:
                raise Pyx12Crash("pyx12 raises X12Error: the ISA segment must have 16 elements")
            number = value(seg, 13, None)
            if number in self.isa_ids:
                self.pending.append(
                    ("isa", "025", "ISA Interchange Control Number not unique within file", 0, offset, sid)
                )
            self.loops.append(("ISA", number))
            self.isa_ids.append(number)
            self.gs_count, self.gs_ids = 0, []
        elif sid == "GS":
            number = value(seg, 6, sub)
            if number in self.gs_ids:
                self.pending.append(("gs", "6", "GS Interchange Control Number not unique within file", 0, offset, sid))
            self.gs_count += 1
            self.gs_ids.append(number)
            self.loops.append(("GS", number))
            self.st_count, self.st_ids = 0, []
        elif sid == "ST":
            self.hl_stack, self.hl_count = [], 0
            number = value(seg, 2, sub)
            if number in self.st_ids:
                self.pending.append(
                    ("st", "23", "ST Interchange Control Number not unique within file", 0, offset, sid)
                )
            self.st_count += 1
            self.st_ids.append(number)
            self.loops.append(("ST", number))
            self.seg_count = 1
        else:
            try:
                self._trailer(seg, sid, offset, sub)
            except IndexError:
                raise Pyx12Crash(f"pyx12 raises IndexError: {sid} with no open envelope to close") from None

    def _trailer(self, seg: list[str], sid: str, offset: int, sub: str | None) -> None:
        loops = self.loops
        if sid == "IEA":
            if loops[-1][0] != "ISA":
                self.pending.append(("isa", "024", f"Unterminated Loop {loops[-1][0]}", 0, offset, sid))
                del loops[-1]
            if loops[-1][1] != value(seg, 2, sub):
                self.pending.append(("isa", "001", "IEA id does not match ISA id", 0, offset, sid))
            if to_int(value(seg, 1, sub)) != self.gs_count:
                self.pending.append(("isa", "021", "IEA count is wrong", 0, offset, sid))
            del loops[-1]
        elif sid == "GE":
            if loops[-1][0] != "GS":
                self.pending.append(("gs", "3", "Unterminated segment", 0, offset, sid))
                del loops[-1]
            if loops[-1][1] != value(seg, 2, sub):
                self.pending.append(("gs", "4", "GE id does not match GS id", 0, offset, sid))
            if to_int(value(seg, 1, sub)) != self.st_count:
                self.pending.append(("gs", "5", f"GE count is wrong. I count {self.st_count}", 0, offset, sid))
            del loops[-1]
        else:  # SE
            number = value(seg, 2, sub)
            if loops[-1][0] != "ST" or loops[-1][1] != number:
                self.pending.append(("st", "3", "SE id does not match ST id", 0, offset, sid))
            if to_int(value(seg, 1, sub)) != self.seg_count + 1:
                self.pending.append(("st", "4", f"SE count is wrong. I count {self.seg_count + 1}", 0, offset, sid))
            del loops[-1]

    def cleanup(self) -> None:
        """At the end of the file: the trailers of every envelope still open."""
        for kind, _number in self.loops:
            if kind == "ST":
                self.pending.append(("st", "2", 'Mandatory segment "Transaction Set Trailer" (SE) missing', 0, 0, "SE"))
            elif kind == "GS":
                self.pending.append(
                    ("gs", "3", 'Mandatory segment "Functional Group Trailer" (GE) missing', 0, 0, "GE")
                )
            elif kind == "ISA":
                self.pending.append(
                    ("isa", "023", 'Mandatory segment "Interchange Control Trailer" (IEA) missing', 0, 0, "IEA")
                )
