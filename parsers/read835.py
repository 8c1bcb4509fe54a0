"""The 835 (005010X221A1) reader: segments -> Remittance / ClaimPayment / ServicePayment, with balancing.

`Reader835(tokenizer).claims()` streams the file claim by claim: a claim is yielded when the segment after
its last one arrives (the next CLP, an LX, a PLB or the SE), with its balancing findings already attached.
`remittances` holds one `Remittance` per 835 transaction set, created at its ST; its header (BPR, TRN, CUR,
REF, DTM, payer and payee) is complete by the first CLP, its PLBs, claim count and paid total at its SE.
In streaming mode `Remittance.claims` stays empty; `read_835` fills it.

Balancing (COB-REFERENCE §1.7; the arithmetic is the models', `parsers.models`), each failure a `Finding`
at the segment concerned:

* ``B1`` line: SVC02 − Σ line CAS = SVC03 (at the SVC)
* ``B2`` claim: CLP03 − Σ (claim CAS + line CAS) = CLP04 (at the CLP)
* ``B3`` transaction: BPR02 = Σ CLP04 − Σ PLB (at the SE)
* ``CLP05`` (warning): CLP05 = Σ PR CAS (claim and line), except reversals and an empty/0 CLP05 with no PR.

Malformed amounts are an `X12Error` naming the segment ordinal, segment id and element. Messages carry
segment positions, codes and amounts only: no names, member ids, dates of birth, addresses, nor CLP01.

Reading is table-driven: `LOOPS` says, for each loop the reader can be in, which segment opens a loop or
belongs to the one being read, and which method reads it; the hot loop is one dict probe and one call per
segment. The sums balancing needs are kept as the CAS segments are read, and `Decimal` is parsed only for
amounts (with a small cache: amounts repeat a lot in real files).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal

from .dispatch import table
from .envelope import EnvelopeWalker
from .errors import Finding, describe_code, fast_position
from .models import (
    Adjustment,
    ClaimPayment,
    Party,
    Procedure,
    Remittance,
    ServicePayment,
)
from .remit_values import RemittanceValues
from .syntax import Tokenizer

ZERO = Decimal(0)
ONE = Decimal(1)

# ---------------------------------------------------------------------------------------------- loop table
# What the reader is reading: the loop the next segment is looked up in.
ENVELOPE = "envelope"  # between transaction sets
SKIPPED = "not-835"  # inside a transaction set that is not an 835
HEADER = "header"  # in the 835, outside any claim: its header, the 2000 loops (LX, TS3, TS2), the PLBs
PARTY = "1000A/1000B"  # in a payer (N1*PR) or payee (N1*PE) loop
CLAIM = "2100"  # in a claim, before its first SVC
LINE = "2110"  # in a service line

# The 835 loop by loop: for each loop the reader can be in, the segments that open a loop (or end the one being
# read) and the segments that belong to it, each with the method that reads it; None: any other segment.
# Reading a segment is one dict probe in its loop's table (`parsers.dispatch`). A CLP, LX, PLB or SE ends the
# claim being read: the claim is yielded, then the segment is read again, in HEADER.
_IN_TRANSACTION = {  # HEADER (and the 1000A/1000B loops, whose own segments come on top)
    "BPR": "_payment",  # header: BPR02 is what B3 checks
    "TRN": "_trace",
    "CUR": "_currency",
    "REF": "_header_reference",
    "DTM": "_header_date",
    "N1": "_open_party",  # opens 1000A (N1*PR, the payer) or 1000B (N1*PE, the payee)
    "LX": "_open_header_number",  # opens a 2000 loop
    "TS3": "_summary",  # 2000
    "TS2": "_summary",  # 2000
    "CLP": "_open_claim",  # opens 2100
    "PLB": "_provider_adjustment",  # table 3
    "SE": "_close_transaction",  # trailer: B3, the claim count and paid total
    None: "_unknown_in_transaction",
}
_IN_CLAIM = {  # 2100 and 2110 alike
    "CAS": "_adjustment",  # before the first SVC: claim level; after it: line level
    "SVC": "_open_service",  # opens 2110 (and ends the line before it)
    "NM1": "_name",
    "MOA": "_outpatient",
    "MIA": "_inpatient",
    "PER": "_contact",
    "CLP": "_close_claim",
    "LX": "_close_claim",
    "PLB": "_close_claim",
    "SE": "_close_claim",
}
LOOPS: dict[str, dict[str | None, str]] = {
    ENVELOPE: {
        "ST": "_open_transaction",  # ST*835 opens a transaction set; another ST01 is skipped to its SE
        **dict.fromkeys(("ISA", "GS", "GE", "IEA", "TA1"), "_ignore"),  # envelope: the walker's
        None: "_unknown_outside",
    },
    SKIPPED: {"SE": "_close_skipped", None: "_ignore"},
    HEADER: _IN_TRANSACTION,
    PARTY: {**_IN_TRANSACTION, **dict.fromkeys(("N3", "N4", "REF", "PER", "RDM"), "_party_segment")},
    CLAIM: {
        **_IN_CLAIM,
        "DTM": "_claim_date",
        "REF": "_claim_reference",
        "AMT": "_claim_amount",
        "QTY": "_claim_quantity",
        "LQ": "_misplaced_remark",  # LQ belongs to a service line
        None: "_unknown_in_claim",
    },
    LINE: {
        **_IN_CLAIM,
        "DTM": "_line_date",
        "REF": "_line_reference",  # REF*6R: the line item control number
        "AMT": "_line_amount",
        "QTY": "_line_quantity",
        "LQ": "_remark",
        None: "_unknown_in_line",
    },
}


class Reader835(RemittanceValues):
    """Streaming 835 reader. Iterate `claims()` once; then `remittances` and `findings` are complete."""

    def __init__(self, tokenizer: Tokenizer):
        self.tokenizer = tokenizer
        self.walker = EnvelopeWalker(tokenizer)
        self.name = tokenizer.name
        self.remittances: list[Remittance] = []
        self._findings: list[Finding] = []
        self._started = False
        self._amounts: dict[str, Decimal] = {}
        self._dates: dict[str, None] = {}  # DT values already checked
        self._procedures: dict[str, Procedure] = {}
        self._adjustments: dict[tuple[str, str, str, str], Adjustment] = {}  # Adjustment is frozen: share
        self._mismatch_reported: Remittance | None = None  # the transaction a composite-separator finding is for
        self._table = _TABLES[ENVELOPE]  # the loop being read
        # The transaction set being read.
        self._rem: Remittance | None = None
        self._delimiters = tokenizer.delimiters
        self._party: Party | None = None  # the 1000A/1000B loop being read
        self._header_number = ""  # LX01
        self._summaries: list[list[str]] | None = None  # TS3/TS2 of the 2000 loop
        self._bpr02: Decimal | None = None
        self._paid_total = ZERO  # Σ CLP04
        self._plb_total = ZERO  # Σ PLB amounts
        self._claim_count = 0
        # The claim being read, with the sums its balancing needs.
        self._claim: ClaimPayment | None = None
        self._svc: ServicePayment | None = None
        self._claim_cas = ZERO  # Σ claim-level and line-level CAS of the claim
        self._line_cas = ZERO  # Σ CAS of the current line
        self._pr_total = ZERO  # Σ PR CAS of the claim
        self._has_pr = False

    # ------------------------------------------------------------------------------------------ findings

    # ------------------------------------------------------------------------------------------ values

    # ------------------------------------------------------------------------------------------ reading
    def claims(self) -> Iterator[ClaimPayment]:
        """Stream the file's claims, each with its balancing findings; can be iterated only once."""
        if self._started:
            raise RuntimeError("Reader835.claims() can be iterated only once")
        self._started = True
        for seg in self.walker:
            done = self._table[seg[0]](self, seg)
            if done is not None:
                yield done
                self._table[seg[0]](self, seg)  # the segment that ended the claim, read again in HEADER

    # ------------------------------------------------------------------------------------------ envelope
    def _ignore(self, seg: list[str]) -> None:
        pass

    def _unknown_outside(self, seg: list[str]) -> None:
        self._unknown(seg[0], "envelope (outside a transaction set)", None)

    def _open_transaction(self, seg: list[str]) -> None:
        tok = self.tokenizer
        transaction = self.walker.transaction
        if transaction is not None and transaction.set_id != "835":
            self._table = _TABLES[SKIPPED]
            self._add(
                "not-835",
                f"transaction set {describe_code(transaction.set_id)} (ST02 "
                f"{describe_code(transaction.control_number)}) is not an 835; its segments were skipped",
                tok.position("ST01"),
                "warning",
            )
            return
        self._delimiters = tok.delimiters
        rem = self._rem = Remittance(transaction, self._delimiters)
        self.remittances.append(rem)
        self._procedures.clear()
        self._party = self._summaries = None
        self._header_number = ""
        self._plb_total = self._paid_total = ZERO
        self._claim_count = 0
        self._bpr02 = None
        self._table = _TABLES[HEADER]

    def _close_skipped(self, seg: list[str]) -> None:
        self._table = _TABLES[ENVELOPE]

    # ------------------------------------------------------------------------------------------ header
    def _payment(self, seg: list[str]) -> None:
        self._rem.bpr = seg
        self._bpr02 = self._amount(seg[2] if len(seg) > 2 else "", "BPR02")
        if len(seg) > 16 and seg[16]:
            self._date(seg[16], "BPR16")

    def _trace(self, seg: list[str]) -> None:
        self._rem.trn = seg

    def _currency(self, seg: list[str]) -> None:
        self._rem.currency = seg

    def _header_reference(self, seg: list[str]) -> None:
        self._rem.references.append((seg[1] if len(seg) > 1 else "", seg[2] if len(seg) > 2 else ""))

    def _header_date(self, seg: list[str]) -> None:
        value = seg[2] if len(seg) > 2 else ""
        if value:
            self._date(value, "DTM02")
        self._rem.dates[seg[1] if len(seg) > 1 else ""] = value

    def _open_party(self, seg: list[str]) -> None:
        n = len(seg)
        party = self._party = Party(
            seg[1] if n > 1 else "",
            seg[2] if n > 2 else "",
            seg[3] if n > 3 else "",
            seg[4] if n > 4 else "",
            [seg],
        )
        self._table = _TABLES[PARTY]
        if party.entity == "PR":
            self._rem.payer = party
        elif party.entity == "PE":
            self._rem.payee = party
        else:
            self._add(
                "unknown-segment",
                f"N1 entity {describe_code(party.entity)} is neither the payer (PR) nor "
                "the payee (PE); the loop was not read into the model",
                self.tokenizer.position("N101"),
                "warning",
                self._rem,
            )

    def _party_segment(self, seg: list[str]) -> None:
        self._party.segments.append(seg)

    def _open_header_number(self, seg: list[str]) -> None:
        number = self._header_number = seg[1] if len(seg) > 1 else ""
        self._summaries = self._rem.provider_summaries.setdefault(number, [])
        self._party = None
        self._table = _TABLES[HEADER]

    def _summary(self, seg: list[str]) -> None:
        if self._summaries is None:
            self._unknown(seg[0], "header (TS3/TS2 belong after an LX)", self._rem)
        else:
            self._summaries.append(seg)

    def _unknown_in_transaction(self, seg: list[str]) -> None:
        rem = self._rem
        where = "header" if self._claim_count == 0 and not rem.provider_adjustments else "transaction"
        self._unknown(seg[0], where, rem)

    def _close_transaction(self, seg: list[str]) -> None:
        self._finish(self._rem, self._bpr02, self._paid_total, self._plb_total, self._claim_count)
        self._table = _TABLES[ENVELOPE]

    # ------------------------------------------------------------------------------------------ 2100
    def _open_claim(self, seg: list[str]) -> None:
        n = len(seg)
        if n < 5:
            raise self._short("CLP", 4, n)
        cache = self._amounts
        charge = cache.get(seg[3])
        if charge is None:
            charge = self._amount(seg[3], "CLP03")
        paid = cache.get(seg[4])
        if paid is None:
            paid = self._amount(seg[4], "CLP04")
        if n > 5 and seg[5]:
            patient = cache.get(seg[5])
            if patient is None:
                patient = self._amount(seg[5], "CLP05")
        else:
            patient = None
        tok = self.tokenizer
        self._claim = ClaimPayment(
            seg,
            seg[1],
            seg[2],
            charge,
            paid,
            patient,
            seg[7] if n > 7 else "",
            fast_position(self.name, tok.ordinal, tok.offset, "CLP"),
            self._rem,
            self._header_number,
        )
        self._claim_count += 1
        self._paid_total += paid
        self._claim_cas = self._pr_total = ZERO
        self._has_pr = False
        self._party = None
        self._table = _TABLES[CLAIM]

    def _adjustment(self, seg: list[str]) -> None:
        svc = self._svc
        target = svc.adjustments if svc is not None else self._claim.adjustments
        n = len(seg)
        if n == 4 or n == 5:
            # One triplet, the usual case: one cache lookup, no loop.
            adj = self._adjustments.get((seg[1], seg[2], seg[3], seg[4] if n == 5 else ""))
            if adj is not None and seg[2]:
                target.append(adj)
                total = adj.amount
                is_pr = seg[1] == "PR"
            else:
                total, _, is_pr = self._cas(seg, target)
        else:
            total, _, is_pr = self._cas(seg, target)
        if svc is not None:
            self._line_cas += total
        self._claim_cas += total
        if is_pr:
            self._pr_total += total
            self._has_pr = True

    def _claim_date(self, seg: list[str]) -> None:
        try:
            self._claim.dates[seg[1]] = seg[2]
        except IndexError:
            raise self._short("DTM", 2, len(seg)) from None
        if seg[2] not in self._dates:
            self._date(seg[2], "DTM02")

    def _claim_reference(self, seg: list[str]) -> None:
        try:
            self._claim.references.append((seg[1], seg[2]))
        except IndexError:
            raise self._short("REF", 2, len(seg)) from None

    def _claim_amount(self, seg: list[str]) -> None:
        q, d = self._qualified_amount(seg)
        self._claim.amounts[q] = d

    def _claim_quantity(self, seg: list[str]) -> None:
        q, d = self._qualified_amount(seg)
        self._claim.quantities[q] = d

    def _name(self, seg: list[str]) -> None:
        self._claim.names[seg[1] if len(seg) > 1 else ""] = seg

    def _outpatient(self, seg: list[str]) -> None:
        self._claim.outpatient = seg

    def _inpatient(self, seg: list[str]) -> None:
        self._claim.inpatient = seg

    def _contact(self, seg: list[str]) -> None:
        self._claim.contacts.append(seg)

    def _misplaced_remark(self, seg: list[str]) -> None:
        self._unknown(seg[0], "claim (LQ belongs to a service line)", self._rem)

    def _unknown_in_claim(self, seg: list[str]) -> None:
        self._unknown(seg[0], "claim", self._rem)

    def _close_claim(self, seg: list[str]) -> ClaimPayment:
        """The claim and its last line are complete: check B1, B2 and CLP05; the claim is yielded next."""
        claim, svc = self._claim, self._svc
        if svc is not None and svc.b1_paid(self._line_cas) != svc.paid:
            self._check_line(svc, self._line_cas, self._rem, claim)
        patient = claim.patient_responsibility
        if claim.b2_paid(self._claim_cas) != claim.paid or (
            (self._has_pr or patient) and (patient or ZERO) != self._pr_total and claim.status != "22"
        ):
            self._check_claim(claim, self._claim_cas, self._pr_total, self._has_pr, self._rem)
        self._claim = self._svc = None
        self._table = _TABLES[HEADER]
        return claim

    # ------------------------------------------------------------------------------------------ 2110
    def _open_service(self, seg: list[str]) -> None:
        svc = self._svc
        if svc is not None and svc.b1_paid(self._line_cas) != svc.paid:
            self._check_line(svc, self._line_cas, self._rem, self._claim)
        n = len(seg)
        if n < 4:
            raise self._short("SVC", 3, n)
        cache = self._amounts
        charge = cache.get(seg[2])
        if charge is None:
            charge = self._amount(seg[2], "SVC02")
        paid = cache.get(seg[3])
        if paid is None:
            paid = self._amount(seg[3], "SVC03")
        proc = self._procedures.get(seg[1])
        if proc is None:
            proc = self._procedure(seg[1], self._delimiters, self._rem, "SVC01")
        units_absent = n <= 5 or not seg[5]
        if units_absent:
            units = ONE
        else:
            units = cache.get(seg[5])
            if units is None:
                units = self._amount(seg[5], "SVC05")
        original = self._procedure(seg[6], self._delimiters, self._rem, "SVC06") if n > 6 and seg[6] else None
        original_units = self._amount(seg[7], "SVC07") if n > 7 and seg[7] else None
        tok = self.tokenizer
        svc = self._svc = ServicePayment(
            proc,
            charge,
            paid,
            seg[4] if n > 4 else "",
            units,
            original,
            original_units,
            fast_position(self.name, tok.ordinal, tok.offset, "SVC"),
        )
        if units_absent:
            svc.units_absent = True
        self._claim.services.append(svc)
        self._line_cas = ZERO
        self._table = _TABLES[LINE]

    def _line_date(self, seg: list[str]) -> None:
        try:
            self._svc.dates[seg[1]] = seg[2]
        except IndexError:
            raise self._short("DTM", 2, len(seg)) from None
        if seg[2] not in self._dates:
            self._date(seg[2], "DTM02")

    def _line_reference(self, seg: list[str]) -> None:
        try:
            q, v = seg[1], seg[2]
        except IndexError:
            raise self._short("REF", 2, len(seg)) from None
        if q == "6R":
            self._svc.control_number = v
        else:
            self._svc.references.append((q, v))

    def _line_amount(self, seg: list[str]) -> None:
        q, d = self._qualified_amount(seg)
        self._svc.amounts[q] = d

    def _line_quantity(self, seg: list[str]) -> None:
        q, d = self._qualified_amount(seg)
        self._svc.quantities[q] = d

    def _remark(self, seg: list[str]) -> None:
        try:
            self._svc.remarks.append((seg[1], seg[2]))
        except IndexError:
            raise self._short("LQ", 2, len(seg)) from None

    def _unknown_in_line(self, seg: list[str]) -> None:
        self._unknown(seg[0], "service line", self._rem)

    # ------------------------------------------------------------------------------------------ helpers

    def _provider_adjustment(self, seg: list[str]) -> None:
        self._plb_total += self._plb(seg, self._rem, self._delimiters)
        self._party = None
        self._table = _TABLES[HEADER]


_TABLES = {loop: table(loop, handlers, Reader835) for loop, handlers in LOOPS.items()}


def read_835(
    source: str | os.PathLike | bytes | Tokenizer, name: str | None = None
) -> tuple[list[Remittance], list[Finding]]:
    """Read a whole 835 file (path or bytes): each claim appended to its Remittance.claims."""
    tokenizer = source if isinstance(source, Tokenizer) else Tokenizer.open(source, name)
    reader = Reader835(tokenizer)
    for claim in reader.claims():
        claim.remittance.claims.append(claim)
    return reader.remittances, reader.findings
