"""Hypothesis strategies for institutional cases: an original 837I to the primary and the primary's 835.

A case is plain data first (`ICase`, money as integer cents), then rendered to X12 text with the standard
delimiters (the professional strategies in tests/strategies.py already vary delimiters). Everything balances
by construction: B1 per SVC, B2 per CLP, B3 per BPR, CLP05 = sum(PR), CLM02 = sum(SV203).

Coverage (COB-REFERENCE §3.9 and the fixtures in fixtures/institutional/):
* inpatient (CLM05 11:A:1, DTP*434/435, CL1, HI ABK/ABJ/DR) remitted at claim level only, with MIA (covered
  days, MIA02 sometimes present, DRG amount, a remark) and claim CAS in any group;
* outpatient (13:A:1) with 1-6 SV2 lines: revenue code only (the 835 answers NU:<rev>) or revenue code +
  HCPCS with modifiers (the 835 answers HC:<code> with SVC04 = the revenue code or no SVC04); denied lines
  (paid 0, paid units 0, CO-50 or PR-204); lines paid in full; line CAS in every group; optional claim-level
  CAS too (the mixed case); MOA or none;
* REF*6R on the lines or not; with REF*6R the 835 may return the SVC loops in any order;
* dependents: a 2000C on the primary side, SBR02 01 or 19 in the secondary's 2320.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import strategies as st

REVENUE_ONLY = ("0120", "0250", "0270", "0300", "0450", "0636", "0730")
WITH_HCPCS = (
    ("0320", "71046"),
    ("0300", "80053"),
    ("0300", "85025"),
    ("0510", "99213"),
    ("0450", "99284"),
    ("0360", "29881"),
    ("0636", "J3301"),
)
MODIFIERS = ("25", "59", "LT", "RT", "TC")
CARCS = {"CO": ("45", "253", "97", "131"), "PR": ("1", "2", "3", "119"), "OA": ("23", "94"), "PI": ("45", "104")}
PAYER_ID, SECONDARY_ID = "11111", "22222"
DOS = "20240410"
PAYMENT_DATE = "20240425"


def money(cents: int) -> str:
    return str(Decimal(cents) / 100)


@dataclass
class ILine:
    revenue: str
    hcpcs: str  # "" for a revenue-code-only line
    modifiers: tuple[str, ...]
    charge: int
    units: int
    adjustments: list[tuple[str, str, int]]
    svc04: bool  # the 835 repeats the revenue code in SVC04 (HCPCS lines)
    denied: bool

    @property
    def paid(self) -> int:
        return self.charge - sum(a for _, _, a in self.adjustments)


@dataclass
class ICase:
    inpatient: bool
    lines: list[ILine]
    claim_adjustments: list[tuple[str, str, int]]
    control_numbers: bool
    svc_order: list[int]
    dependent: bool
    relationship: str  # the patient's relationship to the secondary's subscriber (2320 SBR02)
    mia02: bool
    moa: bool
    claim_id: str = "ICN9001"
    notes: list[str] = field(default_factory=list)

    @property
    def charge(self) -> int:
        return sum(line.charge for line in self.lines)

    @property
    def line_level(self) -> bool:
        return not self.inpatient

    def all_adjustments(self) -> list[tuple[str, str, int]]:
        out = list(self.claim_adjustments)
        if self.line_level:
            for line in self.lines:
                out += line.adjustments
        return out

    @property
    def paid(self) -> int:
        return self.charge - sum(a for _, _, a in self.all_adjustments())

    @property
    def patient_responsibility(self) -> int:
        return sum(a for g, _, a in self.all_adjustments() if g == "PR")


def _split(draw, total: int, max_parts: int) -> list[tuple[str, str, int]]:
    """Adjustments (group, CARC, cents > 0) whose sum is at most `total`."""
    n = draw(st.integers(0, max_parts))
    out = []
    left = total
    for _ in range(n):
        if left <= 0:
            break
        amount = draw(st.integers(1, left))
        group = draw(st.sampled_from(tuple(CARCS)))
        out.append((group, draw(st.sampled_from(CARCS[group])), amount))
        left -= amount
    return out


@st.composite
def lines(draw, inpatient: bool) -> list[ILine]:
    out = []
    for _ in range(draw(st.integers(1, 6))):
        charge = draw(st.integers(100, 500_000))
        units = draw(st.integers(1, 5))
        if inpatient or draw(st.booleans()):
            revenue, hcpcs, modifiers = draw(st.sampled_from(REVENUE_ONLY)), "", ()
        else:
            revenue, hcpcs = draw(st.sampled_from(WITH_HCPCS))
            modifiers = tuple(draw(st.lists(st.sampled_from(MODIFIERS), max_size=2, unique=True)))
        denied = not inpatient and draw(st.integers(0, 5)) == 0
        if denied:
            adjustments = [("CO", "50", charge)] if draw(st.booleans()) else [("PR", "204", charge)]
        else:
            adjustments = _split(draw, charge, 4)
        out.append(ILine(revenue, hcpcs, modifiers, charge, units, adjustments, draw(st.booleans()), denied))
    return out


@st.composite
def institutional_cases(draw) -> ICase:
    inpatient = draw(st.booleans())
    the_lines = draw(lines(inpatient))
    charge = sum(line.charge for line in the_lines)
    if inpatient:
        claim_adjustments = _split(draw, charge, 5)
    else:
        line_paid = sum(line.paid for line in the_lines)
        claim_adjustments = _split(draw, line_paid, 2) if draw(st.booleans()) else []
    control_numbers = draw(st.booleans())
    order = list(range(len(the_lines)))
    if control_numbers:
        order = draw(st.permutations(order))
    dependent = draw(st.booleans())
    return ICase(
        inpatient,
        the_lines,
        claim_adjustments,
        control_numbers,
        order,
        dependent,
        draw(st.sampled_from(("01", "19"))) if dependent else "18",
        draw(st.booleans()),
        (not inpatient) and draw(st.booleans()),
    )


# ------------------------------------------------------------------------------------------ rendering
def _isa(sender: str, receiver: str, number: int) -> str:
    return f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*{receiver:<15}*240425*0900*^*00501*{number:09d}*0*T*:"


def _envelope(segments: list[str], sender: str, receiver: str, functional: str, version: str, number: int) -> bytes:
    body = segments + [f"SE*{len(segments) + 1}*0001"]
    text = [_isa(sender, receiver, number), f"GS*{functional}*{sender}*{receiver}*20240425*0900*{number}*X*{version}"]
    text += body + [f"GE*1*{number}", f"IEA*1*{number:09d}"]
    return "".join(s + "~\n" for s in text).encode("ascii")


def _cas(adjustments: list[tuple[str, str, int]]) -> list[str]:
    return [f"CAS*{g}*{r}*{money(a)}" for g, r, a in adjustments]


def procedure_code(line: ILine) -> str:
    return ":".join(["HC", line.hcpcs, *line.modifiers])


def render_837(case: ICase) -> bytes:
    segs = [
        "ST*837*0001*005010X223A2",
        "BHT*0019*00*ORIG*20240411*0800*CH",
        "NM1*41*2*ACME GENERAL HOSPITAL*****46*ACMEHOSP",
        "PER*IC*PATIENT ACCOUNTS*TE*5555551313",
        "NM1*40*2*CLEARINGHOUSE INC*****46*CLEARINGHOUSE",
        "HL*1**20*1",
        "NM1*85*2*ACME GENERAL HOSPITAL*****XX*1987654328",
        "N3*500 HOSPITAL DR",
        "N4*SPRINGFIELD*IL*627030000",
        "REF*EI*371239999",
    ]
    if case.dependent:
        segs += [
            "HL*2*1*22*1",
            "SBR*P**GRP1001******12",
            "NM1*IL*1*DOE*JOHN****MI*PRI556677",
            "N3*44 ELM ST",
            "N4*SPRINGFIELD*IL*627040000",
            "DMG*D8*19581102*M",
            f"NM1*PR*2*PRIMARY HEALTH PLAN*****PI*{PAYER_ID}",
            "HL*3*2*23*0",
            "PAT*19",
            "NM1*QC*1*DOE*TIMMY",
            "N3*44 ELM ST",
            "N4*SPRINGFIELD*IL*627040000",
            "DMG*D8*20120607*M",
        ]
    else:
        segs += [
            "HL*2*1*22*0",
            "SBR*P*18*GRP1001******12",
            "NM1*IL*1*DOE*JANE****MI*PRI112233",
            "N3*12 OAK AVE",
            "N4*SPRINGFIELD*IL*627020000",
            "DMG*D8*19700315*F",
            f"NM1*PR*2*PRIMARY HEALTH PLAN*****PI*{PAYER_ID}",
        ]
    if case.inpatient:
        segs += [
            f"CLM*{case.claim_id}*{money(case.charge)}***11:A:1**A*Y*Y",
            "DTP*434*RD8*20240406-20240410",
            "DTP*435*DT*202404061000",
            "CL1*1*7*01",
            "HI*ABK:I214",
            "HI*ABJ:R079",
            "HI*DR:280",
        ]
    else:
        segs += [
            f"CLM*{case.claim_id}*{money(case.charge)}***13:A:1**A*Y*Y",
            f"DTP*434*RD8*{DOS}-{DOS}",
            "CL1***01",
            "HI*ABK:R0789",
        ]
    segs += [
        f"SBR*S*{case.relationship}*GRP2002******CI",
        "OI***Y***Y",
        f"NM1*IL*1*DOE*{'MARY' if case.dependent else 'JANE'}****MI*SEC778899",
        f"NM1*PR*2*SECONDARY HEALTH PLAN*****PI*{SECONDARY_ID}",
    ]
    for n, line in enumerate(case.lines, 1):
        unit = "DA" if case.inpatient and line.revenue == "0120" else "UN"
        procedure = procedure_code(line) if line.hcpcs else ""
        segs += [f"LX*{n}", f"SV2*{line.revenue}*{procedure}*{money(line.charge)}*{unit}*{line.units}"]
        if not case.inpatient:
            segs.append(f"DTP*472*D8*{DOS}")
        if case.control_numbers:
            segs.append(f"REF*6R*{case.claim_id}-{n}")
    return _envelope(segs, "ACMEHOSP", "CLEARINGHOUSE", "HC", "005010X223A2", 21)


def render_835(case: ICase) -> bytes:
    pr = case.patient_responsibility
    segs = [
        "ST*835*0001",
        f"BPR*I*{money(case.paid)}*C*ACH*CCP*01*999999999*DA*123456*1111111111**01*888888888*DA*98765*{PAYMENT_DATE}",
        "TRN*1*EFT9001*1111111111",
        "DTM*405*20240424",
        "N1*PR*PRIMARY HEALTH PLAN",
        "N3*1 PAYER WAY",
        "N4*CHICAGO*IL*606010000",
        f"REF*2U*{PAYER_ID}",
        "PER*BL*EDI SUPPORT*TE*8005550100",
        "N1*PE*ACME GENERAL HOSPITAL*XX*1987654328",
        "LX*1",
        f"CLP*{case.claim_id}*1*{money(case.charge)}*{money(case.paid)}*{money(pr)}*12*PRICLM9001*"
        f"{'11' if case.inpatient else '13'}*1",
    ]
    segs += _cas(case.claim_adjustments)
    if case.dependent:
        segs += ["NM1*QC*1*DOE*TIMMY", "NM1*IL*1*DOE*JOHN****MI*PRI556677"]
    else:
        segs.append("NM1*QC*1*DOE*JANE****MI*PRI112233")
    if case.inpatient:
        drg = max(case.paid + pr, 0)
        segs.append(f"MIA*{len(case.lines)}*{'0' if case.mia02 else ''}**{money(drg)}*MA01")
    elif case.moa:
        segs.append("MOA***MA01")
    segs += ["DTM*050*20240411"]
    if case.line_level:
        for i in case.svc_order:
            line = case.lines[i]
            if line.hcpcs:
                svc01, svc04 = procedure_code(line), line.revenue if line.svc04 else ""
            else:
                svc01, svc04 = f"NU:{line.revenue}", ""
            units = "0" if line.denied else str(line.units)
            segs += [f"SVC*{svc01}*{money(line.charge)}*{money(line.paid)}*{svc04}*{units}", f"DTM*472*{DOS}"]
            segs += _cas(line.adjustments)
            if case.control_numbers:
                segs.append(f"REF*6R*{case.claim_id}-{i + 1}")
    return _envelope(segs, "PRIMARYPAYER", "ACMEHOSP", "HP", "005010X221A1", 921)
