"""Hypothesis strategies: a matched pair of X12 files, an original 837P to the primary and the primary's 835.

A case is first built as plain data (`Case`: claims, lines, adjudications, all money as integer cents), then
rendered to X12 text with the case's own delimiters. Everything balances by construction:

* every 835 line: SVC02 - sum(line CAS) = SVC03 (B1), every claim: CLP03 - sum(all CAS) = CLP04 (B2), the
  transaction: BPR02 = sum(CLP04) (B3, no PLB); CLP05 = sum(PR) except on reversals (CLP05 empty);
* the original 837: CLM02 = sum(SV102).

Coverage (the worked examples of COB-REFERENCE §8 are the templates):

* 1-12 service lines, with or without REF*6R (without: matching by procedure/date/charge, example C2);
* every CAS group (CO, PR, OA, PI), several CARCs per group drawn with repetition, 1-6 triplets per CAS
  segment, a group split over several CAS segments, optional quantities;
* layouts: line-level only (A, B), claim-level only with no SVC loops (C), claim-level CAS plus line-level CAS
  (C2 and its generalisation to any groups at claim level);
* denied lines (SVC03 = 0, SVC05 = 0, SVC07 = billed units, CO-50 or PR-204 for the whole charge), lines paid
  in full (no CAS), SVC05 absent (one paid unit);
* reversals (R1): CLP02=22 exact negation of an earlier adjudication, then the correction with REF*F8, with
  the earlier adjudication in an earlier 835 (example E) or in the same one;
* dependents: a 2000C on the primary side and/or SBR02 other than 18 in the secondary's 2320;
* crossovers (X1): CLP02=19, NM1*TT and/or MOA MA18/MA07/N89, optionally with a failure remark MA19/MA08/MA68;
* delimiters for each file drawn independently (element from '*|^~!', component from ':>\\!', terminator from
  '~', newline, '|', ...), all distinct, with or without a line break after the terminator; no data value
  contains any of them;
* amounts with 0, 1 or 2 decimals: integer cents, rendered through Decimal, never float.

`expected_disposition` says what the reference (§3.8, §5.4, X1, R1) wants for a claim of the case.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import strategies as st

# ------------------------------------------------------------------------------------------ constants
ELEMENT_SEPARATORS = "*|^~!"
COMPONENT_SEPARATORS = ":>\\!"
TERMINATORS = ("~", "\n", "|", "'", "!")
REPETITION_SEPARATORS = "^{}`"

CARCS = {  # a pool per group; none of the non-PR ones is a "correctable" CARC (rules.carc.CORRECTABLE_CARCS)
    "CO": ("45", "253", "97", "59", "242", "131"),
    "PR": ("1", "2", "3", "66", "119", "204"),
    "OA": ("23", "18", "94", "121", "209", "186"),
    "PI": ("45", "104", "204", "94", "50", "97"),
}
GROUPS = tuple(CARCS)
PROCEDURES = (
    "99211",
    "99212",
    "99213",
    "99214",
    "99215",
    "93000",
    "97140",
    "97810",
    "29881",
    "90782",
    "J3301",
    "36415",
    "81002",
    "71046",
    "20610",
)
MODIFIERS = ("25", "59", "LT", "RT", "GP", "76")
DIAGNOSES = ("I10", "E119", "R079", "J069", "M545", "Z0000")
PLACES = ("11", "22", "21", "12")
LAST_NAMES = ("DOE", "SMITH", "JONES", "GARCIA", "NGUYEN", "OBRIEN", "KIM")
FIRST_NAMES = ("JANE", "JOHN", "TED", "MARIA", "ALEX", "SAM", "LEE")
RELATIONSHIPS = ("01", "19", "20", "21", "39", "40", "53", "G8")
SERVICE_DATES = ("20240105", "20240210", "20240215", "20240320", "20240401", "20240402")
PRIMARY = ("PRIMARY HEALTH PLAN", "11111")
SECONDARY = ("SECONDARY HEALTH PLAN", "22222")
CROSSOVER_REMARKS = ("MA18", "MA07", "N89")
CROSSOVER_FAILED = ("MA19", "MA08", "MA68")


def money(cents: int) -> Decimal:
    """Integer cents -> Decimal (exact; never through float)."""
    return Decimal(cents).scaleb(-2)


def amount_text(cents: int) -> str:
    """X12 R value: no exponent, no trailing zeros, '-' for negatives ('72', '40.5', '21.04', '-160')."""
    text = format(money(cents), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# ------------------------------------------------------------------------------------------ data
@dataclass(frozen=True)
class Delims:
    element: str
    component: str
    repetition: str
    terminator: str
    line_break: bool

    @property
    def end(self) -> str:
        return self.terminator + ("\n" if self.line_break else "")


@dataclass
class Adj:
    group: str
    reason: str
    cents: int
    quantity: int | None = None

    def negated(self) -> Adj:
        return Adj(self.group, self.reason, -self.cents, self.quantity)


@dataclass
class Line:
    code: str
    modifiers: tuple[str, ...]
    charge: int  # cents
    units: int
    date: str
    control: str | None  # REF*6R


@dataclass
class Service:
    """One 835 SVC loop (adjudication of one line)."""

    line: int  # index of the 837 line
    charge: int
    paid: int
    cas: list[list[Adj]]  # CAS segments as read: each a list of triplets of one group
    units_paid: int | None  # None: SVC05 absent (1 unit)
    original_units: int | None = None  # SVC07
    remarks: list[str] = field(default_factory=list)  # LQ*HE

    @property
    def adjustments(self) -> list[Adj]:
        return [a for seg in self.cas for a in seg]


@dataclass
class Adjudication:
    """One 835 CLP loop."""

    status: str
    icn: str
    charge: int
    paid: int
    claim_cas: list[list[Adj]]
    services: list[Service]
    ref_f8: str | None = None
    moa: list[str] | None = None  # MOA03.. remark codes
    crossover_carrier: bool = False  # NM1*TT

    @property
    def claim_adjustments(self) -> list[Adj]:
        return [a for seg in self.claim_cas for a in seg]

    def all_adjustments(self) -> list[Adj]:
        out = list(self.claim_adjustments)
        for svc in self.services:
            out += svc.adjustments
        return out

    @property
    def pr_total(self) -> int:
        return sum(a.cents for a in self.all_adjustments() if a.group == "PR")

    def reversal(self) -> Adjudication:
        """CLP02=22: every amount negated, same groups and CARCs, same CLP07 (reference §1.8)."""
        return Adjudication(
            "22",
            self.icn,
            -self.charge,
            -self.paid,
            [[a.negated() for a in seg] for seg in self.claim_cas],
            [
                Service(
                    s.line,
                    -s.charge,
                    -s.paid,
                    [[a.negated() for a in seg] for seg in s.cas],
                    s.units_paid,
                    s.original_units,
                )
                for s in self.services
            ],
        )


@dataclass
class Person:
    last: str
    first: str
    street: str
    city: str
    zip: str
    birth: str
    sex: str


@dataclass
class ClaimCase:
    claim_id: str
    lines: list[Line]
    diagnoses: list[str]
    place: str
    onset: str | None  # 2300 DTP*431
    clearinghouse_id: str | None  # 2300 REF*D9
    patient: Person
    primary_subscriber: Person  # is `patient` when the patient is the primary's subscriber
    primary_relationship: str  # 18, or PAT01 of the primary side's 2000C
    primary_member: str
    secondary_subscriber: Person
    secondary_relationship: str  # 2320 SBR02 of the original (18 when the patient is that subscriber)
    secondary_member: str
    secondary_address: bool  # 2330A N3/N4 in the original
    adjudications: list[Adjudication]  # in 835 order; the last one is the final word

    @property
    def charge(self) -> int:
        return sum(line.charge for line in self.lines)

    @property
    def final(self) -> Adjudication:
        return self.adjudications[-1]

    @property
    def has_crossover_signal(self) -> bool:
        final = self.final
        return final.status == "19" or final.crossover_carrier or any(r in CROSSOVER_REMARKS for r in final.moa or ())

    @property
    def crossover_failed(self) -> bool:
        return any(r in CROSSOVER_FAILED for r in self.final.moa or ())


@dataclass
class Case:
    d837: Delims
    d835: Delims
    claims: list[ClaimCase]
    payment_date: str
    production_date: str | None  # 835 DTM*405
    bpr_delta: int = 0  # a mutation of BPR02 (cents); 0 = balanced


def expected_disposition(claim: ClaimCase) -> str:
    """What the reference wants for this claim (§3.8 whole-claim denials, §5.4/X1 crossovers, R1)."""
    final = claim.final
    if claim.has_crossover_signal and not claim.crossover_failed:
        return "crossover"
    if final.status == "4":
        nonzero = [a for a in final.all_adjustments() if a.cents != 0]
        if any(a.group != "PR" for a in nonzero):
            return "needs-review"  # provider-liability denial: appeal the primary (policy default)
    if final.pr_total <= 0:
        return "nothing-due"
    return "converted"


# ------------------------------------------------------------------------------------------ strategies
@st.composite
def delimiters(draw) -> Delims:
    element = draw(st.sampled_from(ELEMENT_SEPARATORS))
    component = draw(st.sampled_from([c for c in COMPONENT_SEPARATORS if c != element]))
    terminator = draw(st.sampled_from([t for t in TERMINATORS if t not in (element, component)]))
    repetition = draw(st.sampled_from([r for r in REPETITION_SEPARATORS if r not in (element, component, terminator)]))
    return Delims(element, component, repetition, terminator, draw(st.booleans()))


@st.composite
def splits(draw, total: int, count: int, step: int) -> list[int]:
    """`count` + 1 non-negative parts summing to `total`, multiples of `step` except possibly the last."""
    cuts = sorted(draw(st.lists(st.integers(0, total // step), min_size=count, max_size=count)))
    points = [0] + [c * step for c in cuts] + [total]
    return [b - a for a, b in zip(points, points[1:], strict=False)]


@st.composite
def cas_segments(draw, amounts: list[int], groups: list[str] | None = None, quantities: bool = True) -> list[list[Adj]]:
    """Adjustments with these (positive) amounts, packed in CAS segments of one group each (1-6 triplets)."""
    adjs = []
    pool = draw(st.integers(1, 6))  # a narrow pool makes repeated CARCs (merged in the 837) common
    for i, cents in enumerate(amounts):
        group = groups[i] if groups else draw(st.sampled_from(GROUPS))
        reason = draw(st.sampled_from(CARCS[group][:pool]))
        quantity = draw(st.none() | st.integers(1, 5)) if quantities else None
        adjs.append(Adj(group, reason, cents, quantity))
    by_group: dict[str, list[Adj]] = {}
    for adj in adjs:
        by_group.setdefault(adj.group, []).append(adj)
    segments = []
    for entries in by_group.values():
        while entries:
            size = draw(st.integers(1, min(6, len(entries))))
            segments.append(entries[:size])
            entries = entries[size:]
    return draw(st.permutations(segments)) if len(segments) > 1 else segments


@st.composite
def service(draw, index: int, line: Line, step: int, kind: str) -> Service:
    units_absent = draw(st.booleans())
    if kind == "denied":
        group, reason = draw(st.sampled_from([("CO", "50"), ("PR", "204")]))
        return Service(
            index,
            line.charge,
            0,
            [[Adj(group, reason, line.charge)]],
            0,
            line.units,
            ["N115"] if group == "CO" and draw(st.booleans()) else [],
        )
    if kind == "paid-in-full":
        return Service(index, line.charge, line.charge, [], None if units_absent else line.units)
    count = draw(st.integers(1, 8))
    parts = draw(splits(line.charge, count, step))
    amounts = [p for p in parts[:-1] if p > 0]
    paid = parts[-1] + sum(p for p in parts[:-1] if p <= 0)
    if not amounts:
        return Service(index, line.charge, line.charge, [], None if units_absent else line.units)
    cas = draw(cas_segments(amounts))
    return Service(index, line.charge, paid, cas, None if units_absent else line.units)


@st.composite
def adjudication(draw, lines: list[Line], step: int, layout: str, icn: str, want_pr: bool) -> Adjudication:
    """A balanced adjudication of these lines: 'lines' (A/B), 'claim' (C: no SVC) or 'mixed' (C2)."""
    charge = sum(line.charge for line in lines)
    services: list[Service] = []
    claim_cas: list[list[Adj]] = []
    if layout in ("lines", "mixed"):
        for i, line in enumerate(lines):
            kind = draw(st.sampled_from(["adjusted", "adjusted", "adjusted", "denied", "paid-in-full"]))
            services.append(draw(service(i, line, step, kind)))
        budget = sum(s.paid for s in services)
    else:
        budget = charge
    if layout in ("claim", "mixed") and budget > 0:
        count = draw(st.integers(1, 8))
        parts = draw(splits(budget, count, step))
        amounts = [p for p in parts[:-1] if p > 0]
        if amounts:
            groups = None
            if layout == "mixed" and draw(st.booleans()):  # C2: claim-level PR only
                groups = ["PR"] * len(amounts)
            claim_cas = draw(cas_segments(amounts, groups))
    result = Adjudication("1", icn, charge, 0, claim_cas, services)
    result.paid = charge - sum(a.cents for a in result.all_adjustments())
    if want_pr and result.pr_total == 0:
        _force_patient_responsibility(draw, result)
    return result


def _force_patient_responsibility(draw, adj: Adjudication) -> None:
    """Make one adjustment patient responsibility (the amounts, hence the balance, stay as they are)."""
    segments = [seg for seg in adj.claim_cas]
    for svc in adj.services:
        segments += svc.cas
    if not segments:  # everything paid in full: move a cent... of the first line, keep it balanced
        target = adj.services[0] if adj.services else None
        cents = 1 if target is None else max(1, min(target.paid, 100))
        if target is not None and target.paid >= cents:
            target.paid -= cents
            target.cas.append([Adj("PR", draw(st.sampled_from(CARCS["PR"])), cents)])
        else:
            adj.claim_cas.append([Adj("PR", draw(st.sampled_from(CARCS["PR"])), cents)])
        adj.paid -= cents
        return
    seg = draw(st.sampled_from(segments))
    for a in seg:  # a CAS segment holds one group: change the whole segment
        a.group = "PR"
        a.reason = draw(st.sampled_from(CARCS["PR"]))


@st.composite
def person(draw, zip_base: int) -> Person:
    return Person(
        draw(st.sampled_from(LAST_NAMES)),
        draw(st.sampled_from(FIRST_NAMES)),
        f"{draw(st.integers(1, 999))} OAK AVE",
        draw(st.sampled_from(["SPRINGFIELD", "MIAMI", "AUSTIN"])),
        f"{zip_base + draw(st.integers(0, 99)):05d}0000",
        f"19{draw(st.integers(30, 99))}0315",
        draw(st.sampled_from("FM")),
    )


@st.composite
def claim_case(
    draw,
    number: int,
    convertible: bool = False,
    crossover: bool | None = False,
    reversal: str | None = None,
    max_lines: int = 12,
) -> ClaimCase:
    """One claim and its primary's adjudication(s).

    convertible: built so the reference says "convert" (PR > 0, no crossover, no liability denial).
    crossover: True forces crossover signals (maybe with a failure remark), False forbids them, None draws.
    reversal: 'none', 'correction' (reversal of an earlier 835's claim + correction), 'same-file' (original,
    reversal and correction all in this 835), or None to draw.
    """
    claim_id = f"PCN{number}{draw(st.integers(100, 99999))}"
    n_lines = draw(st.integers(1, max_lines))
    step = draw(st.sampled_from([1, 10, 100]))  # 2, 1 or 0 decimals
    use_6r = draw(st.booleans()) or n_lines == 1
    lines = []
    for i in range(n_lines):
        code = draw(st.sampled_from(PROCEDURES))
        modifiers = tuple(draw(st.lists(st.sampled_from(MODIFIERS), max_size=2, unique=True)))
        charge = draw(st.integers(1, 5000)) * step
        lines.append(
            Line(
                code,
                modifiers,
                charge,
                draw(st.integers(1, 4)),
                draw(st.sampled_from(SERVICE_DATES)),
                f"{claim_id}-{i + 1}" if use_6r else None,
            )
        )
    layout = draw(st.sampled_from(["lines", "lines", "claim", "mixed"]))
    icn = f"PRICLM{number}B{draw(st.integers(1, 9999))}"
    final = draw(adjudication(lines, step, layout, icn, convertible))
    if final.paid == 0 and not convertible:
        final.status = draw(st.sampled_from(["1", "4"]))
    elif final.paid == 0 and all(a.group == "PR" for a in final.all_adjustments() if a.cents):
        final.status = draw(st.sampled_from(["1", "4"]))  # a PR-only whole-claim denial still goes on
    if draw(st.booleans()):
        final.moa = ["MA01"]
    if crossover is None:
        crossover = draw(st.integers(0, 4)) == 0
    if crossover and not convertible:
        signals = draw(st.sets(st.sampled_from(["status", "tt", "moa"]), min_size=1))
        if "status" in signals:
            final.status = "19"
        final.crossover_carrier = "tt" in signals
        remarks = list(final.moa or [])
        if "moa" in signals:
            remarks.append(draw(st.sampled_from(CROSSOVER_REMARKS)))
        if draw(st.booleans()):
            remarks.append(draw(st.sampled_from(CROSSOVER_FAILED)))
        final.moa = remarks or None
    adjudications = [final]
    if reversal is None:
        reversal = draw(st.sampled_from(["none", "none", "correction", "same-file"]))
    if reversal != "none":
        earlier_layout = layout if draw(st.booleans()) else draw(st.sampled_from(["lines", "claim", "mixed"]))
        earlier_icn = f"PRICLM{number}A{draw(st.integers(1, 9999))}"
        earlier = draw(adjudication(lines, step, earlier_layout, earlier_icn, False))
        if earlier.paid == 0:
            earlier.status = "4"
        final.ref_f8 = earlier.icn
        adjudications = [earlier.reversal(), final]
        if reversal == "same-file":
            adjudications.insert(0, earlier)
    patient = draw(person(62700))
    dependent_on_primary = draw(st.booleans())
    primary_relationship = draw(st.sampled_from(RELATIONSHIPS)) if dependent_on_primary else "18"
    primary_subscriber = draw(person(62800)) if dependent_on_primary else patient
    secondary_relationship = draw(st.sampled_from(("18",) + RELATIONSHIPS))
    secondary_subscriber = patient if secondary_relationship == "18" else draw(person(62900))
    return ClaimCase(
        claim_id,
        lines,
        draw(st.lists(st.sampled_from(DIAGNOSES), min_size=1, max_size=3, unique=True)),
        draw(st.sampled_from(PLACES)),
        draw(st.none() | st.sampled_from(SERVICE_DATES)),
        draw(st.none() | st.just(f"CH{number}{draw(st.integers(1000, 9999))}")),
        patient,
        primary_subscriber,
        primary_relationship,
        f"PRI{draw(st.integers(100000, 999999))}",
        secondary_subscriber,
        secondary_relationship,
        f"SEC{draw(st.integers(100000, 999999))}",
        draw(st.booleans()),
        adjudications,
    )


@st.composite
def cases(
    draw,
    min_claims: int = 1,
    max_claims: int = 3,
    convertible: bool = False,
    crossover: bool | None = False,
    reversal: str | None = None,
    max_lines: int | None = None,
) -> Case:
    """A matched pair: one 837P file with 1-3 claims to the primary and the primary's 835 for them."""
    count = draw(st.integers(min_claims, max_claims))
    claims = [draw(claim_case(i + 1, convertible, crossover, reversal, max_lines or 12)) for i in range(count)]
    d837 = draw(delimiters())
    d835 = draw(delimiters())
    return Case(
        d837,
        d835,
        claims,
        draw(st.sampled_from(["20240501", "20240515", "20240620"])),
        draw(st.none() | st.just("20240430")),
    )


@st.composite
def small_cases(draw) -> Case:
    """Small convertible cases (one claim, at most 3 lines) for the pyx12 check."""
    return draw(cases(1, 1, convertible=True, max_lines=3))


# ------------------------------------------------------------------------------------------ mutations
MUTATION_TARGETS = ("BPR02", "CLP03", "CLP04", "SVC02", "SVC03", "CAS")


@st.composite
def mutated(draw, case_strategy=None) -> tuple[Case, int, str]:
    """A case with one amount of its 835 changed so that it no longer balances (B1, B2 or B3).

    Returns (case, index of the claim concerned or -1 for BPR02 = the whole 835, what was changed)."""
    case = copy.deepcopy(draw(case_strategy if case_strategy is not None else cases()))
    delta = draw(st.integers(1, 500)) * draw(st.sampled_from([1, -1]))
    targets = ["BPR02", "CLP03", "CLP04", "CAS"]
    index = draw(st.integers(0, len(case.claims) - 1))
    claim = case.claims[index]
    which = draw(st.integers(0, len(claim.adjudications) - 1))
    adj = claim.adjudications[which]
    if adj.services:
        targets += ["SVC02", "SVC03"]
    if not adj.all_adjustments():
        targets.remove("CAS")
    target = draw(st.sampled_from(targets))
    if target == "BPR02":
        case.bpr_delta = delta
        return case, -1, target
    if target == "CLP03":
        adj.charge += delta
    elif target == "CLP04":
        adj.paid += delta
    elif target in ("SVC02", "SVC03"):
        svc = draw(st.sampled_from(adj.services))
        if target == "SVC02":
            svc.charge += delta
        else:
            svc.paid += delta
    else:
        segments = list(adj.claim_cas) + [seg for svc in adj.services for seg in svc.cas]
        seg = draw(st.sampled_from(segments))
        draw(st.sampled_from(seg)).cents += delta
    return case, index, f"{target} of CLP #{which + 1} of claim {claim.claim_id}"


# ------------------------------------------------------------------------------------------ rendering
def _render(segments: list[list], d: Delims) -> str:
    """Segments (elements str, or tuple for a composite) -> text, refusing a value holding a delimiter."""
    out = []
    used = {d.element, d.component, d.repetition, d.terminator, "\n"}
    for seg in segments:
        values = []
        for value in seg:
            parts = list(value) if isinstance(value, tuple) else [value]
            for part in parts:
                assert not (set(part) & used), f"data value {part!r} holds a delimiter of {d}"
            values.append(d.component.join(parts))
        while len(values) > 1 and values[-1] == "":
            values.pop()
        out.append(d.element.join(values) + d.end)
    return "".join(out)


def _isa(d: Delims, sender: str, receiver: str, date: str, number: int) -> str:
    fields = [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        "ZZ",
        sender.ljust(15),
        "ZZ",
        receiver.ljust(15),
        date[2:],
        "0800",
        d.repetition,
        "00501",
        f"{number:09d}",
        "0",
        "T",
        d.component,
    ]
    return d.element.join(fields) + d.end


def _envelope(
    d: Delims, body: list[list], functional: str, version: str, sender: str, receiver: str, date: str, number: int
) -> bytes:
    st_seg = ["ST", functional_set(functional), "0001"] + ([version] if functional == "HC" else [])
    segments = [st_seg] + body
    segments.append(["SE", str(len(segments) + 1), "0001"])
    text = _isa(d, sender, receiver, date, number)
    text += _render([["GS", functional, sender, receiver, date, "0800", str(number), "X", version]], d)
    text += _render(segments, d)
    text += _render([["GE", "1", str(number)], ["IEA", "1", f"{number:09d}"]], d)
    return text.encode("latin-1")


def functional_set(functional: str) -> str:
    return "837" if functional == "HC" else "835"


def _procedure(line: Line) -> tuple:
    return ("HC", line.code, *line.modifiers)


def claim_segments(claim: ClaimCase) -> list[list]:
    """The 2300 segments of the original claim (CLM first), as built (composites as tuples)."""
    out: list[list] = [
        ["CLM", claim.claim_id, amount_text(claim.charge), "", "", (claim.place, "B", "1"), "Y", "A", "Y", "Y"]
    ]
    if claim.onset:
        out.append(["DTP", "431", "D8", claim.onset])
    if claim.clearinghouse_id:
        out.append(["REF", "D9", claim.clearinghouse_id])
    hi = ["HI", ("ABK", claim.diagnoses[0])] + [("ABF", dx) for dx in claim.diagnoses[1:]]
    out.append(hi)
    return out


def line_segments(number: int, line: Line) -> list[list]:
    """The 2400 segments of one original line (LX first)."""
    out: list[list] = [
        ["LX", str(number)],
        ["SV1", _procedure(line), amount_text(line.charge), "UN", str(line.units), "", "", ("1",)],
        ["DTP", "472", "D8", line.date],
    ]
    if line.control:
        out.append(["REF", "6R", line.control])
    return out


def render_837(case: Case) -> bytes:
    body: list[list] = [
        ["BHT", "0019", "00", "ORIG0001", "20240108", "0800", "CH"],
        ["NM1", "41", "2", "ACME CLINIC", "", "", "", "", "46", "ACMECLINIC"],
        ["PER", "IC", "BILLING OFFICE", "TE", "5555551212"],
        ["NM1", "40", "2", "CLEARINGHOUSE INC", "", "", "", "", "46", "CLEARINGHOUSE"],
        ["HL", "1", "", "20", "1"],
        ["NM1", "85", "2", "ACME CLINIC", "", "", "", "", "XX", "1234567893"],
        ["N3", "100 MAIN ST"],
        ["N4", "SPRINGFIELD", "IL", "627010000"],
        ["REF", "EI", "371234567"],
    ]
    hl = 1
    for claim in case.claims:
        hl += 1
        subscriber_hl = hl
        dependent = claim.primary_relationship != "18"
        sub = claim.primary_subscriber
        body += [
            ["HL", str(hl), "1", "22", "1" if dependent else "0"],
            ["SBR", "P", "" if dependent else "18", "GRP1001", "", "", "", "", "", "12"],
            ["NM1", "IL", "1", sub.last, sub.first, "", "", "", "MI", claim.primary_member],
            ["N3", sub.street],
            ["N4", sub.city, "IL", sub.zip],
        ]
        if not dependent:
            body.append(["DMG", "D8", sub.birth, sub.sex])
        body.append(["NM1", "PR", "2", PRIMARY[0], "", "", "", "", "PI", PRIMARY[1]])
        if dependent:
            hl += 1
            pat = claim.patient
            body += [
                ["HL", str(hl), str(subscriber_hl), "23", "0"],
                ["PAT", claim.primary_relationship],
                ["NM1", "QC", "1", pat.last, pat.first],
                ["N3", pat.street],
                ["N4", pat.city, "IL", pat.zip],
                ["DMG", "D8", pat.birth, pat.sex],
            ]
        body += claim_segments(claim)
        sec = claim.secondary_subscriber
        body += [
            ["SBR", "S", claim.secondary_relationship, "GRP2002", "", "", "", "", "", "CI"],
            ["OI", "", "", "Y", "", "", "Y"],
            ["NM1", "IL", "1", sec.last, sec.first, "", "", "", "MI", claim.secondary_member],
        ]
        if claim.secondary_address:
            body += [["N3", sec.street], ["N4", sec.city, "IL", sec.zip]]
        body.append(["NM1", "PR", "2", SECONDARY[0], "", "", "", "", "PI", SECONDARY[1]])
        for i, line in enumerate(claim.lines):
            body += line_segments(i + 1, line)
    return _envelope(case.d837, body, "HC", "005010X222A1", "ACMECLINIC", "CLEARINGHOUSE", "20240108", 1)


def _cas(segments: list[list[Adj]]) -> list[list]:
    out = []
    for seg in segments:
        values: list = ["CAS", seg[0].group]
        for a in seg:
            values += [a.reason, amount_text(a.cents), "" if a.quantity is None else str(a.quantity)]
        out.append(values)
    return out


def _clp_segments(claim: ClaimCase, adj: Adjudication) -> list[list]:
    pr = "" if adj.status == "22" else amount_text(adj.pr_total)
    out: list[list] = [
        [
            "CLP",
            claim.claim_id,
            adj.status,
            amount_text(adj.charge),
            amount_text(adj.paid),
            pr,
            "12",
            adj.icn,
            "11",
            "1",
        ]
    ]
    out += _cas(adj.claim_cas)
    pat = claim.patient
    if claim.primary_relationship == "18":
        out.append(["NM1", "QC", "1", pat.last, pat.first, "", "", "", "MI", claim.primary_member])
    else:
        sub = claim.primary_subscriber
        out.append(["NM1", "QC", "1", pat.last, pat.first])
        out.append(["NM1", "IL", "1", sub.last, sub.first, "", "", "", "MI", claim.primary_member])
    if adj.crossover_carrier:
        out.append(["NM1", "TT", "2", "AARP MEDICARE SUPPLEMENT", "", "", "", "", "PI", "32003"])
    if adj.moa:
        out.append(["MOA", "", ""] + list(adj.moa))
    if adj.ref_f8:
        out.append(["REF", "F8", adj.ref_f8])
    if not adj.services:
        dates = sorted(line.date for line in claim.lines)
        out += [["DTM", "232", dates[0]], ["DTM", "233", dates[-1]]]
    for svc in adj.services:
        line = claim.lines[svc.line]
        # a reversal keeps the units (example E)
        units = "" if svc.units_paid is None else str(svc.units_paid)
        seg = ["SVC", _procedure(line), amount_text(svc.charge), amount_text(svc.paid), "", units]
        if svc.original_units is not None:
            seg += ["", str(svc.original_units)]
        out.append(seg)
        out.append(["DTM", "472", line.date])
        out += _cas(svc.cas)
        if line.control:
            out.append(["REF", "6R", line.control])
        out += [["LQ", "HE", r] for r in svc.remarks]
    return out


def render_835(case: Case) -> bytes:
    total = sum(adj.paid for claim in case.claims for adj in claim.adjudications)
    # A take-back larger than the new payments: the payer recovers the difference through PLB (a negative
    # PLB amount adds money back), so BPR02 is 0 and B3 still holds.
    recovered = min(total, 0)
    handling = "H" if total <= 0 else "I"
    body: list[list] = [
        ["BPR", handling, amount_text(total - recovered + case.bpr_delta), "C", "CHK"]
        + [""] * 11
        + [case.payment_date],  # BPR16: the payment date (DTP*573)
        ["TRN", "1", "CHK0001", "1111111111"],
    ]
    if case.production_date:
        body.append(["DTM", "405", case.production_date])
    body += [
        ["N1", "PR", PRIMARY[0]],
        ["N3", "1 PAYER WAY"],
        ["N4", "CHICAGO", "IL", "606010000"],
        ["PER", "BL", "EDI SUPPORT", "TE", "8005550100"],
        ["N1", "PE", "ACME CLINIC", "XX", "1234567893"],
        ["LX", "1"],
    ]
    for claim in case.claims:
        for adj in claim.adjudications:
            body += _clp_segments(claim, adj)
    if recovered:
        body.append(["PLB", "1234567893", "20241231", ("WO", "TAKEBACK1"), amount_text(recovered)])
    return _envelope(case.d835, body, "HP", "005010X221A1", "PRIMARYPAYER", "ACMECLINIC", case.payment_date, 501)


def original_claim_segments(claim: ClaimCase) -> tuple[list[list[str]], list[list[list[str]]]]:
    """The original's 2300 segments and each line's 2400 segments, composites joined with ':' and trailing
    empty elements dropped: what the secondary must carry over (CLM05-3 aside)."""
    return (
        [_plain(s) for s in claim_segments(claim)],
        [[_plain(s) for s in line_segments(i + 1, line)] for i, line in enumerate(claim.lines)],
    )


def _plain(seg: list) -> list[str]:
    values = [":".join(v) if isinstance(v, tuple) else v for v in seg]
    while len(values) > 1 and values[-1] == "":
        values.pop()
    return values
