"""Envelope walk: ISA/IEA, GS/GE and ST/SE over a segment stream, with the envelope checks as findings.

`EnvelopeWalker` passes every segment through unchanged (envelope segments included) and keeps the
current interchange, group and transaction headers as attributes, so a reader needs no envelope logic of its
own. Count and control-number mismatches are findings (the file is still read); a file that ends inside an
envelope, or a transaction set that is not closed, is an `X12Error`: it is cut short.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .errors import Finding, Position, X12Error
from .syntax import Delimiters, Tokenizer


def element(seg: list[str], n: int) -> str:
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

    def position(self, element_name: str = "") -> Position:
        return self.tokenizer.position(element_name)

    def _finding(self, rule: str, message: str, element_name: str = "", severity: str = "error") -> None:
        finding = Finding(rule, message, self.position(element_name), severity)
        self.findings.append(finding)
        if self.transaction is not None:
            self.transaction.findings.append(finding)

    def __iter__(self) -> Iterator[list[str]]:
        tok = self.tokenizer
        groups_in_interchange = 0
        sets_in_group = 0
        count = 0  # segments in the current transaction set, ST and SE included
        first = True
        for seg in tok:
            if first:
                first = False
                if not tok.enveloped:
                    self._finding(
                        "no-envelope",
                        "file has no ISA/GS envelope (starts at ST); delimiters "
                        f"guessed: element {tok.delimiters.element!r}, component "
                        f"{tok.delimiters.component!r}, terminator {tok.delimiters.segment!r}",
                        severity="warning",
                    )
            tag = seg[0]
            if count:
                count += 1
                if tag == "SE":
                    st = self.transaction
                    if element(seg, 1) != str(count):
                        self._finding(
                            "SE01",
                            f"SE01 says {element(seg, 1)!r} segments but the transaction set has {count}",
                            "SE01",
                        )
                    if element(seg, 2) != st.control_number:
                        self._finding(
                            "SE02", f"SE02 {element(seg, 2)!r} does not match ST02 {st.control_number!r}", "SE02"
                        )
                    yield seg
                    self.transaction = None
                    count = 0
                    continue
                if tag in ("ST", "GS", "GE", "ISA", "IEA"):
                    raise tok.error(
                        f"transaction set {self.transaction.control_number!r} is not closed: expected SE before {tag}"
                    )
                yield seg
                continue
            if tag == "ST":
                if tok.enveloped and self.group is None:
                    self._finding("envelope", "ST outside a functional group (no GS before it)")
                sets_in_group += 1
                self.transaction_count += 1
                self.transaction = TransactionHeader(seg, self.position(), self.interchange, self.group)
                count = 1
                yield seg
            elif tag == "ISA":
                if self.interchange is not None:
                    raise tok.error("new interchange starts before the previous one ended: expected IEA")
                self.interchange = Interchange(seg, tok.delimiters, self.position())
                self.interchange_count += 1
                groups_in_interchange = 0
                length = len(tok.delimiters.element.join(seg)) + 1
                if length != 106:
                    self._finding("ISA-width", f"ISA is {length} characters, not the fixed 106", severity="warning")
                if element(seg, 12) == "00501" and not tok.delimiters.repetition:
                    self._finding(
                        "ISA11",
                        f"ISA11 is {element(seg, 11)!r}: a 00501 interchange needs a repetition separator",
                        "ISA11",
                        "warning",
                    )
                yield seg
            elif tag == "GS":
                if self.group is not None:
                    raise tok.error("new functional group starts before the previous one ended: expected GE")
                if self.interchange is None:
                    self._finding("envelope", "GS outside an interchange (no ISA before it)")
                self.group = Group(seg, self.position())
                self.group_count += 1
                groups_in_interchange += 1
                sets_in_group = 0
                yield seg
            elif tag == "GE":
                if self.group is None:
                    self._finding("envelope", "GE without a GS")
                else:
                    if element(seg, 1) != str(sets_in_group):
                        self._finding(
                            "GE01",
                            f"GE01 says {element(seg, 1)!r} transaction sets but the group has {sets_in_group}",
                            "GE01",
                        )
                    if element(seg, 2) != self.group.control_number:
                        self._finding(
                            "GE02",
                            f"GE02 {element(seg, 2)!r} does not match GS06 {self.group.control_number!r}",
                            "GE02",
                        )
                yield seg
                self.group = None
            elif tag == "IEA":
                if self.group is not None:
                    raise tok.error(
                        f"functional group {self.group.control_number!r} is not closed: expected GE before IEA"
                    )
                if self.interchange is None:
                    self._finding("envelope", "IEA without an ISA")
                else:
                    if element(seg, 1) != str(groups_in_interchange):
                        self._finding(
                            "IEA01",
                            f"IEA01 says {element(seg, 1)!r} groups but the interchange has {groups_in_interchange}",
                            "IEA01",
                        )
                    if element(seg, 2) != self.interchange.control_number:
                        self._finding(
                            "IEA02",
                            f"IEA02 {element(seg, 2)!r} does not match ISA13 {self.interchange.control_number!r}",
                            "IEA02",
                        )
                yield seg
                self.interchange = None
            elif tag == "TA1":
                yield seg
            else:
                self._finding("envelope", f"segment {tag!r} outside a transaction set (expected ST)")
                yield seg
        self.findings.extend(tok.findings)
        if first:
            raise X12Error("empty file: expected an ISA segment", Position(self.name))
        end = Position(self.name, tok.ordinal, tok.offset, tok.segment_id)
        if count:
            raise X12Error(f"file ends inside transaction set {self.transaction.control_number!r}: expected SE", end)
        if self.group is not None:
            raise X12Error(f"file ends inside functional group {self.group.control_number!r}: expected GE", end)
        if self.interchange is not None:
            raise X12Error(f"file ends inside interchange {self.interchange.control_number!r}: expected IEA", end)


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
