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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .errors import Finding, Position, X12Error

CHUNK = 1 << 20
BOM = "\xef\xbb\xbf"  # UTF-8 byte-order mark, seen through Latin-1
ISA_ELEMENTS = 16


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
        """Skip BOM/whitespace before an interchange and set the delimiters. Returns (text, base, index)."""
        while True:
            i = 0
            if at_file_start and text.startswith(BOM):
                i = len(BOM)
            while i < len(text) and text[i] in " \t\r\n\x00\x1a":
                i += 1
            if i < len(text) and len(text) - i >= 200:
                break
            more = self._read()
            if not more:
                break
            text += more
        if i >= len(text):
            return text, base, i
        head = text[i : i + 3]
        if head == "ISA":
            self.delimiters, _ = _isa_delimiters(text, i, self.name)
        elif at_file_start and head[:2] == "ST" and len(text) > i + 2 and not text[i + 2].isalnum():
            self.enveloped = False
            self.delimiters = _bare_delimiters(text, i)
        elif not at_file_start:
            # Something other than an interchange after the last IEA: report it, read no further.
            self.findings.append(
                Finding(
                    "trailing-data",
                    f"data after the last IEA is not an interchange and was not read: {text[i : i + 30]!r}",
                    Position(self.name, self.ordinal + 1, base + i, text[i : i + 3]),
                    "warning",
                )
            )
            return text, base, len(text)
        else:
            self.offset = base + i
            self.ordinal += 1
            self.segment_id = text[i : i + 3].strip()
            what = "ISA" if not at_file_start else "ISA (or ST)"
            raise self.error(f"not X12: expected {what} but found {text[i : i + 20]!r}")
        return text, base, i

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
                    more = self._read()
                    if not more:
                        if rest.strip():
                            self.offset = base
                            self.ordinal = ordinal + 1
                            self.segment_id = rest.strip().split(elem)[0][:3]
                            raise self.error(f"file ends inside a segment (no segment terminator {term!r})")
                        return
                    text = rest + more
            text, base, i = self._start(after_iea, base, False)
            if i >= len(text):
                return
            text, base = text[i:], base + i


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
