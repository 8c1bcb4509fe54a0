"""Domain models: the 835 remittance and the 837 claim as read, named after the implementation guides.

Plain slotted dataclasses, not pydantic: the readers build tens of thousands of these a second and the
values are already checked where they are read (amounts parsed to Decimal, positions recorded). pydantic
validates at the edges instead (configuration, reports).

Segments are kept as ``list[str]`` exactly as read (``seg[0]`` the id). Composite elements keep the
component separator of their interchange; `Delimiters` travel with every transaction so a composite can
always be split correctly. The 837 models are lossless: every segment of every loop is kept in order, so
a claim written back is the same claim segment for segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .envelope import TransactionHeader, element
from .errors import Finding, Position
from .syntax import Delimiters

Segment = list[str]
ZERO = Decimal(0)


def find(segments: list[Segment], tag: str, qualifier: str | None = None) -> Segment | None:
    """First segment with this id (and element 1 equal to `qualifier`, when given)."""
    for seg in segments:
        if seg[0] == tag and (qualifier is None or (len(seg) > 1 and seg[1] == qualifier)):
            return seg
    return None


# ---------------------------------------------------------------------------------------------- shared
@dataclass(slots=True, frozen=True)
class Procedure:
    """A procedure composite (835 SVC01/SVC06, 837 SV101/SV202, SVD03): qualifier, code, modifiers."""

    qualifier: str
    code: str
    modifiers: tuple[str, ...] = ()
    description: str = ""

    @classmethod
    def parse(cls, value: str, delimiters: Delimiters) -> Procedure:
        """The composite as read, split with the interchange's component separator."""
        parts = value.split(delimiters.component)
        parts += [""] * (7 - len(parts))
        modifiers = tuple(m for m in parts[2:6] if m)
        return cls(parts[0], parts[1], modifiers, parts[6])

    def components(self) -> list[str]:
        """The composite's components, trailing empties dropped (join with the component separator)."""
        out = [self.qualifier, self.code, *self.modifiers]
        if self.description:
            out += [""] * (6 - len(out)) + [self.description]
        return out


@dataclass(slots=True, frozen=True)
class Adjustment:
    """One CAS triplet: group code (CO/PR/OA/PI), reason code (CARC), amount, optional quantity."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


# ---------------------------------------------------------------------------------------------- 835
# The 835's balancing rules (COB-REFERENCE §1.7) have their arithmetic here, next to the models they check:
# the reader checks them as it reads (with the sums it keeps), the rules before relying on an adjudication.
#
#   B1 line:        SVC02 − Σ line CAS = SVC03                  ServicePayment.b1_paid / b1_balances
#   B2 claim:       CLP03 − Σ (claim CAS + line CAS) = CLP04    ClaimPayment.b2_paid / b2_balances
#   B3 transaction: BPR02 = Σ CLP04 − Σ PLB                     balanced_payment


def balanced_paid(charge: Decimal, adjustments: Decimal) -> Decimal:
    """B1/B2: the charge less its adjustments, which the paid amount (SVC03, CLP04) must equal."""
    return charge - adjustments


def balanced_payment(claims_paid: Decimal, provider_adjustments: Decimal) -> Decimal:
    """B3: Σ CLP04 − Σ PLB (a positive PLB amount withholds money), which BPR02 must equal."""
    return claims_paid - provider_adjustments


@dataclass(slots=True)
class Party:
    """835 loop 1000A (N1*PR, the payer) or 1000B (N1*PE, the payee), all its segments as read."""

    entity: str
    name: str
    id_qualifier: str
    id: str
    segments: list[Segment]

    def reference(self, qualifier: str) -> str:
        """The value of the first REF with this qualifier, or ''."""
        seg = find(self.segments, "REF", qualifier)
        return element(seg, 2) if seg else ""


@dataclass(slots=True)
class ServicePayment:
    """835 loop 2110: one adjudicated service line (SVC and what follows it)."""

    procedure: Procedure  # SVC01, as adjudicated
    charge: Decimal  # SVC02
    paid: Decimal  # SVC03
    revenue_code: str  # SVC04
    units_paid: Decimal  # SVC05; 1 when absent (the 835's default)
    original_procedure: Procedure | None  # SVC06, when the payer changed the code
    original_units: Decimal | None  # SVC07
    position: Position
    adjustments: list[Adjustment] = field(default_factory=list)
    dates: dict[str, str] = field(default_factory=dict)  # DTM qualifier (472, 150, 151) -> CCYYMMDD
    control_number: str = ""  # REF*6R, the 837 line item control number
    references: list[tuple[str, str]] = field(default_factory=list)  # other REF (qualifier, value)
    amounts: dict[str, Decimal] = field(default_factory=dict)  # AMT (B6 allowed, KH, T ...)
    quantities: dict[str, Decimal] = field(default_factory=dict)
    remarks: list[tuple[str, str]] = field(default_factory=list)  # LQ (HE = RARC, RX = NCPDP), code
    units_absent: bool = False

    @property
    def service_date(self) -> str:
        return self.dates.get("472") or self.dates.get("150", "")

    @property
    def submitted_procedure(self) -> Procedure:
        return self.original_procedure or self.procedure

    def adjustment_total(self) -> Decimal:
        """Σ CAS amounts of this line."""
        return sum((a.amount for a in self.adjustments), ZERO)

    def b1_paid(self, adjustments: Decimal | None = None) -> Decimal:
        """B1: SVC02 − Σ line CAS, what SVC03 must be (`adjustments`: that Σ, when the caller kept it)."""
        return balanced_paid(self.charge, self.adjustment_total() if adjustments is None else adjustments)

    def b1_balances(self, adjustments: Decimal | None = None) -> bool:
        """B1: SVC02 − Σ line CAS = SVC03."""
        return self.b1_paid(adjustments) == self.paid


@dataclass(slots=True)
class ClaimPayment:
    """835 loop 2100: one claim as the payer adjudicated it (CLP and everything up to the next CLP)."""

    clp: Segment  # every CLP element as read
    claim_id: str  # CLP01 = 837 CLM01
    status: str  # CLP02
    charge: Decimal  # CLP03
    paid: Decimal  # CLP04
    patient_responsibility: Decimal | None  # CLP05
    payer_claim_number: str  # CLP07 (ICN/DCN)
    position: Position
    remittance: Remittance | None = None
    header_number: str = ""  # LX01 of the 2000 loop the claim sits in
    adjustments: list[Adjustment] = field(default_factory=list)  # claim-level CAS
    names: dict[str, Segment] = field(default_factory=dict)  # NM1 by entity (QC, IL, 74, 82, TT, PR, GB)
    inpatient: Segment | None = None  # MIA
    outpatient: Segment | None = None  # MOA
    references: list[tuple[str, str]] = field(default_factory=list)
    dates: dict[str, str] = field(default_factory=dict)  # DTM 232/233/036/050
    contacts: list[Segment] = field(default_factory=list)  # PER
    amounts: dict[str, Decimal] = field(default_factory=dict)  # AMT (AU, D8, I, F5 ...)
    quantities: dict[str, Decimal] = field(default_factory=dict)
    services: list[ServicePayment] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # balancing findings of this claim (B1, B2, CLP05)

    @property
    def filing_indicator(self) -> str:
        return element(self.clp, 6)

    @property
    def facility_type(self) -> str:
        return element(self.clp, 8)

    @property
    def frequency(self) -> str:
        return element(self.clp, 9)

    @property
    def is_reversal(self) -> bool:
        return self.status == "22"

    def reference(self, qualifier: str) -> str:
        """The value of the first REF with this qualifier, or ''."""
        for q, v in self.references:
            if q == qualifier:
                return v
        return ""

    def remark_codes(self) -> list[str]:
        """RARCs at claim level (MOA03–07, MIA05 and MIA20–23) and on every line (LQ*HE)."""
        codes: list[str] = []
        if self.outpatient:
            codes += [c for c in self.outpatient[3:8] if c]
        if self.inpatient:
            codes += [c for i, c in enumerate(self.inpatient) if c and (i == 5 or 20 <= i <= 23)]
        for svc in self.services:
            codes += [code for qual, code in svc.remarks if qual == "HE"]
        return codes

    def all_adjustments(self) -> list[Adjustment]:
        """The claim-level CAS adjustments, then each line's, in file order."""
        out = list(self.adjustments)
        for svc in self.services:
            out += svc.adjustments
        return out

    def adjustment_total(self) -> Decimal:
        """Σ CAS amounts of the claim and of its lines."""
        return sum((a.amount for a in self.all_adjustments()), ZERO)

    def b2_paid(self, adjustments: Decimal | None = None) -> Decimal:
        """B2: CLP03 − Σ (claim CAS + line CAS), what CLP04 must be (`adjustments`: that Σ, when kept)."""
        return balanced_paid(self.charge, self.adjustment_total() if adjustments is None else adjustments)

    def b2_balances(self, adjustments: Decimal | None = None) -> bool:
        """B2: CLP03 − Σ (claim CAS + line CAS) = CLP04."""
        return self.b2_paid(adjustments) == self.paid

    def balances(self) -> bool:
        """B2 for the claim and B1 for every one of its lines."""
        return self.b2_balances() and all(svc.b1_balances() for svc in self.services)

    def patient_responsibility_total(self) -> Decimal:
        """Σ PR adjustments at claim and line level (what CLP05 should say, RFI 2548)."""
        return sum((a.amount for a in self.all_adjustments() if a.group == "PR"), ZERO)


@dataclass(slots=True, frozen=True)
class ProviderAdjustment:
    """One PLB adjustment pair: positive amounts withhold money, negative ones add it."""

    provider_id: str
    fiscal_period_date: str
    reason: str  # PLB03-1
    reference: str  # PLB03-2 (often the CLP07 of a recovered claim)
    amount: Decimal
    position: Position


@dataclass(slots=True)
class Remittance:
    """One 835 transaction set (ST..SE): one payment (BPR/TRN) and the claims it pays."""

    header: TransactionHeader
    delimiters: Delimiters
    bpr: Segment = field(default_factory=list)
    trn: Segment = field(default_factory=list)
    references: list[tuple[str, str]] = field(default_factory=list)
    dates: dict[str, str] = field(default_factory=dict)  # DTM 405 production date
    payer: Party | None = None
    payee: Party | None = None
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)
    claims: list[ClaimPayment] = field(default_factory=list)  # empty when the reader streams
    claim_count: int = 0
    claim_paid_total: Decimal = ZERO
    currency: Segment | None = None  # CUR, as read
    provider_summaries: dict[str, list[Segment]] = field(default_factory=dict)  # LX01 -> [TS3, TS2] as read

    @property
    def findings(self) -> list[Finding]:
        return self.header.findings

    @property
    def handling(self) -> str:
        return element(self.bpr, 1)

    @property
    def payment_amount(self) -> Decimal:
        return Decimal(element(self.bpr, 2) or 0)

    @property
    def payment_method(self) -> str:
        return element(self.bpr, 4)

    @property
    def payment_date(self) -> str:
        return element(self.bpr, 16)

    @property
    def trace_number(self) -> str:
        return element(self.trn, 2)

    @property
    def payer_trn_id(self) -> str:
        return element(self.trn, 3)

    @property
    def production_date(self) -> str:
        return self.dates.get("405", "")

    @property
    def adjudication_date(self) -> str:
        """The date a claim's adjudication is reported with (DTP*573): BPR16, else the production date."""
        return self.payment_date or self.production_date

    @property
    def payer_id(self) -> str:
        """The payer's id as it knows itself: 1000A REF*2U, else N104, else TRN03."""
        if self.payer:
            return self.payer.reference("2U") or self.payer.id or self.payer_trn_id
        return self.payer_trn_id


# ---------------------------------------------------------------------------------------------- 837
GUIDE_KINDS = {"X222": "P", "X223": "I", "X224": "D"}  # the guide id (GS08/ST03 characters 7-10): claim kind


@dataclass(slots=True)
class Transaction837:
    """One 837 transaction set's header: ST, BHT and loops 1000A/1000B (everything before the first HL)."""

    header: TransactionHeader
    delimiters: Delimiters
    segments: list[Segment]  # ST first, up to (not including) the first HL
    # After the last claim: HL loops with no claim under them (a reader flags them), then SE. Lossless reading
    # gives: segments + per claim (levels, segments, other payers, lines) + trailer == the transaction set.
    trailer: list[Segment] = field(default_factory=list)

    @property
    def version(self) -> str:
        return self.header.version

    @property
    def kind(self) -> str:
        """'P' professional, 'I' institutional, 'D' dental, from the guide id (005010X222/X223/X224)."""
        return GUIDE_KINDS.get(self.version[6:10], "P")


@dataclass(slots=True)
class HierarchyLevel:
    """An HL loop with its name loops: 2000A (+2010AA/AB/AC), 2000B (+2010BA/BB) or 2000C (+2010CA)."""

    segments: list[Segment]  # HL first
    position: Position
    parent: HierarchyLevel | None = None

    @property
    def level_code(self) -> str:
        return element(self.segments[0], 3)

    def find(self, tag: str, qualifier: str | None = None) -> Segment | None:
        """First segment of this loop with this id (and qualifier, when given)."""
        return find(self.segments, tag, qualifier)

    @property
    def sbr(self) -> Segment | None:
        return self.find("SBR")

    @property
    def payer_id(self) -> str:
        payer = self.find("NM1", "PR")
        return element(payer, 9) if payer else ""


@dataclass(slots=True)
class OtherPayer:
    """837 loop 2320 with its 2330A–I loops: another payer of this claim, and its adjudication if any."""

    segments: list[Segment]  # SBR first
    position: Position

    @property
    def sbr(self) -> Segment:
        return self.segments[0]

    @property
    def responsibility(self) -> str:
        """SBR01: P, S, T, A–H or U, the payer's place in the sequence."""
        return element(self.segments[0], 1)

    @property
    def payer(self) -> Segment | None:
        return find(self.segments, "NM1", "PR")

    @property
    def payer_id(self) -> str:
        return element(self.payer, 9) if self.payer else ""

    @property
    def subscriber(self) -> Segment | None:
        return find(self.segments, "NM1", "IL")

    @property
    def paid(self) -> Decimal | None:
        amt = find(self.segments, "AMT", "D")
        return Decimal(amt[2]) if amt else None


@dataclass(slots=True)
class LineAdjudication:
    """837 loop 2430: one prior payer's adjudication of one line (SVD, CAS, DTP*573, AMT*EAF)."""

    segments: list[Segment]  # SVD first
    position: Position

    @property
    def payer_id(self) -> str:
        return element(self.segments[0], 1)

    @property
    def paid(self) -> Decimal:
        return Decimal(element(self.segments[0], 2) or 0)


@dataclass(slots=True)
class ServiceLine:
    """837 loop 2400 with its 2410 drug and 2420 provider loops, its 2430 adjudications and 2440 forms."""

    segments: list[Segment]  # LX first, up to the first SVD (2400, 2410, 2420A–H)
    position: Position
    adjudications: list[LineAdjudication] = field(default_factory=list)
    trailing: list[Segment] = field(default_factory=list)  # 2440 (LQ, FRM) after the 2430 loops

    @property
    def number(self) -> str:
        return element(self.segments[0], 1)

    @property
    def service(self) -> Segment:
        """SV1 (837P), SV2 (837I) or SV3 (837D)."""
        for seg in self.segments:
            if seg[0] in ("SV1", "SV2", "SV3"):
                return seg
        return []

    @property
    def charge(self) -> Decimal:
        svc = self.service
        if not svc:
            return ZERO
        value = element(svc, 3) if svc[0] == "SV2" else element(svc, 2)
        return Decimal(value or 0)

    @property
    def control_number(self) -> str:
        ref = find(self.segments, "REF", "6R")
        return element(ref, 2) if ref else ""

    @property
    def service_date(self) -> str:
        """DTP*472 date (the first date of a range)."""
        dtp = find(self.segments, "DTP", "472")
        return element(dtp, 3)[:8] if dtp else ""


@dataclass(slots=True)
class Claim837:
    """837 loop 2300 with its 2310 loops, 2320/2330 other payers and 2400 lines, and the loops above it.

    `billing_provider`, `subscriber` and `patient` are shared with the other claims under the same HL.
    """

    segments: list[Segment]  # CLM first, then 2300 and 2310 segments in order
    transaction: Transaction837
    billing_provider: HierarchyLevel
    subscriber: HierarchyLevel
    patient: HierarchyLevel | None
    position: Position
    other_payers: list[OtherPayer] = field(default_factory=list)
    lines: list[ServiceLine] = field(default_factory=list)
    # The HL loops read between the previous claim and this one, in file order: the new ones among
    # billing_provider/subscriber/patient (a writer of the file as read emits these before the CLM), plus
    # any HL loop that has no claim of its own.
    levels: list[HierarchyLevel] = field(default_factory=list)

    @property
    def clm(self) -> Segment:
        return self.segments[0]

    @property
    def claim_id(self) -> str:
        return element(self.clm, 1)

    @property
    def charge(self) -> Decimal:
        return Decimal(element(self.clm, 2) or 0)

    @property
    def delimiters(self) -> Delimiters:
        return self.transaction.delimiters

    @property
    def frequency(self) -> str:
        parts = element(self.clm, 5).split(self.delimiters.component)
        return parts[2] if len(parts) > 2 else ""

    @property
    def kind(self) -> str:
        return self.transaction.kind

    @property
    def payer_id(self) -> str:
        """The payer this claim was sent to (2010BB NM109)."""
        return self.subscriber.payer_id

    def find(self, tag: str, qualifier: str | None = None) -> Segment | None:
        """First segment of the claim (2300/2310) with this id (and qualifier, when given)."""
        return find(self.segments, tag, qualifier)
