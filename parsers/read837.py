"""The 837 reader: 837P (005010X222A1), 837I (005010X223A2) and, structurally, 837D (005010X224A2).

`Reader837` streams claims one by one from a `Tokenizer` (through the `EnvelopeWalker`, which owns the
envelope checks); nothing but the claim being read and the HL loops above it is held in memory.

Loop assignment (lossless: every segment of every 837 transaction set lands in exactly one list, in order):

* `Transaction837.segments`: ST, BHT, 1000A, 1000B: everything before the first HL.
* `HierarchyLevel.segments`: HL and everything up to the next HL or CLM (2000A/2010Ax, 2000B/2010Bx,
  2000C/2010CA). `parent` is the open HL whose HL01 equals this HL02.
* `Claim837.levels`: the HL loops read since the previous claim, in file order: the new ones among
  `billing_provider` / `subscriber` / `patient`, plus any HL loop with no claim of its own ("empty-hl").
* `Claim837.segments`: CLM and its 2300/2310 segments; `other_payers`: each SBR after the CLM (2320) with its
  2330 loops, up to the next SBR or LX; `lines`: each LX (2400 + 2410 + 2420) up to the first SVD, each SVD
  (2430) with its CAS/DTP/AMT as a `LineAdjudication`, then LQ/FRM (2440) in `ServiceLine.trailing`.
* `Transaction837.trailer`: HL loops after the last claim that have no claim (flagged), then SE.

A segment that does not belong where it stands is kept in the list of the loop it stands in, with an
"unknown-segment" warning. Findings name positions, segment ids and amounts, never patient data or CLM01.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal

from .dispatch import table
from .envelope import EnvelopeWalker
from .errors import Finding, Position, describe_code, describe_segment_id, fast_position
from .models import ZERO, Claim837, HierarchyLevel, LineAdjudication, OtherPayer, ServiceLine, Transaction837
from .syntax import AMOUNT_DIGITS, Tokenizer, read_decimal

# Reader states: the loop the next ordinary segment belongs to.
OUT, SKIP, HEADER, LEVEL, CLAIM, OTHER, LINE, ADJ, FORMS = range(9)

STATE_LOOPS = {
    HEADER: "the header (1000A/1000B)",
    LEVEL: "an HL loop (2000/2010)",
    CLAIM: "loop 2300/2310",
    OTHER: "loop 2320/2330",
    LINE: "loop 2400/2410/2420",
    ADJ: "loop 2430",
    FORMS: "loop 2440",
}

# Segments that stay in the current loop without opening a new one (openers: LOOPS).
HEADER_IDS = frozenset({"BHT", "NM1", "PER", "N2", "N3", "N4", "REF"})
LEVEL_IDS = {
    "20": frozenset({"PRV", "CUR", "NM1", "N2", "N3", "N4", "REF", "PER"}),  # 2000A, 2010AA/AB/AC
    "22": frozenset({"SBR", "PAT", "NM1", "N2", "N3", "N4", "DMG", "REF", "PER"}),  # 2000B, 2010BA/BB
    "23": frozenset({"PAT", "NM1", "N2", "N3", "N4", "DMG", "REF", "PER"}),  # 2000C, 2010CA
}
ANY_LEVEL_IDS = frozenset().union(*LEVEL_IDS.values())
CLAIM_IDS = frozenset(
    {  # 2300 (P, I, D and 4010 leftovers) and 2310A-F
        "DTP",
        "CL1",
        "DN1",
        "DN2",
        "PWK",
        "CN1",
        "REF",
        "K3",
        "NTE",
        "CR1",
        "CR2",
        "CR3",
        "CR4",
        "CR5",
        "CR6",
        "CR7",
        "CR8",
        "CRC",
        "HI",
        "HCP",
        "QTY",
        "MEA",
        "UR",
        "PRV",
        "NM1",
        "N2",
        "N3",
        "N4",
        "PER",
    }
)
OTHER_IDS = frozenset(
    {  # 2320 and 2330A-I (CAS and AMT: `_AMOUNTS`)
        "DMG",
        "OI",
        "MIA",
        "MOA",
        "NM1",
        "N2",
        "N3",
        "N4",
        "PER",
        "DTP",
        "REF",
    }
)
LINE_IDS = frozenset(
    {  # 2400 (SV1/SV2/SV3 handled apart), 2410, 2420A-H
        "DTP",
        "PWK",
        "CR1",
        "CR2",
        "CR3",
        "CR4",
        "CR5",
        "CRC",
        "QTY",
        "MEA",
        "CN1",
        "REF",
        "K3",
        "NTE",
        "PS1",
        "HCP",
        "HSD",
        "TOO",
        "SV5",
        "LIN",
        "CTP",
        "NM1",
        "PRV",
        "N2",
        "N3",
        "N4",
        "PER",
    }
)
ADJ_IDS = frozenset({"DTP"})  # 2430 after its SVD (CAS and AMT: `_AMOUNTS`)
FORMS_IDS = frozenset({"LQ", "FRM"})  # 2440
NO_IDS: frozenset[str] = frozenset()
SERVICE_CHARGE = {"SV1": (2, "SV102"), "SV2": (3, "SV203"), "SV3": (2, "SV302")}

# ---------------------------------------------------------------------------------------------- loop table
# The 837 loop by loop. For each loop the reader can be in: the segments that belong to it (kept in its list:
# the hot path, one set probe) and the segments that open a loop or end one, each with the method that reads
# it (one dict probe, `parsers.dispatch`). None: any other segment, kept where it stands with an
# "unknown-segment" warning (outside an 837: ignored). A handler that ends a claim returns it: the claim is
# yielded, then the same segment is read again.
_EVERYWHERE = {  # in any loop of an 837 transaction set
    "HL": "_open_level",  # opens 2000A (HL03 20), 2000B (22) or 2000C (23); ends the claim before it
    "CLM": "_open_claim",  # opens 2300 (under a 2000B); ends the claim before it
    "SE": "_close_transaction",  # the trailer
    None: "_unknown_kept",
}
_AMOUNTS = {"AMT": "_checked_amounts", "CAS": "_checked_amounts"}  # kept in the loop, their amounts checked
_IN_CLAIM = {
    **_AMOUNTS,
    "SBR": "_open_other_payer",  # opens 2320, with its 2330 loops
    "LX": "_open_line",  # opens 2400, with its 2410 and 2420 loops
    **_EVERYWHERE,
}
_IN_LINE = {
    **_AMOUNTS,
    "SVD": "_open_adjudication",  # opens 2430
    "LQ": "_open_forms",  # opens 2440
    "LX": "_open_line",
    **_EVERYWHERE,
}
LOOPS: dict[int, tuple[frozenset[str], dict[str | None, str]]] = {
    # loop: (the segments that belong to it, {a segment that opens or ends a loop: its handler})
    OUT: (NO_IDS, {"ST": "_open_transaction", None: "_ignore"}),  # envelope segments are the walker's
    SKIP: (NO_IDS, {"SE": "_close_skipped", None: "_ignore"}),  # a transaction set that is not an 837
    HEADER: (HEADER_IDS, _EVERYWHERE),
    LEVEL: (ANY_LEVEL_IDS, _EVERYWHERE),  # what belongs to an HL loop follows its HL03: LEVEL_IDS
    CLAIM: (CLAIM_IDS, _IN_CLAIM),
    OTHER: (OTHER_IDS, _IN_CLAIM),
    LINE: (LINE_IDS, {**dict.fromkeys(SERVICE_CHARGE, "_service"), **_IN_LINE}),  # one SV1/SV2/SV3: B7
    ADJ: (ADJ_IDS, _IN_LINE),
    FORMS: (FORMS_IDS, {"LX": "_open_line", **_EVERYWHERE}),
}


def _plain_amount(value: str) -> bool:
    """The common case, decided fast: unsigned digits with at most one '.', within the R 1/18 length."""
    return len(value) <= AMOUNT_DIGITS and value.replace(".", "", 1).isdecimal() and value.isascii()


class Reader837:
    """Streams `Claim837` objects from a tokenizer; `transactions` and `findings` are complete afterwards.

    Transaction sets whose ST01 is not 837 are skipped with a "not-837" finding. Raises `X12Error` when the
    file is cut short (from the envelope walk) or when an amount the reader needs (CLM02, SV102/SV203/SV302)
    is not a number.
    """

    def __init__(self, tokenizer: Tokenizer):
        self.tokenizer = tokenizer
        self.name = tokenizer.name
        self.walker = EnvelopeWalker(tokenizer)
        self.transactions: list[Transaction837] = []
        # One list with the walker: envelope and reader findings in file order.
        self.findings: list[Finding] = self.walker.findings
        self._table = _TABLES[OUT]  # the loop being read
        self._add = [].append  # keeps a segment in that loop
        # The transaction set being read.
        self._txn: Transaction837 | None = None
        self._billing: HierarchyLevel | None = None  # the current 2000A
        self._subscriber: HierarchyLevel | None = None  # 2000B
        self._patient: HierarchyLevel | None = None  # 2000C
        self._pending: list[HierarchyLevel] = []  # HL loops read since the last claim
        self._stack: list[tuple[str, HierarchyLevel]] = []  # open HL ancestry: (HL01, level)
        # The claim being read.
        self._claim: Claim837 | None = None
        self._line: ServiceLine | None = None
        self._has_service = False  # the line's SV1/SV2/SV3 is read
        self._clm02 = ZERO
        self._line_total = ZERO  # Σ line charges, for B7

    # ------------------------------------------------------------------------------------------ findings
    def _finding(self, rule: str, message: str, position: Position, severity: str = "error") -> None:
        finding = Finding(rule, message, position, severity)
        self.findings.append(finding)
        if self._txn is not None:
            self._txn.header.findings.append(finding)

    def _unknown(self, tag: str, state: int) -> None:
        self._finding(
            "unknown-segment",
            f"segment {describe_segment_id(tag)} does not belong in {STATE_LOOPS[state]}; kept where it stands",
            self.tokenizer.position(),
            "warning",
        )

    def _empty_level(self, level: HierarchyLevel) -> None:
        self._finding(
            "empty-hl",
            f"HL {describe_code(level.segments[0][1] if len(level.segments[0]) > 1 else '')} "
            f"(level {describe_code(level.level_code)}) has no claim under it",
            level.position,
            "warning",
        )

    def _finish(self, claim: Claim837, charge: Decimal, total: Decimal) -> Claim837:
        if charge != total:
            pos = claim.position
            self._finding(
                "B7",
                f"CLM02 total charge {charge} does not equal the sum of the line charges "
                f"{total} ({len(claim.lines)} service line(s))",
                Position(pos.file, pos.segment, pos.offset, "CLM", "CLM02"),
            )
        return claim

    def _charge(self, value: str, element: str, what: str = "amount") -> Decimal:
        """An X12 R amount of the segment last read; X12Error naming `element` when it is not one."""
        try:
            return read_decimal(value)
        except ValueError as exc:
            raise self.tokenizer.error(f"{element} ({what}) {exc}", element=element) from None

    def _checked_amounts(self, seg: list[str]) -> None:
        """AMT (AMT02) and CAS (CAS03, 06 ... 18) anywhere in a claim: amounts the rules read, checked here;
        the segment stays in the loop being read."""
        if seg[0] == "AMT":
            if len(seg) > 2 and not _plain_amount(seg[2]):
                self._charge(seg[2], "AMT02")
        elif self._table.loop not in (OTHER, ADJ):  # CAS belongs to 2320 and 2430 only
            self._unknown_kept(seg)
            return
        else:
            for i in range(3, len(seg), 3):
                if seg[i] and not _plain_amount(seg[i]):
                    self._charge(seg[i], f"CAS{i:02d}", "adjustment amount")
        self._add(seg)

    # ------------------------------------------------------------------------------------------ reading
    def claims(self) -> Iterator[Claim837]:
        """Stream the file's claims, each when the segment after its last one arrives."""
        belongs, add = self._table.belongs, self._add
        for seg in self.walker:
            tag = seg[0]
            if tag in belongs:  # the common case: the segment stays in the loop being read
                add(seg)
                continue
            done = self._table[tag](self, seg)
            if done is not None:
                yield done
                self._table[tag](self, seg)  # the segment that ended the claim, read again
            belongs, add = self._table.belongs, self._add
        self._txn = None

    # ------------------------------------------------------------------------------------------ envelope
    def _ignore(self, seg: list[str]) -> None:
        pass

    def _open_transaction(self, seg: list[str]) -> None:
        header = self.walker.transaction
        if header.set_id != "837":
            self._finding(
                "not-837",
                f"transaction set {describe_code(header.set_id)} (ST02 {describe_code(header.control_number)}) "
                "is not an 837; skipped",
                self.tokenizer.position(),
                "warning",
            )
            self._table = _TABLES[SKIP]
            return
        txn = self._txn = Transaction837(header, self.tokenizer.delimiters, [seg])
        self.transactions.append(txn)
        self._table, self._add = _TABLES[HEADER], txn.segments.append
        self._billing = self._subscriber = self._patient = None
        self._pending = []
        self._stack = []

    def _close_skipped(self, seg: list[str]) -> None:
        self._table = _TABLES[OUT]

    def _close_transaction(self, seg: list[str]) -> Claim837 | None:
        if self._claim is not None:
            return self._close_claim()
        txn = self._txn
        for level in self._pending:
            self._empty_level(level)
            txn.trailer += level.segments
        self._pending = []
        txn.trailer.append(seg)
        self._txn = None
        self._table, self._add = _TABLES[OUT], [].append
        return None

    def _unknown_kept(self, seg: list[str]) -> None:
        self._unknown(seg[0], self._table.loop)
        self._add(seg)

    # ------------------------------------------------------------------------------------------ 2000
    def _open_level(self, seg: list[str]) -> Claim837 | None:
        if self._claim is not None:
            return self._close_claim()
        tok = self.tokenizer
        level = HierarchyLevel([seg], fast_position(self.name, tok.ordinal, tok.offset, "HL"))
        code = seg[3] if len(seg) > 3 else ""
        self._link(level, seg[1] if len(seg) > 1 else "", seg[2] if len(seg) > 2 else "", code)
        if code == "20":
            self._billing, self._subscriber, self._patient = level, None, None
        elif code == "22":
            self._subscriber, self._patient = level, None
        elif code == "23":
            self._patient = level
        self._pending.append(level)
        self._table, self._add = _LEVEL_TABLES.get(code, _TABLES[LEVEL]), level.segments.append
        return None

    def _link(self, level: HierarchyLevel, hid: str, pid: str, code: str) -> None:
        """Set the level's parent, the open HL whose HL01 is its HL02, and push it on the open HL stack."""
        stack = self._stack
        if pid:
            while stack and stack[-1][0] != pid:
                stack.pop()
            if stack:
                level.parent = stack[-1][1]
            else:
                fallback = self._billing if code == "22" else self._subscriber if code == "23" else None
                taken = ("the current 2000A" if code == "22" else "the current 2000B") if fallback else "none"
                self._finding(
                    "HL02",
                    f"HL02 parent {describe_code(pid)} of HL {describe_code(hid)} is not an open HL loop; "
                    f"parent taken: {taken}",
                    self.tokenizer.position("HL02"),
                    "warning",
                )
                level.parent = fallback
                if fallback is not None:
                    stack.append((fallback.segments[0][1], fallback))
        else:
            stack.clear()
        stack.append((hid, level))

    # ------------------------------------------------------------------------------------------ 2300
    def _open_claim(self, seg: list[str]) -> Claim837 | None:
        billing, subscriber, patient = self._billing, self._subscriber, self._patient
        if subscriber is None or billing is None:  # no 2000B to hang it on
            self._unknown_kept(seg)
            return None
        if self._claim is not None:
            return self._close_claim()
        value = seg[2] if len(seg) > 2 else ""
        if _plain_amount(value):
            self._clm02 = Decimal(value)
        else:
            self._clm02 = self._charge(value, "CLM02", "total claim charge")
        for level in self._pending:
            if level is not billing and level is not subscriber and level is not patient:
                self._empty_level(level)
        tok = self.tokenizer
        claim = self._claim = Claim837(
            [seg],
            self._txn,
            billing,
            subscriber,
            patient,
            fast_position(self.name, tok.ordinal, tok.offset, "CLM"),
            [],
            [],
            self._pending,
        )
        self._pending = []
        self._line = None
        self._line_total = ZERO
        self._table, self._add = _TABLES[CLAIM], claim.segments.append
        return None

    def _close_claim(self) -> Claim837:
        """The claim is complete: check B7; the claim is yielded next."""
        claim = self._finish(self._claim, self._clm02, self._line_total)
        self._claim = self._line = None
        return claim

    def _open_other_payer(self, seg: list[str]) -> None:
        tok = self.tokenizer
        other = OtherPayer([seg], fast_position(self.name, tok.ordinal, tok.offset, "SBR"))
        self._claim.other_payers.append(other)
        self._table, self._add = _TABLES[OTHER], other.segments.append

    # ------------------------------------------------------------------------------------------ 2400
    def _open_line(self, seg: list[str]) -> None:
        tok = self.tokenizer
        line = self._line = ServiceLine([seg], fast_position(self.name, tok.ordinal, tok.offset, "LX"), [], [])
        self._claim.lines.append(line)
        self._has_service = False
        self._table, self._add = _TABLES[LINE], line.segments.append

    def _service(self, seg: list[str]) -> None:
        if self._has_service:  # one SV1/SV2/SV3 per line
            self._unknown_kept(seg)
            return
        index, element = SERVICE_CHARGE[seg[0]]
        value = seg[index] if len(seg) > index else ""
        if _plain_amount(value):  # an unsigned amount: no need to look closer
            self._line_total += Decimal(value)
        else:
            self._line_total += self._charge(value, element, "line charge")
        self._has_service = True
        self._add(seg)

    def _open_adjudication(self, seg: list[str]) -> None:
        if len(seg) > 2 and not _plain_amount(seg[2]):
            self._charge(seg[2], "SVD02", "line paid amount")
        tok = self.tokenizer
        adjudication = LineAdjudication([seg], fast_position(self.name, tok.ordinal, tok.offset, "SVD"))
        self._line.adjudications.append(adjudication)
        self._table, self._add = _TABLES[ADJ], adjudication.segments.append

    def _open_forms(self, seg: list[str]) -> None:
        self._table, self._add = _TABLES[FORMS], self._line.trailing.append
        self._add(seg)


_TABLES = {loop: table(loop, handlers, Reader837, belongs) for loop, (belongs, handlers) in LOOPS.items()}
#: 2000A, 2000B, 2000C: what belongs to an HL loop follows its HL03 (any other code: ANY_LEVEL_IDS).
_LEVEL_TABLES = {code: table(LEVEL, LOOPS[LEVEL][1], Reader837, ids) for code, ids in LEVEL_IDS.items()}


def read_837(source: str | os.PathLike | bytes, name: str | None = None) -> tuple[list[Claim837], list[Finding]]:
    """Every claim of every 837 transaction set in a file (path or bytes), and the file's findings."""
    reader = Reader837(Tokenizer.open(source, name))
    claims = list(reader.claims())
    return claims, reader.findings
