"""Rendering segments and envelopes: ISA fixed widths, GS/GE and ST/SE counts, control numbers.

Segments arrive as lists of element strings, with composites joined by the component separator of the file
they were read from; `render` translates them to the output delimiters and refuses a value that contains a
delimiter of the output (it would corrupt the file) rather than write it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from parsers.models import Segment
from parsers.syntax import Delimiters

OUTPUT_DELIMITERS = Delimiters("*", ":", "^", "~")


class WriterError(Exception):
    """A claim that cannot be rendered (a delimiter inside the data, a field too long for its place)."""


@dataclass(frozen=True, slots=True)
class InterchangeParties:
    """ISA05–08 and GS02/GS03, ISA15 usage indicator (P production, T test) and ISA14 (TA1 requested)."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    group_sender: str
    group_receiver: str
    usage: str = "P"
    acknowledgment_requested: str = "0"


def translate(seg: Segment, source: Delimiters, target: Delimiters) -> Segment:
    """Re-express composites and repetitions written with `source` delimiters in `target` ones."""
    if source.component == target.component and (source.repetition or target.repetition) == target.repetition:
        return seg
    table = {source.component: target.component}
    if source.repetition:
        table[source.repetition] = target.repetition
    trans = str.maketrans(table)
    return [seg[0]] + [value.translate(trans) for value in seg[1:]]


class SegmentRenderer:
    """Renders segments to text with one set of delimiters; counts nothing (the envelope does)."""

    def __init__(self, delimiters: Delimiters = OUTPUT_DELIMITERS, line_break: bool = True):
        self.delimiters = delimiters
        self.end = delimiters.segment + ("\n" if line_break and delimiters.segment != "\n" else "")

    def render(self, seg: Segment, source: Delimiters | None = None) -> str:
        if source is not None and source is not self.delimiters and source != self.delimiters:
            seg = translate(seg, source, self.delimiters)
        last = len(seg)
        while last > 1 and seg[last - 1] == "":
            last -= 1
        element = self.delimiters.element
        text = element.join(seg[:last])
        if text.count(element) != last - 1 or self.delimiters.segment in text:
            raise WriterError(
                f"segment {seg[0]}: a value contains the output's element separator {element!r} "
                f"or segment terminator {self.delimiters.segment!r}"
            )
        return text + self.end

    def render_all(self, segments: list[Segment], source: Delimiters | None = None) -> str:
        """`render` of each segment, joined: the same text, and the same WriterError (the first segment's that
        `render` refuses). Checked all at once: when no value holds an output delimiter (the element separators
        counted are one fewer than the elements of each segment, and no terminator is found), the trailing
        separators of a segment are those of its trailing empty elements."""
        d = self.delimiters
        if source is not None and source is not d and source != d:
            segments = [translate(seg, source, d) for seg in segments]
        element = d.element
        parts = [element.join(seg) for seg in segments]
        joined = "".join(parts)
        if joined.count(element) != sum(map(len, segments)) - len(segments) or d.segment in joined:
            return "".join([self.render(seg) for seg in segments])  # raises at the segment refused
        end = self.end
        return end.join([part.rstrip(element) for part in parts]) + end if parts else ""

    def isa(self, parties: InterchangeParties, control_number: int, when: datetime) -> str:
        d = self.delimiters
        fields = [
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            parties.sender_qualifier.ljust(2)[:2],
            _fixed(parties.sender_id, 15, "ISA06"),
            parties.receiver_qualifier.ljust(2)[:2],
            _fixed(parties.receiver_id, 15, "ISA08"),
            when.strftime("%y%m%d"),
            when.strftime("%H%M"),
            d.repetition,
            "00501",
            f"{control_number % 1_000_000_000:09d}",
            parties.acknowledgment_requested,
            parties.usage,
            d.component,
        ]
        return d.element.join(fields) + self.end


def _fixed(value: str, width: int, name: str) -> str:
    if len(value) > width:
        raise WriterError(f"{name} {value!r} is longer than {width} characters")
    return value.ljust(width)


def interchange(
    renderer: SegmentRenderer,
    parties: InterchangeParties,
    next_number: Callable[[], int],
    when: datetime,
    groups: Iterable[tuple[str, str, list[list[str]]]],
) -> str:
    """A complete interchange. `groups` yields (GS01 functional id, GS08 version, transaction bodies), where a
    body is the rendered segments of one transaction set from ST to the segment before SE; each body's ST
    segment must be its first, and the ST02 it carries is repeated in SE02. `next_number` is called for the
    ISA13 first, then for each GS06 in the order of `groups` (the 837 writer's placements rely on it)."""
    isa_number = next_number()
    out = [renderer.isa(parties, isa_number, when)]
    group_count = 0
    for functional_id, version, bodies in groups:
        group_number = next_number()
        group_count += 1
        out.append(
            renderer.render(
                [
                    "GS",
                    functional_id,
                    parties.group_sender,
                    parties.group_receiver,
                    when.strftime("%Y%m%d"),
                    when.strftime("%H%M"),
                    str(group_number),
                    "X",
                    version,
                ]
            )
        )
        for body in bodies:
            out.extend(body)
        out.append(renderer.render(["GE", str(len(bodies)), str(group_number)]))
    out.append(renderer.render(["IEA", str(group_count), f"{isa_number % 1_000_000_000:09d}"]))
    return "".join(out)
