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
from decimal import Decimal, InvalidOperation

from .envelope import EnvelopeWalker
from .errors import Finding, Position
from .models import ZERO, Claim837, HierarchyLevel, LineAdjudication, OtherPayer, ServiceLine, Transaction837
from .syntax import Tokenizer

# Reader states (which loop the next ordinary segment belongs to).
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

# Segments that stay in the current loop without opening a new one (openers are handled one by one).
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
        "AMT",
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
    {  # 2320 and 2330A-I
        "CAS",
        "AMT",
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
        "AMT",
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
ADJ_IDS = frozenset({"CAS", "DTP", "AMT"})  # 2430 after its SVD
FORMS_IDS = frozenset({"LQ", "FRM"})  # 2440
SERVICE_CHARGE = {"SV1": (2, "SV102"), "SV2": (3, "SV203"), "SV3": (2, "SV302")}
# Segments that open a loop or need a look (one dict probe, then an if-chain, most frequent first).
K_SERVICE, K_LX, K_SVD, K_SBR, K_CLM, K_HL, K_LQ, K_SE, K_ST = range(1, 10)
SPECIAL = {
    "SV1": K_SERVICE,
    "SV2": K_SERVICE,
    "SV3": K_SERVICE,
    "LX": K_LX,
    "SVD": K_SVD,
    "SBR": K_SBR,
    "CLM": K_CLM,
    "HL": K_HL,
    "LQ": K_LQ,
    "SE": K_SE,
    "ST": K_ST,
}
NO_IDS: frozenset[str] = frozenset()


# Positions are made for every HL, CLM, SBR, LX and SVD. The frozen dataclass __init__ sets each field through
# object.__setattr__, which costs more than the rest of the loop; filling the slots directly makes the same,
# equal, hashable Position (it has no __post_init__) in about half the time.
_new_object = object.__new__
_SET_FILE, _SET_SEGMENT, _SET_OFFSET, _SET_ID, _SET_ELEMENT = (
    Position.__dict__[f].__set__ for f in ("file", "segment", "offset", "segment_id", "element")
)


def _position(file: str, segment: int, offset: int, segment_id: str) -> Position:
    position = _new_object(Position)
    _SET_FILE(position, file)
    _SET_SEGMENT(position, segment)
    _SET_OFFSET(position, offset)
    _SET_ID(position, segment_id)
    _SET_ELEMENT(position, "")
    return position


def _amount(value: str) -> Decimal | None:
    """An X12 R (decimal) value, or None when it is not one (no exponent, NaN, blanks or '+')."""
    digits = value[1:] if value[:1] == "-" else value
    if not digits.replace(".", "", 1).isdecimal():
        return None
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - isdecimal() already excludes what Decimal refuses
        return None


def _safe_id(tag: str) -> str:
    """A segment id fit for a message: garbage (possibly data run together) is not echoed."""
    return tag if 2 <= len(tag) <= 3 and tag.isalnum() else "with an unreadable id"


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
        self._txn: Transaction837 | None = None

    # ------------------------------------------------------------------------------------------ findings
    def _finding(self, rule: str, message: str, position: Position, severity: str = "error") -> None:
        finding = Finding(rule, message, position, severity)
        self.findings.append(finding)
        if self._txn is not None:
            self._txn.header.findings.append(finding)

    def _unknown(self, tag: str, state: int) -> None:
        self._finding(
            "unknown-segment",
            f"segment {_safe_id(tag)} does not belong in {STATE_LOOPS[state]}; kept where it stands",
            self.tokenizer.position(),
            "warning",
        )

    def _empty_level(self, level: HierarchyLevel) -> None:
        self._finding(
            "empty-hl",
            f"HL {level.segments[0][1] if len(level.segments[0]) > 1 else ''!r} "
            f"(level {level.level_code!r}) has no claim under it",
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

    def _charge(self, value: str, element: str, what: str) -> Decimal:
        amount = _amount(value)
        if amount is None:
            problem = "is empty" if not value else "is not a number"
            raise self.tokenizer.error(
                f"{element} {problem}: expected the {what} as a decimal amount (digits, optional '-' and '.')",
                element=element,
            )
        return amount

    # ------------------------------------------------------------------------------------------ reading
    def claims(self) -> Iterator[Claim837]:
        tok = self.tokenizer
        walker = self.walker
        state = OUT
        allowed: frozenset[str] = NO_IDS
        cur: list[list[str]] = []  # the list ordinary segments go to
        txn: Transaction837 | None = None
        claim: Claim837 | None = None
        line: ServiceLine | None = None
        has_service = False
        total = charge = ZERO
        billing = subscriber = patient = None
        pending: list[HierarchyLevel] = []  # HL loops read since the last claim
        stack: list[tuple[str, HierarchyLevel]] = []  # open HL ancestry: (HL01, level)

        name = self.name
        add = cur.append
        for seg in walker:
            tag = seg[0]
            if tag in allowed:  # the common case: the segment stays in the loop being read
                add(seg)
                continue
            kind = SPECIAL.get(tag, 0)
            if state < HEADER:  # between transaction sets, or in one that is not an 837
                if kind == K_ST and state == OUT:
                    header = walker.transaction
                    if header.set_id != "837":
                        self._finding(
                            "not-837",
                            f"transaction set {header.set_id!r} (ST02 "
                            f"{header.control_number!r}) is not an 837; skipped",
                            tok.position(),
                            "warning",
                        )
                        state = SKIP
                        continue
                    txn = Transaction837(header, tok.delimiters, [seg])
                    self._txn = txn
                    self.transactions.append(txn)
                    state, allowed, cur = HEADER, HEADER_IDS, txn.segments
                    add = cur.append
                    billing = subscriber = patient = None
                    pending = []
                    stack = []
                elif kind == K_SE:
                    state = OUT
                continue  # envelope segments (ISA, GS, GE, IEA) belong to no transaction
            if kind == K_SERVICE:
                if state == LINE and not has_service:
                    index, element = SERVICE_CHARGE[tag]
                    value = seg[index] if len(seg) > index else ""
                    if value.replace(".", "", 1).isdecimal():  # an unsigned amount: no need to look closer
                        total += Decimal(value)
                    else:
                        total += self._charge(value, element, "line charge")
                    has_service = True
                    add(seg)
                    continue
            elif kind == K_LX:
                if state >= CLAIM:
                    line = ServiceLine([seg], _position(name, tok.ordinal, tok.offset, tag), [], [])
                    claim.lines.append(line)
                    has_service = False
                    state, allowed, cur = LINE, LINE_IDS, line.segments
                    add = cur.append
                    continue
            elif kind == K_SVD:
                if state == LINE or state == ADJ:
                    adjudication = LineAdjudication([seg], _position(name, tok.ordinal, tok.offset, tag))
                    line.adjudications.append(adjudication)
                    state, allowed, cur = ADJ, ADJ_IDS, adjudication.segments
                    add = cur.append
                    continue
            elif kind == K_SBR:
                if state == CLAIM or state == OTHER:
                    other = OtherPayer([seg], _position(name, tok.ordinal, tok.offset, tag))
                    claim.other_payers.append(other)
                    state, allowed, cur = OTHER, OTHER_IDS, other.segments
                    add = cur.append
                    continue
            elif kind == K_CLM:
                if subscriber is not None and billing is not None:
                    if claim is not None:
                        yield self._finish(claim, charge, total)
                    value = seg[2] if len(seg) > 2 else ""
                    if value.replace(".", "", 1).isdecimal():
                        charge = Decimal(value)
                    else:
                        charge = self._charge(value, "CLM02", "total claim charge")
                    for level in pending:
                        if level is not billing and level is not subscriber and level is not patient:
                            self._empty_level(level)
                    claim = Claim837(
                        [seg],
                        txn,
                        billing,
                        subscriber,
                        patient,
                        _position(name, tok.ordinal, tok.offset, tag),
                        [],
                        [],
                        pending,
                    )
                    pending = []
                    line = None
                    total = ZERO
                    state, allowed, cur = CLAIM, CLAIM_IDS, claim.segments
                    add = cur.append
                    continue
            elif kind == K_HL:
                if claim is not None:
                    yield self._finish(claim, charge, total)
                    claim = line = None
                level = HierarchyLevel([seg], _position(name, tok.ordinal, tok.offset, tag))
                hid = seg[1] if len(seg) > 1 else ""
                pid = seg[2] if len(seg) > 2 else ""
                code = seg[3] if len(seg) > 3 else ""
                if pid:
                    while stack and stack[-1][0] != pid:
                        stack.pop()
                    if stack:
                        level.parent = stack[-1][1]
                    else:
                        fallback = billing if code == "22" else subscriber if code == "23" else None
                        taken = ("the current 2000A" if code == "22" else "the current 2000B") if fallback else "none"
                        self._finding(
                            "HL02",
                            f"HL02 parent {pid!r} of HL {hid!r} is not an open HL loop; parent taken: {taken}",
                            tok.position("HL02"),
                            "warning",
                        )
                        level.parent = fallback
                        if fallback is not None:
                            stack.append((fallback.segments[0][1], fallback))
                else:
                    stack.clear()
                stack.append((hid, level))
                if code == "20":
                    billing, subscriber, patient = level, None, None
                elif code == "22":
                    subscriber, patient = level, None
                elif code == "23":
                    patient = level
                pending.append(level)
                state, allowed, cur = LEVEL, LEVEL_IDS.get(code, ANY_LEVEL_IDS), level.segments
                add = cur.append
                continue
            elif kind == K_LQ:
                if state == LINE or state == ADJ:
                    state, allowed, cur = FORMS, FORMS_IDS, line.trailing
                    add = cur.append
                    add(seg)
                    continue
            elif kind == K_SE:
                if claim is not None:
                    yield self._finish(claim, charge, total)
                    claim = line = None
                for level in pending:
                    self._empty_level(level)
                    txn.trailer += level.segments
                pending = []
                txn.trailer.append(seg)
                self._txn = txn = None
                state, allowed, cur = OUT, NO_IDS, []
                add = cur.append
                continue
            self._unknown(tag, state)
            add(seg)
        self._txn = None


def read_837(source: str | os.PathLike | bytes, name: str | None = None) -> tuple[list[Claim837], list[Finding]]:
    """Every claim of every 837 transaction set in a file (path or bytes), and the file's findings."""
    reader = Reader837(Tokenizer.open(source, name))
    claims = list(reader.claims())
    return claims, reader.findings
