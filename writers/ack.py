"""Acknowledgments: the 999 implementation acknowledgment (005010X231A1) and the TA1 (interchange).

The models here are plain data (what was accepted, which segment and element was wrong, with which code);
deciding them from validation findings is `edi.validate`'s job. Rendering uses the project's segment
renderer and envelope (`writers.x12`), so control numbers come from the same never-repeating counter as
every other output.

Why not pyx12's own 999 (checked on pyx12 4.0.0): it names the guide 005010X231 instead of 005010X231A1 in
GS08/ST03, takes ISA13 from the clock (two 999s written in the same minute share an ISA13) and GS06 from a
random number, writes one ISA for a file holding several interchanges, puts a requested TA1 after the GE
(a TA1 belongs between the ISA and the first GS) and crashes half-way for an 835. Its IK3/IK4/IK5/AK9 codes
are right, and the tests check ours against them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from .x12 import InterchangeParties, SegmentRenderer, interchange

ACK_GUIDE = "005010X231A1"

__all__ = [
    "ACK_GUIDE",
    "ElementError",
    "SegmentError",
    "SetAck",
    "GroupAck",
    "InterchangeAck",
    "TA1",
    "render_999",
    "render_ta1",
]


@dataclass(slots=True)
class ElementError:
    """IK4: IK401-1 element position, -2 component position, -3 repetition; IK402 reference; IK403; IK404."""

    position: int
    code: str
    component: int | None = None
    repeat: int | None = None
    reference: str = ""  # data element reference number (e.g. "355"), "" when unknown
    value: str = ""  # copy of the bad value; left empty unless it is a code (no patient data)

    def segment(self, sep: str = ":") -> list[str]:
        ik401 = str(self.position)
        if self.component or self.repeat:
            ik401 += sep + (str(self.component) if self.component else "")
        if self.repeat:
            ik401 += sep + str(self.repeat)
        return ["IK4", ik401, self.reference, self.code, self.value]


@dataclass(slots=True)
class SegmentError:
    """IK3 (one per code) with the IK4s of its element errors: segment id, position in the set (ST = 1)."""

    segment_id: str
    position: int
    codes: list[str] = field(default_factory=list)  # IK304 values; "8" is added when elements are in error
    loop_id: str = ""
    elements: list[ElementError] = field(default_factory=list)

    def segments(self, sep: str = ":") -> list[list[str]]:
        codes = list(dict.fromkeys(self.codes))
        if self.elements and "8" not in codes:
            codes.append("8")
        out: list[list[str]] = []
        for code in codes:
            out.append(["IK3", self.segment_id, str(self.position), self.loop_id, code])
            if code == "8":
                out.extend(e.segment(sep) for e in self.elements)
        return out


@dataclass(slots=True)
class SetAck:
    """AK2 ... IK5 for one transaction set. `codes` are IK502–IK506 (syntax errors of the set itself)."""

    set_id: str
    control_number: str
    guide: str = ""  # AK203: the implementation guide (ST03, else GS08)
    codes: list[str] = field(default_factory=list)
    segment_errors: list[SegmentError] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.codes and not self.segment_errors

    @property
    def ik5(self) -> list[str]:
        codes = list(dict.fromkeys(self.codes))
        if self.segment_errors and "5" not in codes:
            codes.append("5")
        codes.sort(key=lambda c: (not c.isdigit(), int(c) if c.isdigit() else 0, c))
        return ["IK5", "A" if self.accepted else "R", *codes[:5]]


@dataclass(slots=True)
class GroupAck:
    """AK1 ... AK9 for one functional group: one 999 transaction set."""

    functional_id: str  # GS01 of the group acknowledged (HC for 837s)
    control_number: str  # its GS06
    version: str  # its GS08
    sets: list[SetAck] = field(default_factory=list)
    included: int | None = None  # GE01 as sent (None: count the sets received)
    codes: list[str] = field(default_factory=list)  # AK905–AK909: errors of the group itself

    @property
    def accepted_count(self) -> int:
        return sum(1 for s in self.sets if s.accepted)

    @property
    def status(self) -> str:
        """A: all sets accepted; P: some accepted; R: none accepted, or the group itself is in error."""
        accepted = self.accepted_count
        if self.codes or not self.sets or accepted == 0:
            return "R"
        return "A" if accepted == len(self.sets) else "P"

    def body(self, renderer: SegmentRenderer, set_control: str) -> list[str]:
        segs: list[list[str]] = [
            ["ST", "999", set_control, ACK_GUIDE],
            ["AK1", self.functional_id, self.control_number, self.version],
        ]
        for s in self.sets:
            segs.append(["AK2", s.set_id, s.control_number, s.guide])
            for err in s.segment_errors:
                segs.extend(err.segments(renderer.delimiters.component))
            segs.append(s.ik5)
        codes = sorted(dict.fromkeys(self.codes), key=lambda c: int(c) if c.isdigit() else 99)
        included = self.included if self.included is not None else len(self.sets)
        segs.append(["AK9", self.status, str(included), str(len(self.sets)), str(self.accepted_count), *codes[:5]])
        segs.append(["SE", str(len(segs) + 1), set_control])
        return [renderer.render(seg) for seg in segs]


@dataclass(slots=True)
class InterchangeAck:
    """The 999s answering one inbound interchange; `parties` are already swapped (we send to its sender)."""

    parties: InterchangeParties
    groups: list[GroupAck] = field(default_factory=list)


@dataclass(slots=True)
class TA1:
    """TA1*ISA13*ISA09*ISA10*TA104*TA105 for one inbound interchange, and who to send it to."""

    control_number: str  # ISA13 acknowledged
    date: str  # its ISA09 (YYMMDD)
    time: str  # its ISA10 (HHMM)
    status: str  # A accepted, E accepted with errors, R rejected
    note: str  # TA105 note code, "000" when there is nothing to say
    parties: InterchangeParties

    def segment(self) -> list[str]:
        return ["TA1", self.control_number, self.date, self.time, self.status, self.note]


def render_999(
    acks: list[InterchangeAck],
    next_number: Callable[[], int],
    when: datetime,
    renderer: SegmentRenderer | None = None,
) -> str:
    """One outbound interchange per inbound one, each with one GS*FA holding one 999 per group answered."""
    renderer = renderer or SegmentRenderer()
    out = []
    for ack in acks:
        if not ack.groups:
            continue
        bodies = [g.body(renderer, f"{i:04d}") for i, g in enumerate(ack.groups, 1)]
        out.append(interchange(renderer, ack.parties, next_number, when, [("FA", ACK_GUIDE, bodies)]))
    return "".join(out)


def render_ta1(
    acks: list[TA1], next_number: Callable[[], int], when: datetime, renderer: SegmentRenderer | None = None
) -> str:
    """One interchange per TA1 (ISA, TA1, IEA*0: a TA1 travels without a functional group)."""
    renderer = renderer or SegmentRenderer()
    out = []
    for ta1 in acks:
        number = next_number()
        out.append(renderer.isa(ta1.parties, number, when))
        out.append(renderer.render(ta1.segment()))
        out.append(renderer.render(["IEA", "0", f"{number % 1_000_000_000:09d}"]))
    return "".join(out)
