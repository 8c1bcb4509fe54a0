"""Deterministic generator of a matched benchmark pair: an 837P (005010X222A1) and the primary's 835
(005010X221A1).

``generate_pair(n_claims, seed)`` returns ``(837 bytes, 835 bytes)``; ``write_pair(directory, n_claims,
seed)`` streams the same bytes to two files (cached by name, written atomically) and returns their paths.

What the pair holds (everything driven by one ``random.Random(seed)``, so a seed always gives the same bytes):

* 837P: one ISA/GS/ST; claims spread over a handful of billing providers (2000A) and many subscribers
  (2000B), some claims for dependents (2000C with PAT); each claim has 1-6 SV1 lines with a REF*6R unique per
  claim and a DTP*472; every claim but a few has a 2320 ``SBR*S`` secondary payer with OI, 2330A and 2330B,
  as in the worked examples of COB-REFERENCE.md §8.
* 835: the primary adjudicating every claim (CLP01 = CLM01, CLP03 = CLM02, SVC02 = SV102, REF*6R echoed),
  one ST per payee chunk, several LX groups per ST; CAS mixes of CO-45, CO-253, PR-1/2/3, OA-23, PI-104;
  denied lines (CO-50 with LQ*HE*N115, PR-204), fully denied claims (CLP02=4), claim-level-only claims (no
  SVC), claims with a claim-level deductible over line-level CO, Medicare crossovers (CLP02=19, NM1*TT, MOA
  MA18), reversal (CLP02=22) + correction (REF*F8) pairs, and PLB segments (L6 interest, WO recovery; FB
  carry-forward if a recovery ever exceeded the payment).

Balancing is exact by construction (COB-REFERENCE B1-B3): SVC02 - Σ line CAS = SVC03; CLP03 - Σ CAS = CLP04;
BPR02 = Σ CLP04 - Σ PLB; and CLM02 = Σ SV102. Amounts are ``decimal.Decimal``; no float is used anywhere.

Several scenario kinds are placed on fixed claim slots (``index % 50``) so that even a 5-claim file holds a
reversal, a claim-level-only claim, a fully denied claim and a mixed claim; the rest is random.
"""

from __future__ import annotations

import io
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

DEFAULT_SEED = 20261127
GENERATOR_VERSION = 1  # bump when the output changes, so cached files under benchmarks/data/ are regenerated
DATA_DIR = Path(__file__).resolve().parent / "data"

TERM = "~\n"
CENT = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)

CLAIMS_PER_ST = 2500  # an 835 transaction (one payment) holds at most this many claims
LX_MIN, LX_MAX = 20, 400  # LX groups hold this many claims

# fixed claim slots (index % 50) that make every scenario appear even in tiny files
SLOT_REVERSAL, SLOT_CLAIM_LEVEL, SLOT_DENIED, SLOT_MIXED, SLOT_NO_SECONDARY = 1, 2, 3, 4, 6
MEDICARE_EVERY = 25  # subscriber slot (index % 25 == 2) that is a Medicare crossover

FIRST = [
    "JANE",
    "JOHN",
    "MARY",
    "JAMES",
    "LINDA",
    "ROBERT",
    "SUSAN",
    "DAVID",
    "KAREN",
    "MARIA",
    "PAUL",
    "ANNA",
    "MARK",
    "LISA",
    "KEVIN",
    "NANCY",
    "BRIAN",
    "EMMA",
    "OLIVER",
    "SOFIA",
]
LAST = [
    "DOE",
    "SMITH",
    "JOHNSON",
    "BROWN",
    "GARCIA",
    "MILLER",
    "DAVIS",
    "WILSON",
    "MOORE",
    "TAYLOR",
    "ANDERSON",
    "THOMAS",
    "JACKSON",
    "WHITE",
    "HARRIS",
    "MARTIN",
    "LEE",
    "WALKER",
    "HALL",
    "YOUNG",
]
STREETS = ["OAK AVE", "MAPLE ST", "ELM ST", "PINE RD", "CEDAR LN", "LAKE DR", "HILL ST", "PARK AVE"]
CITIES = [
    ("SPRINGFIELD", "IL", "62702"),
    ("PEORIA", "IL", "61602"),
    ("CHAMPAIGN", "IL", "61820"),
    ("DECATUR", "IL", "62521"),
    ("URBANA", "IL", "61801"),
]
# (procedure code, low charge, high charge) in whole dollars; modifiers applied to some lines
PROCEDURES = [
    ("99213", 90, 140),
    ("99214", 120, 190),
    ("99215", 180, 300),
    ("93000", 60, 110),
    ("97140", 50, 95),
    ("97110", 45, 90),
    ("97810", 70, 110),
    ("29881", 1800, 4200),
    ("J3301", 15, 40),
    ("90471", 20, 35),
    ("80053", 25, 70),
    ("36415", 8, 20),
]
MODIFIERS = ["GP", "25", "59", "LT", "RT"]
DIAGNOSES = ["I10", "E119", "M5450", "R079", "S83241A", "J069", "Z0000", "M545"]

PRIMARY = ("PRIMARY HEALTH PLAN", "11111")
SECONDARY = ("SECONDARY HEALTH PLAN", "22222")
MEDIGAP = ("AARP MEDICARE SUPPLEMENT", "32003")
PROVIDER_NAMES = [
    "ACME CLINIC",
    "NORTH SIDE FAMILY PRACTICE",
    "LAKEVIEW ORTHOPEDICS",
    "RIVER PHYSICAL THERAPY",
    "PRAIRIE CARDIOLOGY",
]
PROVIDER_WEIGHTS = [35, 25, 20, 12, 8]  # percent of the claims each billing provider gets


def npi(stem: int) -> str:
    """A 10-digit NPI with a valid Luhn check digit (computed over the 80840 prefix)."""
    base = f"{stem:09d}"
    digits = [int(c) for c in "80840" + base]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:  # rightmost digit of the payload is doubled (the check digit is not there yet)
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return base + str((10 - total % 10) % 10)


def fmt(amount: Decimal) -> str:
    """An X12 R amount: no '+', at most two decimals, no trailing zeros, never '-0'."""
    if not amount:
        return "0"
    if amount == amount.to_integral_value():
        return str(int(amount))
    text = format(amount.quantize(CENT), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def pct(amount: Decimal, percent: int) -> Decimal:
    return (amount * percent / HUNDRED).quantize(CENT, ROUND_HALF_UP)


def cas_segments(adjustments: list[tuple[str, str, Decimal]], sign: int = 1) -> list[str]:
    """CAS segments for (group, reason, amount) triples: one segment per group, at most 6 reasons each."""
    out: list[str] = []
    groups: dict[str, list[tuple[str, Decimal]]] = {}
    for group, reason, amount in adjustments:
        groups.setdefault(group, []).append((reason, amount))
    for group, items in groups.items():
        for start in range(0, len(items), 6):
            parts = ["CAS", group]
            for reason, amount in items[start : start + 6]:
                parts += [reason, fmt(amount * sign), ""]
            out.append("*".join(parts[:-1]))
    return out


# -------------------------------------------------------------------------------------------------- the model


@dataclass(slots=True)
class Line:
    code: str
    modifier: str
    charge: Decimal
    units: int
    ref6r: str
    date: str


@dataclass(slots=True)
class LineResult:
    paid: Decimal
    adjustments: list[tuple[str, str, Decimal]]
    allowed: Decimal | None
    denied: bool


@dataclass(slots=True)
class Adjudication:
    lines: list[LineResult] | None  # None: claim-level only (no SVC)
    claim_adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)

    def patient(self) -> Decimal:
        total = sum((a for g, _, a in self.claim_adjustments if g == "PR"), ZERO)
        for r in self.lines or ():
            total += sum((a for g, _, a in r.adjustments if g == "PR"), ZERO)
        return total


class _Generator:
    def __init__(self, n_claims: int, seed: int, out837: Callable[[str], None], out835: Callable[[str], None]):
        self.n = n_claims
        self.seed = seed
        self.rng = random.Random(seed)
        self.w837 = out837
        self.w835 = out835
        self.dates = self._dates()

    @staticmethod
    def _dates() -> list[str]:
        import datetime

        start = datetime.date(2024, 1, 1)
        return [(start + datetime.timedelta(days=i)).strftime("%Y%m%d") for i in range(400)]

    # ----------------------------------------------------------------------------------------- adjudication
    def _adjudicate_amount(
        self, charge: Decimal, medicare: bool
    ) -> tuple[Decimal, list[tuple[str, str, Decimal]], Decimal]:
        """Paid amount, adjustments and allowed amount for one charge (a line, or a whole claim)."""
        rng = self.rng
        adj: list[tuple[str, str, Decimal]] = []
        allowed = pct(charge, rng.randint(40, 95))
        if charge - allowed:
            adj.append(("CO", "45", charge - allowed))
        rest = allowed
        r = rng.random()
        if r < 0.25 and rest:
            ded = min(rest, Decimal(rng.randint(5, 120)))
            adj.append(("PR", "1", ded))
            rest -= ded
        if not medicare and rng.random() < 0.25 and rest:
            copay = min(rest, Decimal(rng.choice((10, 15, 20, 25, 30, 40))))
            adj.append(("PR", "3", copay))
            rest -= copay
        if (medicare or rng.random() < 0.35) and rest:
            coins = pct(rest, 20)
            if coins:
                adj.append(("PR", "2", coins))
                rest -= coins
        if rng.random() < 0.03 and rest:
            oa = min(rest, pct(rest, rng.randint(5, 30)))
            if oa:
                adj.append(("OA", "23", oa))
                rest -= oa
        if rng.random() < 0.03 and rest:
            pi = pct(rest, 5)
            if pi:
                adj.append(("PI", "104", pi))
                rest -= pi
        if (medicare or rng.random() < 0.08) and rest:
            seq = pct(rest, 2)
            if seq:
                # sequestration is reported as CO-253 next to CO-45 (same CAS segment)
                if adj and adj[0][:2] == ("CO", "45"):
                    adj.insert(1, ("CO", "253", seq))
                else:
                    adj.insert(0, ("CO", "253", seq))
                rest -= seq
        return rest, adj, allowed

    def _adjudicate(self, lines: list[Line], kind: str, medicare: bool) -> Adjudication:
        rng = self.rng
        if kind == "claim_level":
            total = sum((ln.charge for ln in lines), ZERO)
            _, adj, _ = self._adjudicate_amount(total, medicare)
            return Adjudication(None, adj)
        results: list[LineResult] = []
        for i, ln in enumerate(lines):
            deny = kind == "denied" or (rng.random() < 0.07 and not (kind == "mixed" and i == 0))
            if deny:
                if rng.random() < 0.5:
                    results.append(LineResult(ZERO, [("CO", "50", ln.charge)], None, True))
                else:
                    results.append(LineResult(ZERO, [("PR", "204", ln.charge)], None, True))
                continue
            paid, adj, allowed = self._adjudicate_amount(ln.charge, medicare)
            if kind == "mixed":  # the deductible goes to the claim level; lines keep only CO
                adj = [a for a in adj if a[0] == "CO"]
                paid = ln.charge - sum((a for _, _, a in adj), ZERO)
            results.append(LineResult(paid, adj, allowed, False))
        claim_adj: list[tuple[str, str, Decimal]] = []
        if kind == "mixed":
            paid_lines = sum((r.paid for r in results), ZERO)
            ded = min(paid_lines, Decimal(rng.randint(10, 150)) + pct(paid_lines, rng.randint(0, 20)))
            if ded:
                claim_adj.append(("PR", "1", ded))
            coins = pct(paid_lines - ded, 20)
            if coins:
                claim_adj.append(("PR", "2", coins))
        return Adjudication(results, claim_adj)

    # ----------------------------------------------------------------------------------------- 835 rendering
    def _render_835_claim(
        self, out: list[str], c: _Claim, adj: Adjudication, status: str, icn: str, sign: int = 1, f8: str = ""
    ) -> Decimal:
        """Append one 2100 loop (and its 2110s); returns CLP04 (signed)."""
        charge = c.total * sign
        line_cas_total = ZERO
        for r in adj.lines or ():
            line_cas_total += sum((a for _, _, a in r.adjustments), ZERO)
        claim_cas_total = sum((a for _, _, a in adj.claim_adjustments), ZERO)
        paid = (c.total - line_cas_total - claim_cas_total) * sign
        patient = "" if sign < 0 else fmt(adj.patient())
        filing = "MB" if c.medicare else "12"
        out.append(f"CLP*{c.pcn}*{status}*{fmt(charge)}*{fmt(paid)}*{patient}*{filing}*{icn}*11*1")
        out += cas_segments(adj.claim_adjustments, sign)
        out.append(f"NM1*QC*1*{c.patient_last}*{c.patient_first}****MI*{c.member_id}")
        if c.dependent:
            out.append(f"NM1*IL*1*{c.sub_last}*{c.sub_first}****MI*{c.member_id}")
        if status == "19":
            out.append(f"NM1*TT*2*{MEDIGAP[0]}*****PI*{MEDIGAP[1]}")
            out.append("MOA***MA01*MA18")
        if f8:
            out.append(f"REF*F8*{f8}")
        if adj.lines is None:
            out.append(f"DTM*232*{c.first_date}")
            out.append(f"DTM*233*{c.last_date}")
        out.append(f"DTM*050*{c.received}")
        if adj.lines is not None:
            for ln, r in zip(c.lines, adj.lines, strict=True):
                proc = f"HC:{ln.code}:{ln.modifier}" if ln.modifier else f"HC:{ln.code}"
                if r.denied:
                    out.append(f"SVC*{proc}*{fmt(ln.charge * sign)}*0**0**{ln.units}")
                else:
                    out.append(f"SVC*{proc}*{fmt(ln.charge * sign)}*{fmt(r.paid * sign)}**{ln.units}")
                out.append(f"DTM*472*{ln.date}")
                out += cas_segments(r.adjustments, sign)
                out.append(f"REF*6R*{ln.ref6r}")
                if r.allowed is not None:
                    out.append(f"AMT*B6*{fmt(r.allowed * sign)}")
                if r.denied and r.adjustments[0][1] == "50":
                    out.append("LQ*HE*N115")
        return paid

    # ----------------------------------------------------------------------------------------- 837 rendering
    @staticmethod
    def _render_837_claim(out: list[str], c: _Claim) -> None:
        out.append(f"CLM*{c.pcn}*{fmt(c.total)}***11:B:1*Y*A*Y*Y")
        out.append(f"HI*ABK:{c.diagnosis}")
        if c.has_secondary:
            payer = MEDIGAP if c.medicare else SECONDARY
            out.append(f"SBR*S*{'19' if c.dependent else '18'}*{'' if c.medicare else 'GRP2002'}******CI")
            out.append("OI***Y***Y")
            out.append(f"NM1*IL*1*{c.other_last}*{c.other_first}****MI*{c.other_id}")
            out.append(f"NM1*PR*2*{payer[0]}*****PI*{payer[1]}")
        for i, ln in enumerate(c.lines, 1):
            proc = f"HC:{ln.code}:{ln.modifier}" if ln.modifier else f"HC:{ln.code}"
            out.append(f"LX*{i}")
            out.append(f"SV1*{proc}*{fmt(ln.charge)}*UN*{ln.units}***1")
            out.append(f"DTP*472*D8*{ln.date}")
            out.append(f"REF*6R*{ln.ref6r}")

    # ----------------------------------------------------------------------------------------- the run
    def run(self) -> None:
        rng = self.rng
        n = self.n
        # claims per billing provider (largest remainder so they sum to n)
        quotas = [n * w // 100 for w in PROVIDER_WEIGHTS]
        for i in range(n - sum(quotas)):
            quotas[i % len(quotas)] += 1
        providers = [
            (PROVIDER_NAMES[i], npi(123456700 + 37 * i), f"37{1234567 + 1111 * i:07d}", q)
            for i, q in enumerate(quotas)
            if q
        ]

        stamp837 = (
            "ISA*00*          *00*          *ZZ*ACMEBILLING    *ZZ*CLEARINGHOUSE  *241201*0800*^*"
            "00501*000000001*0*T*:" + TERM + "GS*HC*ACMEBILLING*CLEARINGHOUSE*20241201*0800*1*X*005010X222A1" + TERM
        )
        head837 = [
            "ST*837*0001*005010X222A1",
            f"BHT*0019*00*BATCH{self.seed}*20241201*0800*CH",
            "NM1*41*2*ACME BILLING SERVICES*****46*ACMEBILLING",
            "PER*IC*BILLING OFFICE*TE*5555551212",
            "NM1*40*2*CLEARINGHOUSE INC*****46*CLEARINGHOUSE",
        ]
        self.w837(stamp837 + TERM.join(head837) + TERM)
        count837 = len(head837)
        self.w835(
            "ISA*00*          *00*          *ZZ*PRIMARYPAYER   *ZZ*ACMEBILLING    *241215*0900*^*00501*"
            "000000501*0*T*:" + TERM + "GS*HP*PRIMARYPAYER*ACMEBILLING*20241215*0900*501*X*005010X221A1" + TERM
        )
        self.st_count = 0

        hl = 0
        k = 0  # claim index over the whole file
        subscriber_index = 0
        for pname, pnpi, ein, quota in providers:
            hl += 1
            prov_hl = hl
            city, state, zipc = CITIES[hl % len(CITIES)]
            seg = [
                f"HL*{hl}**20*1",
                f"NM1*85*2*{pname}*****XX*{pnpi}",
                f"N3*{100 + hl} MAIN ST",
                f"N4*{city}*{state}*{zipc}0000",
                f"REF*EI*{ein}",
            ]
            self.w837(TERM.join(seg) + TERM)
            count837 += len(seg)
            tx = _Transaction835(self, pname, pnpi)
            left = quota
            while left:
                n_sub_claims = min(left, rng.choice((1, 1, 1, 2, 2, 3, 4)))
                left -= n_sub_claims
                subscriber_index += 1
                medicare = subscriber_index % MEDICARE_EVERY == 2 or rng.random() < 0.02
                dependent = not medicare and rng.random() < 0.3
                sub_first, sub_last = rng.choice(FIRST), rng.choice(LAST)
                member_id = f"{'1EG' if medicare else 'PRI'}{subscriber_index:08d}"
                city, state, zipc = rng.choice(CITIES)
                street = f"{rng.randint(1, 9999)} {rng.choice(STREETS)}"
                sex = rng.choice("FM")
                dob = (
                    f"{rng.randint(1940 if medicare else 1950, 1959 if medicare else 2003)}"
                    f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
                )
                hl += 1
                sub_hl = hl
                out: list[str] = [
                    f"HL*{hl}*{prov_hl}*22*{1 if dependent else 0}",
                    f"SBR*P*{'' if dependent else '18'}*{'' if medicare else 'GRP1001'}******"
                    f"{'MB' if medicare else '12'}",
                    f"NM1*IL*1*{sub_last}*{sub_first}****MI*{member_id}",
                    f"N3*{street}",
                    f"N4*{city}*{state}*{zipc}0000",
                    f"DMG*D8*{dob}*{sex}",
                    f"NM1*PR*2*{'MEDICARE PART B' if medicare else PRIMARY[0]}*****PI*{PRIMARY[1]}",
                ]
                pat_first, pat_last = sub_first, sub_last
                if dependent:
                    hl += 1
                    pat_first = rng.choice(FIRST)
                    out += [
                        f"HL*{hl}*{sub_hl}*23*0",
                        "PAT*19",
                        f"NM1*QC*1*{pat_last}*{pat_first}",
                        f"N3*{street}",
                        f"N4*{city}*{state}*{zipc}0000",
                        f"DMG*D8*{rng.randint(2004, 2020)}{rng.randint(1, 12):02d}"
                        f"{rng.randint(1, 28):02d}*{rng.choice('FM')}",
                    ]
                other_first = sub_first if not dependent else rng.choice(FIRST)
                for _ in range(n_sub_claims):
                    c = self._make_claim(
                        k,
                        medicare,
                        dependent,
                        sub_first,
                        sub_last,
                        pat_first,
                        pat_last,
                        member_id,
                        other_first,
                        subscriber_index,
                    )
                    self._render_837_claim(out, c)
                    tx.add(c)
                    k += 1
                self.w837(TERM.join(out) + TERM)
                count837 += len(out)
            tx.close()
        self.w837(f"SE*{count837 + 1}*0001{TERM}GE*1*1{TERM}IEA*1*000000001{TERM}")
        self.w835(f"GE*{self.st_count}*501{TERM}IEA*1*000000501{TERM}")

    def _make_claim(
        self,
        k: int,
        medicare: bool,
        dependent: bool,
        sub_first: str,
        sub_last: str,
        pat_first: str,
        pat_last: str,
        member_id: str,
        other_first: str,
        sub_index: int,
    ) -> _Claim:
        rng = self.rng
        slot = k % 50
        pcn = f"PCN{k + 1:07d}"
        day = rng.randint(0, 330)
        lines: list[Line] = []
        n_lines = rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5, 6))
        for j in range(n_lines):
            code, lo, hi = rng.choice(PROCEDURES)
            cents = rng.randint(lo * 100, hi * 100)
            charge = Decimal(cents // 100) if rng.random() < 0.6 else Decimal(cents) / HUNDRED
            units = rng.choice((1, 1, 1, 1, 2, 3)) if code.startswith("97") else 1
            modifier = rng.choice(MODIFIERS) if rng.random() < 0.15 else ""
            lines.append(
                Line(
                    code,
                    modifier,
                    charge * units,
                    units,
                    f"{pcn}-{j + 1}",
                    self.dates[day + (j if rng.random() < 0.1 else 0)],
                )
            )
        if slot == SLOT_CLAIM_LEVEL or rng.random() < 0.03:
            kind = "claim_level"
        elif slot == SLOT_DENIED or rng.random() < 0.01:
            kind = "denied"
        elif slot == SLOT_MIXED or rng.random() < 0.03:
            kind = "mixed"
        else:
            kind = "normal"
        reversal = slot == SLOT_REVERSAL or rng.random() < 0.01
        has_secondary = medicare or not (slot == SLOT_NO_SECONDARY or rng.random() < 0.02)
        dates = [ln.date for ln in lines]
        return _Claim(
            pcn=pcn,
            total=sum((ln.charge for ln in lines), ZERO),
            lines=lines,
            kind=kind,
            medicare=medicare,
            dependent=dependent,
            reversal=reversal,
            has_secondary=has_secondary,
            diagnosis=rng.choice(DIAGNOSES),
            patient_first=pat_first,
            patient_last=pat_last,
            sub_first=sub_first,
            sub_last=sub_last,
            member_id=member_id,
            other_first=other_first,
            other_last=sub_last,
            other_id=f"{'MG' if medicare else 'SEC'}{sub_index:08d}",
            first_date=min(dates),
            last_date=max(dates),
            received=self.dates[day + 10 + rng.randint(0, 5)],
        )


@dataclass(slots=True)
class _Claim:
    pcn: str
    total: Decimal
    lines: list[Line]
    kind: str
    medicare: bool
    dependent: bool
    reversal: bool
    has_secondary: bool
    diagnosis: str
    patient_first: str
    patient_last: str
    sub_first: str
    sub_last: str
    member_id: str
    other_first: str
    other_last: str
    other_id: str
    first_date: str
    last_date: str
    received: str


class _Transaction835:
    """The 835 transactions of one payee: claims buffered per transaction (at most CLAIMS_PER_ST), then
    written with BPR02 = Σ CLP04 − Σ PLB and the right SE01."""

    def __init__(self, gen: _Generator, payee: str, payee_npi: str):
        self.gen = gen
        self.payee = payee
        self.npi = payee_npi
        self._reset()

    def _reset(self) -> None:
        self.body: list[str] = []
        self.claims = 0
        self.paid = ZERO
        self.lx = 0
        self.lx_left = 0
        self.icns: list[str] = []

    def add(self, c: _Claim) -> None:
        gen, rng = self.gen, self.gen.rng
        if self.lx_left == 0:
            self.lx += 1
            self.lx_left = rng.randint(LX_MIN, LX_MAX)
            self.body.append(f"LX*{self.lx}")
        self.lx_left -= 1
        num = int(c.pcn[3:])
        icn = f"ICN{gen.seed % 1000:03d}{num:09d}"
        if c.reversal:
            original = gen._adjudicate(c.lines, c.kind, c.medicare)
            self.paid += gen._render_835_claim(self.body, c, original, "22", icn, sign=-1)
            old_icn, icn = icn, icn + "B"
        else:
            old_icn = ""
        adj = gen._adjudicate(c.lines, c.kind, c.medicare)
        if c.medicare:
            status = "19"
        elif adj.lines is not None and all(r.denied for r in adj.lines) and not adj.claim_adjustments:
            status = "4"
        else:
            status = "1"
        self.paid += gen._render_835_claim(self.body, c, adj, status, icn, f8=old_icn)
        self.icns.append(icn)
        self.claims += 1
        if self.claims >= CLAIMS_PER_ST:
            self.close()

    def close(self) -> None:
        if not self.claims:
            return
        gen, rng = self.gen, self.gen.rng
        gen.st_count += 1
        st = gen.st_count
        plb: list[tuple[str, str, Decimal]] = []  # (reason, reference, amount)
        if st % 3 == 1:
            interest = Decimal(rng.randint(100, 5000)) / HUNDRED
            plb.append(("L6", self.icns[0], -interest))
            recovery = min(Decimal(rng.randint(2500, 20000)) / HUNDRED, pct(self.paid, 10))
            if recovery > 0:
                plb.append(("WO", self.icns[-1], recovery))
        bpr = self.paid - sum((a for _, _, a in plb), ZERO)
        if bpr < 0:  # the payer carries the excess recovery forward: BPR02 is never negative
            plb.append(("FB", self.icns[-1], bpr))
            bpr = ZERO
        date = "20241215"
        if bpr:
            head = [
                f"ST*835*{st:04d}",
                f"BPR*I*{fmt(bpr)}*C*ACH*CCP*01*999999999*DA*123456*1111111111**01*888888888*DA*98765*{date}",
            ]
        else:
            head = [f"ST*835*{st:04d}", f"BPR*H*0*C*NON************{date}"]
        head += [
            f"TRN*1*EFT{gen.seed}{st:05d}*1111111111",
            "DTM*405*20241214",
            f"N1*PR*{PRIMARY[0]}",
            "N3*1 PAYER WAY",
            "N4*CHICAGO*IL*606010000",
            f"REF*2U*{PRIMARY[1]}",
            "PER*BL*EDI SUPPORT*TE*8005550100",
            f"N1*PE*{self.payee}*XX*{self.npi}",
        ]
        tail: list[str] = []
        for start in range(0, len(plb), 6):
            parts = ["PLB", self.npi, "20241231"]
            for reason, ref, amount in plb[start : start + 6]:
                parts += [f"{reason}:{ref}", fmt(amount)]
            tail.append("*".join(parts))
        count = len(head) + len(self.body) + len(tail) + 1
        tail.append(f"SE*{count}*{st:04d}")
        gen.w835(TERM.join(head) + TERM + TERM.join(self.body) + TERM + TERM.join(tail) + TERM)
        self._reset()


# ------------------------------------------------------------------------------------------------- public API


def _generate(n_claims: int, seed: int, out837: Callable[[str], None], out835: Callable[[str], None]) -> None:
    if n_claims < 1:
        raise ValueError("n_claims must be at least 1")
    _Generator(n_claims, seed, out837, out835).run()


def generate_pair(n_claims: int, seed: int = DEFAULT_SEED) -> tuple[bytes, bytes]:
    """The generated (837P bytes, 835 bytes) for ``n_claims`` claims."""
    b837, b835 = io.StringIO(), io.StringIO()
    _generate(n_claims, seed, b837.write, b835.write)
    return b837.getvalue().encode("ascii"), b835.getvalue().encode("ascii")


def pair_paths(directory: str | os.PathLike, n_claims: int, seed: int = DEFAULT_SEED) -> tuple[Path, Path]:
    stem = f"gen{GENERATOR_VERSION}_{n_claims}_{seed}"
    d = Path(directory)
    return d / f"{stem}.837", d / f"{stem}.835"


def write_pair(directory: str | os.PathLike | None, n_claims: int, seed: int = DEFAULT_SEED) -> tuple[Path, Path]:
    """Write the pair under ``directory`` (default benchmarks/data/), reusing files already there.

    Streams to temporary files in the same folder, then renames them, so a cached file is always complete.
    """
    d = Path(directory) if directory is not None else DATA_DIR
    d.mkdir(parents=True, exist_ok=True)
    p837, p835 = pair_paths(d, n_claims, seed)
    if p837.exists() and p835.exists():
        return p837, p835
    t837, t835 = p837.with_suffix(".837.tmp"), p835.with_suffix(".835.tmp")
    with open(t837, "w", encoding="ascii", newline="") as f837, open(t835, "w", encoding="ascii", newline="") as f835:
        _generate(n_claims, seed, f837.write, f835.write)
        for f in (f837, f835):
            f.flush()
            os.fsync(f.fileno())
    os.replace(t837, p837)
    os.replace(t835, p835)
    return p837, p835


def main(argv: list[str] | None = None) -> int:
    import argparse
    import time

    ap = argparse.ArgumentParser(description="Write a generated 837P/835 pair")
    ap.add_argument("claims", type=int)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--dir", default=None, help="output folder (default benchmarks/data/)")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    p837, p835 = write_pair(args.dir, args.claims, args.seed)
    print(
        f"{p837} ({p837.stat().st_size:,} bytes)\n{p835} ({p835.stat().st_size:,} bytes)\n"
        f"{time.perf_counter() - t:.1f}s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
