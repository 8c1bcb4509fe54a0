"""Envelope walk: ISA/IEA, GS/GE and ST/SE over a segment stream, with the envelope checks as findings.

`EnvelopeWalker` passes every segment through unchanged (envelope segments included) and keeps the
current interchange, group and transaction headers as attributes, so a reader needs no envelope logic of its
own. Count and control-number mismatches are findings (the file is still read); a file that ends inside an
envelope, or a transaction set that is not closed, is an `X12Error`: it is cut short.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .errors import Finding, Position, X12Error, describe_code, describe_segment_id
from .syntax import Delimiters, Tokenizer


def element(seg: list[str], n: int) -> str:
    """Element n of a segment, or '' when the segment is shorter."""
    return seg[n] if len(seg) > n else ""


@dataclass(slots=True)
class Interchange:
    """ISA header: who sent it to whom, its control number and delimiters. `segment` is the ISA as read."""

    segment: list[str]
    delimiters: Delimiters
    position: Position

    @property
    def sender_qualifier(self) -> str:
        return element(self.segment, 5).strip()

    @property
    def sender_id(self) -> str:
        return element(self.segment, 6).strip()

    @property
    def receiver_qualifier(self) -> str:
        return element(self.segment, 7).strip()

    @property
    def receiver_id(self) -> str:
        return element(self.segment, 8).strip()

    @property
    def control_number(self) -> str:
        return element(self.segment, 13)

    @property
    def usage(self) -> str:
        return element(self.segment, 15)

    @property
    def version(self) -> str:
        return element(self.segment, 12)


@dataclass(slots=True)
class Group:
    """GS header: functional id (HC/HP), application sender/receiver, control number, version (GS08)."""

    segment: list[str]
    position: Position

    @property
    def functional_id(self) -> str:
        return element(self.segment, 1)

    @property
    def sender(self) -> str:
        return element(self.segment, 2)

    @property
    def receiver(self) -> str:
        return element(self.segment, 3)

    @property
    def control_number(self) -> str:
        return element(self.segment, 6)

    @property
    def version(self) -> str:
        return element(self.segment, 8)


@dataclass(slots=True)
class TransactionHeader:
    """ST header: set id (835/837), control number, and the implementation guide (ST03, else GS08)."""

    segment: list[str]
    position: Position
    interchange: Interchange | None
    group: Group | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def set_id(self) -> str:
        return element(self.segment, 1)

    @property
    def control_number(self) -> str:
        return element(self.segment, 2)

    @property
    def version(self) -> str:
        return element(self.segment, 3) or (self.group.version if self.group else "")


class EnvelopeWalker:
    """Iterate to get every segment; read `interchange`, `group`, `transaction` for the current envelope.

    `findings` collects the envelope findings of the whole file (tokenizer findings included);
    `transaction.findings` those of the transaction set being read.
    """

    def __init__(self, tokenizer: Tokenizer):
        self.tokenizer = tokenizer
        self.name = tokenizer.name
        self.findings: list[Finding] = []
        self.interchange: Interchange | None = None
        self.group: Group | None = None
        self.transaction: TransactionHeader | None = None
        self.interchange_count = 0
        self.group_count = 0
        self.transaction_count = 0
        self._groups_in_interchange = 0
        self._sets_in_group = 0

    def position(self, element_name: str = "") -> Position:
        """The position of the segment last read (and of one of its elements, when named)."""
        return self.tokenizer.position(element_name)

    def _finding(self, rule: str, message: str, element_name: str = "", severity: str = "error") -> None:
        finding = Finding(rule, message, self.position(element_name), severity)
        self.findings.append(finding)
        if self.transaction is not None:
            self.transaction.findings.append(finding)

    def __iter__(self) -> Iterator[list[str]]:
        """Every segment of the file, envelope segments included, with the envelope checks made on the way."""
        tok = self.tokenizer
        count = 0  # segments in the current transaction set, ST and SE included
        first = True
        for seg in tok:
            tag = seg[0]
            if count:  # inside a transaction set: the common case
                count += 1
                if tag not in _CLOSING:
                    yield seg
                    continue
                if tag != "SE":
                    raise tok.error(
                        f"transaction set {describe_code(self.transaction.control_number)} is not closed: "
                        f"expected SE before {tag}"
                    )
                self._check_se(seg, count)
                yield seg
                self.transaction = None
                count = 0
                continue
            if first:
                first = False
                if not tok.enveloped:
                    self._no_envelope()
            if tag == "ST":
                self._open_transaction(seg)
                count = 1
                yield seg
                continue
            _ENVELOPE.get(tag, EnvelopeWalker._stray)(self, seg)
            yield seg
            if tag == "GE":
                self.group = None
            elif tag == "IEA":
                self.interchange = None
        self._end(first, count)

    def _no_envelope(self) -> None:
        delimiters = self.tokenizer.delimiters
        self._finding(
            "no-envelope",
            "file has no ISA/GS envelope (starts at ST); delimiters "
            f"guessed: element {delimiters.element!r}, component "
            f"{delimiters.component!r}, terminator {delimiters.segment!r}",
            severity="warning",
        )

    def _open_transaction(self, seg: list[str]) -> None:
        if self.tokenizer.enveloped and self.group is None:
            self._finding("envelope", "ST outside a functional group (no GS before it)")
        self._sets_in_group += 1
        self.transaction_count += 1
        self.transaction = TransactionHeader(seg, self.position(), self.interchange, self.group)

    def _check_se(self, seg: list[str], count: int) -> None:
        st = self.transaction
        if element(seg, 1) != str(count):
            self._finding(
                "SE01",
                f"SE01 says {describe_code(element(seg, 1))} segments but the transaction set has {count}",
                "SE01",
            )
        if element(seg, 2) != st.control_number:
            self._finding(
                "SE02",
                f"SE02 {describe_code(element(seg, 2))} does not match ST02 {describe_code(st.control_number)}",
                "SE02",
            )

    def _open_interchange(self, seg: list[str]) -> None:
        tok = self.tokenizer
        if self.interchange is not None:
            raise tok.error("new interchange starts before the previous one ended: expected IEA")
        self.interchange = Interchange(seg, tok.delimiters, self.position())
        self.interchange_count += 1
        self._groups_in_interchange = 0
        length = len(tok.delimiters.element.join(seg)) + 1
        if length != 106:
            self._finding("ISA-width", f"ISA is {length} characters, not the fixed 106", severity="warning")
        if element(seg, 12) == "00501" and not tok.delimiters.repetition:
            self._finding(
                "ISA11",
                f"ISA11 is {describe_code(element(seg, 11))}: a 00501 interchange needs a repetition separator",
                "ISA11",
                "warning",
            )

    def _open_group(self, seg: list[str]) -> None:
        if self.group is not None:
            raise self.tokenizer.error("new functional group starts before the previous one ended: expected GE")
        if self.interchange is None:
            self._finding("envelope", "GS outside an interchange (no ISA before it)")
        self.group = Group(seg, self.position())
        self.group_count += 1
        self._groups_in_interchange += 1
        self._sets_in_group = 0

    def _check_ge(self, seg: list[str]) -> None:
        if self.group is None:
            self._finding("envelope", "GE without a GS")
            return
        if element(seg, 1) != str(self._sets_in_group):
            self._finding(
                "GE01",
                f"GE01 says {describe_code(element(seg, 1))} transaction sets but the group has {self._sets_in_group}",
                "GE01",
            )
        if element(seg, 2) != self.group.control_number:
            self._finding(
                "GE02",
                f"GE02 {describe_code(element(seg, 2))} does not match GS06 {describe_code(self.group.control_number)}",
                "GE02",
            )

    def _check_iea(self, seg: list[str]) -> None:
        if self.group is not None:
            raise self.tokenizer.error(
                f"functional group {describe_code(self.group.control_number)} is not closed: expected GE before IEA"
            )
        if self.interchange is None:
            self._finding("envelope", "IEA without an ISA")
            return
        if element(seg, 1) != str(self._groups_in_interchange):
            self._finding(
                "IEA01",
                f"IEA01 says {describe_code(element(seg, 1))} groups but the interchange has "
                f"{self._groups_in_interchange}",
                "IEA01",
            )
        if element(seg, 2) != self.interchange.control_number:
            self._finding(
                "IEA02",
                f"IEA02 {describe_code(element(seg, 2))} does not match ISA13 "
                f"{describe_code(self.interchange.control_number)}",
                "IEA02",
            )

    def _acknowledgment(self, seg: list[str]) -> None:
        pass  # TA1: an interchange acknowledgment, outside any group

    def _stray(self, seg: list[str]) -> None:
        self._finding("envelope", f"segment {describe_segment_id(seg[0])} outside a transaction set (expected ST)")

    def _end(self, first: bool, count: int) -> None:
        """At the end of the file: raise when it is empty or ends inside an envelope."""
        tok = self.tokenizer
        self.findings.extend(tok.findings)
        if first:
            raise X12Error("empty file: expected an ISA segment", Position(self.name))
        end = Position(self.name, tok.ordinal, tok.offset, tok.segment_id)
        if count:
            raise X12Error(
                f"file ends inside transaction set {describe_code(self.transaction.control_number)}: expected SE", end
            )
        if self.group is not None:
            raise X12Error(
                f"file ends inside functional group {describe_code(self.group.control_number)}: expected GE", end
            )
        if self.interchange is not None:
            raise X12Error(
                f"file ends inside interchange {describe_code(self.interchange.control_number)}: expected IEA", end
            )


#: Segments that end a transaction set (SE) or may not stand inside one (the walker raises).
_CLOSING = frozenset(("SE", "ST", "GS", "GE", "ISA", "IEA"))
#: Outside a transaction set: the check each envelope segment gets before it is passed on (others: `_stray`).
_ENVELOPE = {
    "ISA": EnvelopeWalker._open_interchange,
    "GS": EnvelopeWalker._open_group,
    "GE": EnvelopeWalker._check_ge,
    "IEA": EnvelopeWalker._check_iea,
    "TA1": EnvelopeWalker._acknowledgment,
}


def first_transaction_set(data: bytes) -> str:
    """The first transaction set id (835, 837, 999 ...) in the start of an X12 file; '' when there is none
    or the bytes are not X12 (reading the whole file says why)."""
    try:
        for seg in EnvelopeWalker(Tokenizer.from_bytes(data, "<sniff>")):
            if seg[0] == "ST":
                return element(seg, 1)
    except X12Error:
        pass
    return ""


def expect_transaction_set(data: bytes, kind: str, name: str) -> None:
    """X12Error when `data` (the start of a file is enough) is X12 whose first transaction set is not `kind`
    ("835", "837"): an 837 given where an 835 is expected says so, instead of reading as an 835 without
    claims. Bytes that are not X12 pass: reading them says why."""
    found = first_transaction_set(data)
    if found and found != kind:
        raise X12Error(f"not an {kind}: its first transaction set (ST01) is {describe_code(found)}", Position(name))
