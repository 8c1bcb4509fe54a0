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

The hot loop dispatches on the segment id with an if-chain ordered by frequency, keeps running sums in
locals and parses `Decimal` only for amounts (with a small cache: amounts repeat a lot in real files).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from .envelope import EnvelopeWalker
from .errors import Finding, Position, X12Error
from .models import (
    Adjustment,
    ClaimPayment,
    Party,
    Procedure,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
    balanced_payment,
)
from .syntax import Delimiters, Tokenizer

ZERO = Decimal(0)
ONE = Decimal(1)

#: X221A1 PLB03-1 adjustment reason codes (COB-REFERENCE §1.5).
PLB_REASONS = frozenset(
    "50 51 72 90 AH AM AP B2 B3 BD BN C5 CR CS CT CV CW DM E3 FB FC GO HM IP IR IS J1 L3 L6 LE LS OA OB PI "
    "PL "
    "RA RE SL TL WO WU".split()
)

#: Segments that may sit in the 835 header or outside a transaction and carry nothing for the model.
#: CAS01 group codes: the 5010 ones, and CR (4010 corrections), still seen in the wild.
CAS_GROUPS = frozenset(("CO", "OA", "PI", "PR", "CR"))

_ENVELOPE = frozenset(("ISA", "GS", "GE", "IEA", "TA1"))

_CACHE_LIMIT = 4_096  # small: the cache pays off on repeated values, and must not grow with the file

# Position is a frozen slotted dataclass; its generated __init__ sets each field through
# object.__setattr__. Setting the slots directly builds the same (equal, hashable) object in half the time,
# and the reader makes one per claim and per line.
_new = object.__new__
_set_file = Position.file.__set__  # type: ignore[attr-defined]
_set_segment = Position.segment.__set__  # type: ignore[attr-defined]
_set_offset = Position.offset.__set__  # type: ignore[attr-defined]
_set_segment_id = Position.segment_id.__set__  # type: ignore[attr-defined]
_set_element = Position.element.__set__  # type: ignore[attr-defined]


def _position(file: str, segment: int, offset: int, segment_id: str, element: str = "") -> Position:
    p = _new(Position)
    _set_file(p, file)
    _set_segment(p, segment)
    _set_offset(p, offset)
    _set_segment_id(p, segment_id)
    _set_element(p, element)
    return p


def _describe_value(value: str) -> str:
    """An element value fit for a message: shown when it cannot be personal data (no letters, short)."""
    if len(value) <= 20 and not any(c.isalpha() for c in value):
        return repr(value)
    return f"({len(value)} characters, not shown)"


def _describe_code(value: str) -> str:
    return repr(value) if len(value) <= 12 else f"({len(value)} characters)"


def _segment_label(tag: str) -> str:
    if 2 <= len(tag) <= 3 and tag.isalnum() and tag.upper() == tag:
        return repr(tag)
    return f"with an invalid segment id ({len(tag)} characters)"


def _strict_decimal(value: str) -> Decimal:
    """X12 R (decimal) value -> Decimal. Raises InvalidOperation for anything else (NaN, Infinity, blanks)."""
    d = Decimal(value)
    if not d.is_finite() or "_" in value or value != value.strip():
        raise InvalidOperation(value)
    return d


class Reader835:
    """Streaming 835 reader. Iterate `claims()` once; then `remittances` and `findings` are complete."""

    def __init__(self, tokenizer: Tokenizer):
        self.tokenizer = tokenizer
        self.walker = EnvelopeWalker(tokenizer)
        self.name = tokenizer.name
        self.remittances: list[Remittance] = []
        self._findings: list[Finding] = []
        self._started = False
        self._amounts: dict[str, Decimal] = {}
        self._procedures: dict[str, Procedure] = {}
        self._adjustments: dict[tuple[str, str, str, str], Adjustment] = {}  # Adjustment is frozen: share
        self._rem: Remittance | None = None  # the transaction being read (for findings from helpers)

    # ------------------------------------------------------------------------------------------ findings
    @property
    def findings(self) -> list[Finding]:
        """Every finding of the file so far (envelope and 835), in file order."""
        merged = self.walker.findings + self._findings
        merged.sort(key=lambda f: f.position.segment)
        return merged

    def _add(
        self,
        rule: str,
        message: str,
        position: Position,
        severity: str = "error",
        rem: Remittance | None = None,
        claim: ClaimPayment | None = None,
    ) -> None:
        finding = Finding(rule, message, position, severity)
        self._findings.append(finding)
        if rem is not None:
            rem.header.findings.append(finding)
        if claim is not None:
            claim.findings.append(finding)

    # ------------------------------------------------------------------------------------------ values
    def _amount(self, value: str, element: str) -> Decimal:
        """Parse one amount (cold path: the hot loop inlines the cache lookup).

        A malformed amount is an X12Error; an empty one where an amount is required is read as 0 with a
        "missing-amount" finding (a value left out is not a value garbled: the rest of the file still reads).
        """
        d = self._amounts.get(value)
        if d is not None:
            return d
        if value == "":
            self._add(
                "missing-amount",
                f"{element} is empty where an amount is required; read as 0",
                self.tokenizer.position(element),
                "error",
                self._rem,
            )
            return ZERO
        try:
            d = _strict_decimal(value)
        except (InvalidOperation, ValueError):
            raise self._bad_amount(value, element) from None
        if len(self._amounts) >= _CACHE_LIMIT:
            self._amounts.clear()
        self._amounts[value] = d
        return d

    def _bad_amount(self, value: str, element: str) -> X12Error:
        if value == "":
            what = f"{element} is empty: expected a decimal amount"
        else:
            what = (
                f"{element} {_describe_value(value)} is not a decimal amount "
                "(expected digits with an optional leading '-' and one '.')"
            )
        return self.tokenizer.error(what, element)

    def _short(self, tag: str, need: int, have: int) -> X12Error:
        return self.tokenizer.error(f"{tag} has {have - 1} elements: expected at least {need}", f"{tag}{need:02d}")

    def _procedure(self, value: str, delimiters: Delimiters, rem: Remittance, element: str) -> Procedure:
        proc = self._procedures.get(value)
        if proc is not None:
            return proc
        comp = delimiters.component
        if comp not in value and len(value) > 2 and not value[2].isalnum() and value[2] != " ":
            # The qualifier (HC, NU, AD, ...) is two characters: what follows it is the component separator
            # the sender really used (some files declare ':' in ISA16 and write '>').
            self._mismatch(value[2], rem, element)
            delimiters = Delimiters(delimiters.element, value[2], delimiters.repetition, delimiters.segment)
        proc = Procedure.parse(value, delimiters)
        if len(self._procedures) >= _CACHE_LIMIT:
            self._procedures.clear()
        self._procedures[value] = proc
        return proc

    def _mismatch(self, used: str, rem: Remittance, element: str) -> None:
        if getattr(self, "_mismatch_reported", None) is rem:
            return
        self._mismatch_reported = rem
        self._add(
            "composite-separator",
            f"composite uses {used!r} but the component separator is {rem.delimiters.component!r}; read with {used!r}",
            self.tokenizer.position(element),
            "warning",
            rem,
        )

    def _cas(self, seg: list[str], target: list[Adjustment]) -> tuple[Decimal, Decimal, bool]:
        """Append the segment's triplets to `target`; returns (Σ amounts, Σ PR amounts, any PR)."""
        n = len(seg)
        if n < 4:
            raise self._short("CAS", 3, n)
        group = seg[1]
        if group not in CAS_GROUPS:
            self._add(
                "CAS01",
                f"CAS01 group code {_describe_code(group)} is not CO, OA, PI or PR (or CR); "
                "the segment was not read as an adjustment",
                self.tokenizer.position("CAS01"),
                "error",
                self._rem,
            )
            return ZERO, ZERO, False
        adjustments = self._adjustments
        total = ZERO
        for i in range(2, n, 3):
            reason = seg[i]
            a = seg[i + 1] if i + 1 < n else ""
            q = seg[i + 2] if i + 2 < n else ""
            if not reason:
                if a or q:
                    raise self.tokenizer.error(
                        f"CAS{i:02d} is empty but CAS{i + 1:02d}/CAS{i + 2:02d} are not: expected a reason code",
                        f"CAS{i:02d}",
                    )
                continue
            key = (group, reason, a, q)
            adj = adjustments.get(key)
            if adj is None:
                amount = self._amount(a, f"CAS{i + 1:02d}")
                qty = self._amount(q, f"CAS{i + 2:02d}") if q else None
                adj = Adjustment(group, reason, amount, qty)
                if a:  # a missing amount gives a finding each time: do not cache it
                    if len(adjustments) >= _CACHE_LIMIT:
                        adjustments.clear()
                    adjustments[key] = adj
            target.append(adj)
            total += adj.amount
        if group == "PR":
            return total, total, True
        return total, ZERO, False

    # ------------------------------------------------------------------------------------------ reading
    def claims(self) -> Iterator[ClaimPayment]:
        if self._started:
            raise RuntimeError("Reader835.claims() can be iterated only once")
        self._started = True
        tok = self.tokenizer
        walker = self.walker
        add = self._add
        cache = self._amounts
        amount = self._amount
        procedure = self._procedure
        procs = self._procedures
        adjustments = self._adjustments
        name = tok.name

        rem: Remittance | None = None
        delimiters = tok.delimiters
        skipping = False  # inside a transaction set that is not an 835
        party: Party | None = None
        header_number = ""
        summaries: list | None = None
        plb_total = ZERO
        paid_total = ZERO
        claim_count = 0
        bpr02: Decimal | None = None

        claim: ClaimPayment | None = None
        svc: ServicePayment | None = None
        claim_cas = ZERO  # Σ claim-level and line-level CAS of the claim
        line_cas = ZERO  # Σ CAS of the current line
        pr_total = ZERO
        has_pr = False

        for seg in walker:
            tag = seg[0]
            if claim is not None:
                # ------------------------------------------------------------------ loop 2100 / 2110
                if tag == "CAS":
                    target = svc.adjustments if svc is not None else claim.adjustments
                    n = len(seg)
                    if n == 4 or n == 5:
                        # One triplet, the usual case: one cache lookup, no loop.
                        adj = adjustments.get((seg[1], seg[2], seg[3], seg[4] if n == 5 else ""))
                        if adj is not None and seg[2]:
                            target.append(adj)
                            total = adj.amount
                            is_pr = seg[1] == "PR"
                        else:
                            total, _, is_pr = self._cas(seg, target)
                    else:
                        total, _, is_pr = self._cas(seg, target)
                    if svc is not None:
                        line_cas += total
                    claim_cas += total
                    if is_pr:
                        pr_total += total
                        has_pr = True
                    continue
                if tag == "DTM":
                    try:
                        (svc.dates if svc is not None else claim.dates)[seg[1]] = seg[2]
                    except IndexError:
                        raise self._short("DTM", 2, len(seg)) from None
                    continue
                if tag == "REF":
                    try:
                        q, v = seg[1], seg[2]
                    except IndexError:
                        raise self._short("REF", 2, len(seg)) from None
                    if svc is not None:
                        if q == "6R":
                            svc.control_number = v
                        else:
                            svc.references.append((q, v))
                    else:
                        claim.references.append((q, v))
                    continue
                if tag == "SVC":
                    if svc is not None and svc.b1_paid(line_cas) != svc.paid:
                        self._check_line(svc, line_cas, rem, claim)
                    n = len(seg)
                    if n < 4:
                        raise self._short("SVC", 3, n)
                    charge = cache.get(seg[2])
                    if charge is None:
                        charge = amount(seg[2], "SVC02")
                    paid = cache.get(seg[3])
                    if paid is None:
                        paid = amount(seg[3], "SVC03")
                    proc = procs.get(seg[1])
                    if proc is None:
                        proc = procedure(seg[1], delimiters, rem, "SVC01")
                    units_absent = n <= 5 or not seg[5]
                    if units_absent:
                        units = ONE
                    else:
                        units = cache.get(seg[5])
                        if units is None:
                            units = amount(seg[5], "SVC05")
                    original = procedure(seg[6], delimiters, rem, "SVC06") if n > 6 and seg[6] else None
                    original_units = amount(seg[7], "SVC07") if n > 7 and seg[7] else None
                    svc = ServicePayment(
                        proc,
                        charge,
                        paid,
                        seg[4] if n > 4 else "",
                        units,
                        original,
                        original_units,
                        _position(name, tok.ordinal, tok.offset, tag),
                    )
                    if units_absent:
                        svc.units_absent = True
                    claim.services.append(svc)
                    line_cas = ZERO
                    continue
                if tag == "AMT":
                    try:
                        q, v = seg[1], seg[2]
                    except IndexError:
                        raise self._short("AMT", 2, len(seg)) from None
                    d = cache.get(v)
                    if d is None:
                        d = amount(v, "AMT02")
                    (svc.amounts if svc is not None else claim.amounts)[q] = d
                    continue
                if tag == "NM1":
                    claim.names[seg[1] if len(seg) > 1 else ""] = seg
                    continue
                if tag == "LQ":
                    if svc is None:
                        self._unknown(tag, "claim (LQ belongs to a service line)", rem)
                        continue
                    try:
                        svc.remarks.append((seg[1], seg[2]))
                    except IndexError:
                        raise self._short("LQ", 2, len(seg)) from None
                    continue
                if tag == "QTY":
                    try:
                        q, v = seg[1], seg[2]
                    except IndexError:
                        raise self._short("QTY", 2, len(seg)) from None
                    d = cache.get(v)
                    if d is None:
                        d = amount(v, "QTY02")
                    (svc.quantities if svc is not None else claim.quantities)[q] = d
                    continue
                if tag == "MOA":
                    claim.outpatient = seg
                    continue
                if tag == "MIA":
                    claim.inpatient = seg
                    continue
                if tag == "PER":
                    claim.contacts.append(seg)
                    continue
                if tag == "CLP" or tag == "LX" or tag == "PLB" or tag == "SE":
                    if svc is not None and svc.b1_paid(line_cas) != svc.paid:
                        self._check_line(svc, line_cas, rem, claim)
                    patient = claim.patient_responsibility
                    if claim.b2_paid(claim_cas) != claim.paid or (
                        (has_pr or patient) and (patient or ZERO) != pr_total and claim.status != "22"
                    ):
                        self._check_claim(claim, claim_cas, pr_total, has_pr, rem)
                    done = claim
                    claim = svc = None
                    yield done
                    # fall through: the segment starts something new
                else:
                    self._unknown(tag, "service line" if svc is not None else "claim", rem)
                    continue

            if tag == "CLP":
                if rem is None or skipping:
                    if not skipping:
                        self._unknown(tag, "envelope (outside a transaction set)", None)
                    continue
                n = len(seg)
                if n < 5:
                    raise self._short("CLP", 4, n)
                charge = cache.get(seg[3])
                if charge is None:
                    charge = amount(seg[3], "CLP03")
                paid = cache.get(seg[4])
                if paid is None:
                    paid = amount(seg[4], "CLP04")
                if n > 5 and seg[5]:
                    patient = cache.get(seg[5])
                    if patient is None:
                        patient = amount(seg[5], "CLP05")
                else:
                    patient = None
                claim = ClaimPayment(
                    seg,
                    seg[1],
                    seg[2],
                    charge,
                    paid,
                    patient,
                    seg[7] if n > 7 else "",
                    _position(name, tok.ordinal, tok.offset, tag),
                    rem,
                    header_number,
                )
                claim_count += 1
                paid_total += paid
                claim_cas = pr_total = ZERO
                has_pr = False
                party = None
                continue
            if skipping:
                if tag == "SE":
                    skipping = False
                continue
            if rem is None:
                if tag == "ST":
                    transaction = walker.transaction
                    if transaction is not None and transaction.set_id != "835":
                        skipping = True
                        add(
                            "not-835",
                            f"transaction set {transaction.set_id!r} (ST02 "
                            f"{transaction.control_number!r}) is not an 835; its segments were skipped",
                            tok.position("ST01"),
                            "warning",
                        )
                        continue
                    delimiters = tok.delimiters
                    rem = self._rem = Remittance(transaction, delimiters)
                    self.remittances.append(rem)
                    self._procedures.clear()
                    procs = self._procedures
                    party = summaries = None
                    header_number = ""
                    plb_total = paid_total = ZERO
                    claim_count = 0
                    bpr02 = None
                elif tag not in _ENVELOPE:
                    self._unknown(tag, "envelope (outside a transaction set)", None)
                continue

            # ---------------------------------------------------------------------- header, 2000, trailer
            if tag == "LX":
                header_number = seg[1] if len(seg) > 1 else ""
                summaries = rem.provider_summaries.setdefault(header_number, [])
                party = None
            elif tag == "SE":
                self._finish(rem, bpr02, paid_total, plb_total, claim_count)
                rem = None
            elif tag == "PLB":
                plb_total += self._plb(seg, rem, delimiters)
                party = None
            elif tag == "TS3" or tag == "TS2":
                if summaries is None:
                    self._unknown(tag, "header (TS3/TS2 belong after an LX)", rem)
                else:
                    summaries.append(seg)
            elif tag == "N1":
                n = len(seg)
                party = Party(
                    seg[1] if n > 1 else "",
                    seg[2] if n > 2 else "",
                    seg[3] if n > 3 else "",
                    seg[4] if n > 4 else "",
                    [seg],
                )
                if party.entity == "PR":
                    rem.payer = party
                elif party.entity == "PE":
                    rem.payee = party
                else:
                    add(
                        "unknown-segment",
                        f"N1 entity {party.entity[:3]!r} is neither the payer (PR) nor "
                        "the payee (PE); the loop was not read into the model",
                        tok.position("N101"),
                        "warning",
                        rem,
                    )
            elif party is not None and tag in ("N3", "N4", "REF", "PER", "RDM"):
                party.segments.append(seg)
            elif tag == "BPR":
                rem.bpr = seg
                bpr02 = amount(seg[2] if len(seg) > 2 else "", "BPR02")
            elif tag == "TRN":
                rem.trn = seg
            elif tag == "REF":
                rem.references.append((seg[1] if len(seg) > 1 else "", seg[2] if len(seg) > 2 else ""))
            elif tag == "DTM":
                rem.dates[seg[1] if len(seg) > 1 else ""] = seg[2] if len(seg) > 2 else ""
            elif tag == "CUR":
                rem.currency = seg
            else:
                where = "header" if claim_count == 0 and not rem.provider_adjustments else "transaction"
                self._unknown(tag, where, rem)

    # ------------------------------------------------------------------------------------------ helpers
    def _unknown(self, tag: str, where: str, rem: Remittance | None) -> None:
        self._add(
            "unknown-segment",
            f"segment {_segment_label(tag)} is not expected in the 835 {where}; it was not read into the model",
            self.tokenizer.position(),
            "warning",
            rem,
        )

    def _check_line(self, svc: ServicePayment, line_cas: Decimal, rem: Remittance, claim: ClaimPayment) -> None:
        expected = svc.b1_paid(line_cas)
        if expected != svc.paid:
            p = svc.position
            self._add(
                "B1",
                f"line out of balance: SVC02 {svc.charge} − adjustments {line_cas} = "
                f"{expected}, but SVC03 is {svc.paid}",
                Position(p.file, p.segment, p.offset, p.segment_id, "SVC03"),
                "error",
                rem,
                claim,
            )

    def _check_claim(self, claim: ClaimPayment, cas: Decimal, pr: Decimal, has_pr: bool, rem: Remittance) -> None:
        p = claim.position
        expected = claim.b2_paid(cas)
        if expected != claim.paid:
            ref = f" (CLP07 {claim.payer_claim_number})" if claim.payer_claim_number else ""
            self._add(
                "B2",
                f"claim out of balance{ref}: CLP03 {claim.charge} − adjustments {cas} = "
                f"{expected}, but CLP04 is {claim.paid}",
                Position(p.file, p.segment, p.offset, p.segment_id, "CLP04"),
                "error",
                rem,
                claim,
            )
        if claim.status != "22":
            clp05 = claim.patient_responsibility
            if (has_pr or clp05) and (clp05 or ZERO) != pr:
                shown = "empty" if clp05 is None else str(clp05)
                self._add(
                    "CLP05",
                    f"CLP05 patient responsibility is {shown}, but the PR adjustments (claim and line) total {pr}",
                    Position(p.file, p.segment, p.offset, p.segment_id, "CLP05"),
                    "warning",
                    rem,
                    claim,
                )

    def _plb(self, seg: list[str], rem: Remittance, delimiters: Delimiters) -> Decimal:
        n = len(seg)
        if n < 5:
            raise self._short("PLB", 4, n)
        provider, period = seg[1], seg[2]
        comp = delimiters.component
        total = ZERO
        for i in range(3, n, 2):
            composite = seg[i]
            value = seg[i + 1] if i + 1 < n else ""
            if not composite and not value:
                continue
            element = f"PLB{i:02d}"
            if not composite:
                raise self.tokenizer.error(
                    f"{element} is empty but PLB{i + 1:02d} is not: expected an adjustment reason", element
                )
            sep = comp
            if comp not in composite and len(composite) > 2 and not composite[2].isalnum():
                sep = composite[2]
                self._mismatch(sep, rem, element)
            reason, _, reference = composite.partition(sep)
            amt = self._amount(value, f"PLB{i + 1:02d}")
            if reason not in PLB_REASONS:
                self._add(
                    "PLB-reason",
                    f"{element}-1 adjustment reason {_describe_code(reason)} is not an X221A1 PLB reason code",
                    self.tokenizer.position(element),
                    "error",
                    rem,
                )
            rem.provider_adjustments.append(
                ProviderAdjustment(provider, period, reason, reference, amt, self.tokenizer.position(element))
            )
            total += amt
        return total

    def _finish(
        self, rem: Remittance, bpr02: Decimal | None, paid_total: Decimal, plb_total: Decimal, claim_count: int
    ) -> None:
        rem.claim_count = claim_count
        rem.claim_paid_total = paid_total
        position = self.tokenizer.position()
        if bpr02 is None:
            self._add("B3", "transaction has no BPR: the payment total cannot be balanced", position, "error", rem)
            return
        expected = balanced_payment(paid_total, plb_total)
        if bpr02 != expected:
            self._add(
                "B3",
                f"transaction out of balance: Σ CLP04 {paid_total} − Σ PLB {plb_total} = "
                f"{expected}, but BPR02 is {bpr02}",
                position,
                "error",
                rem,
            )


def read_835(
    source: str | os.PathLike | bytes | Tokenizer, name: str | None = None
) -> tuple[list[Remittance], list[Finding]]:
    """Read a whole 835 file (path or bytes): each claim appended to its Remittance.claims."""
    tokenizer = source if isinstance(source, Tokenizer) else Tokenizer.open(source, name)
    reader = Reader835(tokenizer)
    for claim in reader.claims():
        claim.remittance.claims.append(claim)
    return reader.remittances, reader.findings
