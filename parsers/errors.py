"""The project's error and finding types.

Every problem names where it is: the file, the segment's ordinal (1-based, counted from the start of the
file), the byte offset of the segment, the segment id and, when known, the element (e.g. "CLP04").
Messages never carry patient data: they name positions, ids of segments and rules, and amounts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Position:
    file: str
    segment: int = 0  # ordinal of the segment in the file, 1-based; 0 = not at a segment
    offset: int = 0  # byte offset of the segment's first byte
    segment_id: str = ""
    element: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.segment:
            where += f": segment {self.segment}"
            if self.segment_id:
                where += f" ({self.segment_id}"
                where += f", {self.element})" if self.element else ")"
            where += f" at byte {self.offset}"
        return where


# Position is a frozen slotted dataclass; its generated __init__ sets each field through object.__setattr__,
# which costs more than the readers' whole per-segment work. Filling the slots directly builds the same
# (equal, hashable) Position in about half the time; the readers make one per claim, line and loop.
_new_object = object.__new__
_SET_FILE, _SET_SEGMENT, _SET_OFFSET, _SET_ID, _SET_ELEMENT = (
    Position.__dict__[f].__set__ for f in ("file", "segment", "offset", "segment_id", "element")
)


def fast_position(file: str, segment: int, offset: int, segment_id: str, element: str = "") -> Position:
    """`Position(file, segment, offset, segment_id, element)`, built at the readers' speed."""
    position = _new_object(Position)
    _SET_FILE(position, file)
    _SET_SEGMENT(position, segment)
    _SET_OFFSET(position, offset)
    _SET_ID(position, segment_id)
    _SET_ELEMENT(position, element)
    return position


def describe_value(value: str) -> str:
    """An element value fit for a message: shown when it cannot be personal data (short, no letters), else
    only its length. Names, member ids, addresses and birth dates never reach a message through here."""
    if len(value) <= 20 and not any(c.isalpha() for c in value) and value.isprintable():
        return repr(value)
    return f"({len(value)} characters, not shown)"


def describe_code(value: str) -> str:
    """A code value (a qualifier, a group or reason code, a control number) fit for a message."""
    if len(value) <= 12 and value.isascii() and value.isprintable():
        return repr(value)
    return f"({len(value)} characters, not shown)"


def describe_segment_id(tag: str) -> str:
    """A segment id fit for a message; garbage (possibly data run together) is not echoed."""
    if 2 <= len(tag) <= 3 and tag.isascii() and tag.isalnum() and tag.upper() == tag:
        return repr(tag)
    return f"with an unreadable id ({len(tag)} characters)"


class X12Error(Exception):
    """Input that cannot be read as X12: the file stops here. Raised with a position and what was expected."""

    def __init__(self, message: str, position: Position):
        super().__init__(f"{position}: {message}")
        self.message = message
        self.position = position


@dataclass(frozen=True, slots=True)
class Finding:
    """Something wrong or notable in a readable file: an envelope count, a balancing rule, an odd quirk.

    `rule` is a short stable id (e.g. "B1", "SE01", "no-envelope"); `severity` is "error" or "warning".
    """

    rule: str
    message: str
    position: Position
    severity: str = "error"

    def as_dict(self) -> dict:
        """The finding as plain data (for JSON reports)."""
        out = asdict(self)
        out["position"] = asdict(self.position)
        return out

    def __str__(self) -> str:
        return f"{self.position}: [{self.rule}] {self.message}"
