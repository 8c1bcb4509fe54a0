"""X12 syntax: delimiters read from the ISA, and a streaming segment tokenizer.

Bytes are decoded as Latin-1 so that every byte maps to one character: byte offsets equal character offsets,
nothing can fail to decode, and what we write back re-encodes to the same bytes.

A segment is a plain ``list[str]``: ``seg[0]`` is the segment id, ``seg[n]`` element n. Lists are what
``str.split`` makes, so the hot path allocates nothing more. The tokenizer exposes the ordinal and byte
offset of the segment it last yielded (``ordinal``, ``offset``) for errors and findings.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from .errors import Finding, Position, X12Error, describe_segment_id

CHUNK = 1 << 20
BOM = "\xef\xbb\xbf"  # UTF-8 byte-order mark, seen through Latin-1
ISA_ELEMENTS = 16
BLANK = " \t\r\n\x00\x1a"  # what may stand before an interchange (layout, NUL padding, DOS end-of-file)
_LEADING_BLANK = re.compile(f"[{re.escape(BLANK)}]*")
#: The longest segment read. The longest segment a 5010 guide allows is a few thousand bytes (an NTE or a
#: K3 run to its maximum); a "segment" longer than this is a file whose terminator is not what it declares,
#: or hostile input: reading stops there with an error, instead of holding the file in memory to its end.
MAX_SEGMENT_BYTES = 1 << 20

# ---------------------------------------------------------------------------------------------- data types
# X12 data types as the 5010 guides define them (Appendix B of each TR3): R decimal, N numeric, DT date,
# TM time. Checked where a value is read; a value that is not of its type is an X12Error at its position.
AMOUNT_DIGITS = 18  # data element 782 (monetary amount): R 1/18; quantities (380, R 1/15) are held to it too
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
_NUMBER = re.compile(r"-?[0-9]+\Z")
_DIGITS = re.compile(r"[0-9]+\Z")


def read_decimal(value: str, max_digits: int = AMOUNT_DIGITS) -> Decimal:
    """An X12 R (decimal) value as a Decimal: an optional leading '-', digits, at most one '.', and at most
    `max_digits` digits (the sign and the point do not count). No '+', exponent, blanks, NaN or Infinity.
    Raises ValueError saying what is wrong (never naming the value: callers add the position)."""
    if not _DECIMAL.match(value):
        if not value:
            raise ValueError("is empty: expected a decimal amount")
        if "e" in value.lower() and any(c.isdigit() for c in value):
            raise ValueError("is in exponent form: X12 decimals are plain digits with an optional '-' and '.'")
        raise ValueError("is not a decimal amount (expected digits with an optional leading '-' and one '.')")
    digits = len(value) - value.startswith("-") - ("." in value)
    if digits > max_digits:
        raise ValueError(f"has {digits} digits: an X12 amount has at most {max_digits}")
    return Decimal(value)


def is_decimal(value: str, max_digits: int = AMOUNT_DIGITS) -> bool:
    """Whether `value` is an X12 R value (`read_decimal` would read it)."""
    return bool(_DECIMAL.match(value)) and len(value) - value.startswith("-") - ("." in value) <= max_digits


def is_number(value: str, max_digits: int = 18) -> bool:
    """Whether `value` is an X12 N0 value: an optional leading '-' and 1 to `max_digits` digits."""
    return bool(_NUMBER.match(value)) and len(value) - value.startswith("-") <= max_digits


def read_date(value: str) -> date:
    """An X12 DT value of 8 digits (CCYYMMDD) as a date; raises ValueError saying what is wrong."""
    if len(value) != 8 or not _DIGITS.match(value):
        raise ValueError("is not a date (expected CCYYMMDD, 8 digits)")
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise ValueError("is not a calendar date (CCYYMMDD)") from None


def parse_date(value: str) -> date | None:
    """`read_date`, or None when `value` is not a CCYYMMDD date."""
    try:
        return read_date(value)
    except ValueError:
        return None


def is_time(value: str) -> bool:
    """Whether `value` is an X12 TM value: HHMM, HHMMSS or HHMMSSd..d (up to 8 digits), a real time of day."""
    if len(value) not in (4, 6, 7, 8) or not _DIGITS.match(value):
        return False
    return value[:2] <= "23" and value[2:4] <= "59" and (len(value) < 6 or value[4:6] <= "59")


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    component: str = ":"
    repetition: str = "^"  # "" when the interchange has none (ISA11 = "U" in 4010)
    segment: str = "~"

    def all(self) -> set[str]:
        """The delimiter characters in use."""
        return {c for c in (self.element, self.component, self.repetition, self.segment) if c}


def split_composite(value: str, delimiters: Delimiters) -> list[str]:
    """The components of a composite element."""
    return value.split(delimiters.component)


def _isa_delimiters(text: str, start: int, name: str) -> tuple[Delimiters, int]:
    """Delimiters of the ISA at ``text[start:]``; returns them and the offset just after the ISA terminator.

    The ISA is fixed-width (106 characters) in a well-formed file; we locate ISA16 by counting element
    separators instead, so an unpadded ISA still reads.
    """
    if len(text) < start + 4:
        raise X12Error("interchange header ISA is cut short (expected 16 elements)", Position(name, 1, start, "ISA"))
    element = text[start + 3]
    pos = start + 3
    for _ in range(ISA_ELEMENTS - 1):
        pos = text.find(element, pos + 1)
        if pos < 0:
            raise X12Error(
                "interchange header ISA is cut short (expected 16 elements)", Position(name, 1, start, "ISA")
            )
    if pos + 2 >= len(text):
        raise X12Error(
            "interchange header ISA is cut short (expected ISA16 and a segment terminator)",
            Position(name, 1, start, "ISA", "ISA16"),
        )
    component = text[pos + 1]
    terminator = text[pos + 2]
    after = pos + 3
    if terminator == "\r" and text[after : after + 1] == "\n":
        terminator, after = "\n", after + 1
    fields = text[start:pos].split(element)
    repetition = fields[11] if len(fields) > 11 else ""
    if len(repetition) != 1 or repetition.isalnum() or repetition == " ":
        repetition = ""  # 4010 "U" (or garbage): no repetition separator
    if element.isalnum() or component.isalnum() or terminator.isalnum() and terminator != "\n":
        raise X12Error(
            f"ISA delimiters are not usable (element {element!r}, component {component!r}, terminator {terminator!r})",
            Position(name, 1, start, "ISA"),
        )
    return Delimiters(element, component, repetition, terminator), after


def _bare_delimiters(text: str, start: int) -> Delimiters:
    """Delimiters of a file that starts at ST (no interchange envelope): element after 'ST', terminator is
    the first character after ST02 that is neither alphanumeric nor the element separator."""
    element = text[start + 2]
    pos = start + 3
    while pos < len(text) and (text[pos].isalnum() or text[pos] in (element, " ")):
        pos += 1
    terminator = text[pos] if pos < len(text) else "~"
    if terminator == "\r" and text[pos + 1 : pos + 2] == "\n":
        terminator = "\n"
    # ISA16 is absent; ':' is the near-universal component separator and '^' the 5010 repetition one.
    component = ":" if element != ":" and terminator != ":" else ">"
    return Delimiters(element, component, "^", terminator)


def _untidy(original: str, text: str, term: str) -> bool:
    """Whether tidying `original` into `text` removed more than line breaks before the segment (and the CR
    of a CR LF terminator)."""
    bare = original.lstrip("\r\n")
    if term == "\n" and bare.endswith("\r"):
        bare = bare[:-1]
    return bare != text


class Tokenizer:
    """Streams segments from a binary file object, chunk by chunk; never holds the whole file.

    Iterating yields each segment as a list of element strings. ``delimiters`` holds the delimiters of the
    current interchange (re-read at every ISA, so one file may hold interchanges with different delimiters),
    ``ordinal`` / ``offset`` the position of the segment last yielded, ``enveloped`` whether the file had an
    ISA (files that start at ST are read with guessed delimiters).

    With ``keep_layout=True`` the tokenizer also keeps what its tidying hides, for a reader that must see
    the bytes as a stricter tool would (the guide engine): ``layout_ordinal`` / ``layout_raw`` name the
    last segment whose text had more than line breaks before it removed (spaces or tabs around it, a line
    break inside it, a CR before a LF terminator excepted) and its raw text between terminators;
    ``blank_ordinal`` is the ordinal the next segment would have had when a blank segment (two terminators
    with only whitespace between them) was first skipped, 0 when none was.
    """

    def __init__(self, stream: BinaryIO, name: str, chunk_size: int = CHUNK, keep_layout: bool = False):
        self.stream = stream
        self.name = name
        self.chunk_size = chunk_size
        self.delimiters = Delimiters()
        self.ordinal = 0
        self.offset = 0
        self.segment_id = ""
        self.enveloped = True
        self.findings: list[Finding] = []
        self.keep_layout = keep_layout
        self.layout_ordinal = 0
        self.layout_raw = ""
        self.blank_ordinal = 0

    @classmethod
    def from_path(cls, path: str | os.PathLike, name: str | None = None) -> Tokenizer:
        """A tokenizer over a file (closed when iteration ends)."""
        return cls(open(path, "rb"), name or os.fspath(path))  # noqa: SIM115 - closed by the generator

    @classmethod
    def open(cls, source: str | os.PathLike | bytes, name: str | None = None) -> Tokenizer:
        """A tokenizer over a path or over bytes already in memory."""
        if isinstance(source, bytes | bytearray):
            return cls.from_bytes(bytes(source), name or "<bytes>")
        return cls.from_path(source, name)

    @classmethod
    def from_bytes(cls, data: bytes, name: str = "<bytes>") -> Tokenizer:
        """A tokenizer over bytes already in memory."""
        return cls(io.BytesIO(data), name)

    def position(self, element: str = "") -> Position:
        """The position of the segment last yielded (and of one of its elements, when named)."""
        return Position(self.name, self.ordinal, self.offset, self.segment_id, element)

    def error(self, message: str, element: str = "") -> X12Error:
        """An X12Error at the segment last yielded."""
        return X12Error(message, self.position(element))

    def _read(self) -> str:
        return self.stream.read(self.chunk_size).decode("latin-1")

    def _start(self, text: str, base: int, at_file_start: bool) -> tuple[str, int, int]:
        """Skip BOM/blanks before an interchange and set the delimiters. Returns (text, base, index).

        Linear in what is skipped: blanks are skipped chunk by chunk (C speed) and never re-scanned, so a
        file of 50 MB of NUL bytes costs one pass over it (`make bench`: benchmarks.hostile)."""
        if at_file_start and text.startswith(BOM):
            text, base = text[len(BOM) :], base + len(BOM)
        while True:
            skip = _LEADING_BLANK.match(text).end()  # a regex: 3x faster than str.lstrip with a set of characters
            text, base = text[skip:], base + skip
            if len(text) >= 200:
                break
            more = self._read()
            if not more:
                break
            text += more  # text is under 200 characters here: appending costs the chunk, not the file
        if not text:
            return text, base, 0
        head = text[:3]
        if head == "ISA":
            self.delimiters, _ = _isa_delimiters(text, 0, self.name)
        elif at_file_start and head[:2] == "ST" and len(text) > 2 and not text[2].isalnum():
            self.enveloped = False
            self.delimiters = _bare_delimiters(text, 0)
        elif not at_file_start:
            # Something other than an interchange after the last IEA: report it (not its bytes), read no further.
            self.findings.append(
                Finding(
                    "trailing-data",
                    f"data after the last IEA (from byte {base}) is not an interchange and was not read",
                    Position(self.name, self.ordinal + 1, base, ""),
                    "warning",
                )
            )
            return text, base, len(text)
        else:
            self.offset = base
            self.ordinal += 1
            word = text[:3].split(self.delimiters.element)[0].strip()
            self.segment_id = word if describe_segment_id(word).startswith("'") else ""
            found = f"segment {describe_segment_id(word)}" if self.segment_id else "data that is not a segment"
            raise self.error(f"not X12: expected ISA (or ST) but found {found}")
        return text, base, 0

    def __iter__(self) -> Iterator[list[str]]:
        """Every segment of the file as a list of elements; closes the stream at the end."""
        try:
            yield from self._segments()
        finally:
            self.stream.close()

    def _segments(self) -> Iterator[list[str]]:
        text, base, i = self._start(self._read(), 0, True)
        if i >= len(text):
            raise X12Error("empty file: expected an ISA segment", Position(self.name))
        text, base = text[i:], base + i
        while True:
            d = self.delimiters
            term, elem = d.segment, d.element
            strip_chars = None if term != "\r" else " \t\n"
            keep_layout = self.keep_layout
            ordinal = self.ordinal
            after_iea = None
            while after_iea is None:
                parts = text.split(term)
                rest = parts.pop()
                for index, raw in enumerate(parts):
                    start = base
                    base += len(raw) + 1
                    stripped = raw.strip(strip_chars)
                    if not stripped:
                        if keep_layout and not self.blank_ordinal:
                            self.blank_ordinal = ordinal + 1
                        continue
                    original = raw
                    if len(stripped) != len(raw):  # the offset names the segment's first byte, not the layout
                        start += len(raw) - len(raw.lstrip(strip_chars))
                    self.offset = start
                    raw = stripped
                    if strip_chars is None and "\n" in raw:  # a line break inside a segment is layout, not data
                        raw = raw.replace("\r", "").replace("\n", "")
                    if (
                        keep_layout
                        and len(raw) != len(original)
                        and not (len(original) == len(raw) + 1 and original[0] == "\n")
                        and _untidy(original, raw, term)
                    ):
                        self.layout_ordinal, self.layout_raw = ordinal + 1, original
                    seg = raw.split(elem)
                    ordinal += 1
                    self.ordinal = ordinal
                    self.segment_id = seg[0]
                    yield seg
                    if seg[0] == "IEA":
                        # Another interchange may follow, possibly with other delimiters.
                        after_iea = term.join(parts[index + 1 :] + [rest])
                        break
                else:
                    more = self._more(rest, term, base, ordinal)
                    if not more:
                        if rest.strip():
                            self._at_fragment(rest, base, ordinal)
                            raise self.error(f"file ends inside a segment (no segment terminator {term!r})")
                        return
                    text = rest + more
            text, base, i = self._start(after_iea, base, False)
            if i >= len(text):
                return
            text, base = text[i:], base + i

    def _more(self, rest: str, term: str, base: int, ordinal: int) -> str:
        """The next chunks, up to one holding a segment terminator (or the end of the file: ''). A segment
        spanning many chunks is gathered without re-splitting what is held (linear in its length), and one
        longer than MAX_SEGMENT_BYTES is an X12Error."""
        pieces: list[str] = []
        size = len(rest)
        while True:
            more = self._read()
            if not more or term in more:
                pieces.append(more)
                return "".join(pieces)
            pieces.append(more)
            size += len(more)
            if size > MAX_SEGMENT_BYTES:
                self._at_fragment(rest or more, base, ordinal)
                raise self.error(
                    f"a segment runs past {MAX_SEGMENT_BYTES} bytes without a segment terminator {term!r}: "
                    "the file's terminator is not the one its ISA declares, or the file is not X12"
                )

    def _at_fragment(self, fragment: str, base: int, ordinal: int) -> None:
        """Point `position` at an unterminated segment starting at `base` (its id when it has a readable one)."""
        self.offset = base + len(fragment) - len(fragment.lstrip())
        self.ordinal = ordinal + 1
        word = fragment.strip()[:4].split(self.delimiters.element)[0]
        self.segment_id = word if describe_segment_id(word).startswith("'") else ""


def format_decimal(value) -> str:
    """Render an amount or quantity the X12 way: no '+', no exponent, no trailing zeros ('72', '21.04', '40.5').

    Amounts are never rounded here: a value with more than two decimals is rendered as it is, and the
    balancing rules catch it before anything is written.
    """
    text = str(value)
    if "E" in text:  # str() of a Decimal uses an exponent for some values (1E+2, 1E-7): spell them out
        text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text
