"""The 835 reader's values and checks (mixed into `parsers.read835.Reader835`): amounts, dates, procedures,
CAS and PLB read exactly, each malformed value an `X12Error` at its element, and the balancing findings of
the domain contract (B1 line, B2 claim, B3 transaction, CLP05), the arithmetic being the models'.

Messages carry segment positions, codes and amounts only: no names, member ids, dates of birth, addresses,
nor CLP01.
"""

from __future__ import annotations

from decimal import Decimal

from .errors import Finding, Position, X12Error, describe_code, describe_segment_id
from .models import (
    Adjustment,
    ClaimPayment,
    Procedure,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
    balanced_payment,
)
from .syntax import Delimiters, read_date, read_decimal

ZERO = Decimal(0)

#: X221A1 PLB03-1 adjustment reason codes (COB-REFERENCE §1.5).
PLB_REASONS = frozenset(
    "50 51 72 90 AH AM AP B2 B3 BD BN C5 CR CS CT CV CW DM E3 FB FC GO HM IP IR IS J1 L3 L6 LE LS OA OB PI "
    "PL "
    "RA RE SL TL WO WU".split()
)

#: CAS01 group codes: the 5010 ones, and CR (4010 corrections), still seen in the wild.
CAS_GROUPS = frozenset(("CO", "OA", "PI", "PR", "CR"))

_CAS_ELEMENTS = tuple(f"CAS{i:02d}" for i in range(20))  # element names for findings, made once

_CACHE_LIMIT = 4_096  # small: the cache pays off on repeated values, and must not grow with the file

# Adjustment is a frozen slotted dataclass: setting its slots directly builds the same (equal, hashable) object
# in half the time (as `parsers.errors.fast_position` does for Position); one per CAS triplet not seen lately.
_new = object.__new__
_set_group = Adjustment.group.__set__  # type: ignore[attr-defined]
_set_reason = Adjustment.reason.__set__  # type: ignore[attr-defined]
_set_amount = Adjustment.amount.__set__  # type: ignore[attr-defined]
_set_quantity = Adjustment.quantity.__set__  # type: ignore[attr-defined]


def _new_adjustment(group: str, reason: str, amount: Decimal, quantity: Decimal | None) -> Adjustment:
    adj = _new(Adjustment)
    _set_group(adj, group)
    _set_reason(adj, reason)
    _set_amount(adj, amount)
    _set_quantity(adj, quantity)
    return adj


class RemittanceValues:
    """What `Reader835` reads values with, and the findings it keeps (`findings`)."""

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

    def _amount(self, value: str, element: str) -> Decimal:
        """Parse one amount (cold path: the handlers look in the cache first).

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
            d = read_decimal(value)
        except ValueError as exc:
            raise self.tokenizer.error(f"{element} {exc}", element) from None
        if len(self._amounts) >= _CACHE_LIMIT:
            self._amounts.clear()
        self._amounts[value] = d
        return d

    def _date(self, value: str, element: str) -> None:
        """Check an X12 DT value (CCYYMMDD): a "bad-date" error finding at its element when it is not a date
        (the file still reads: no rule takes a date from it, `parsers.syntax.parse_date` gives None)."""
        if value in self._dates:
            return
        try:
            read_date(value)
        except ValueError as exc:
            self._add("bad-date", f"{element} {exc}", self.tokenizer.position(element), "error", self._rem)
            return
        if len(self._dates) >= _CACHE_LIMIT:
            self._dates.clear()
        self._dates[value] = None

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
        if self._mismatch_reported is rem:
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
                f"CAS01 group code {describe_code(group)} is not CO, OA, PI or PR (or CR); "
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
                amount = self._amount(a, _CAS_ELEMENTS[i + 1] if i < 18 else f"CAS{i + 1:02d}")
                qty = self._amount(q, _CAS_ELEMENTS[i + 2] if i < 17 else f"CAS{i + 2:02d}") if q else None
                adj = _new_adjustment(group, reason, amount, qty)
                if a:  # a missing amount gives a finding each time: do not cache it
                    if len(adjustments) >= _CACHE_LIMIT:
                        adjustments.clear()
                    adjustments[key] = adj
            target.append(adj)
            total += adj.amount
        if group == "PR":
            return total, total, True
        return total, ZERO, False

    def _qualified_amount(self, seg: list[str]) -> tuple[str, Decimal]:
        """AMT or QTY: (qualifier, amount)."""
        try:
            q, v = seg[1], seg[2]
        except IndexError:
            raise self._short(seg[0], 2, len(seg)) from None
        d = self._amounts.get(v)
        if d is None:
            d = self._amount(v, f"{seg[0]}02")
        return q, d

    def _unknown(self, tag: str, where: str, rem: Remittance | None) -> None:
        self._add(
            "unknown-segment",
            f"segment {describe_segment_id(tag)} is not expected in the 835 {where}; it was not read into the model",
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
        """Read a PLB's adjustment pairs into `rem`; returns their Σ."""
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
                    f"{element}-1 adjustment reason {describe_code(reason)} is not an X221A1 PLB reason code",
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
