"""Posting on the store counts each dollar once whatever convention the secondary uses (the metamorphic
property of issue 12).

An answer of the secondary is generated as plain figures (per line: its payment, its own CO-45, PR-2, PR-96,
and the primary's PR it did not pay and reported no PR for), then written as a real 835 in every way real
secondaries write it: OA-23 for the primary's payment and contractual per line; OA-23 for the payment only
with the primary's adjustments restated; no OA-23 (CO-45 for everything it did not pay); CO-23; one lump
OA-23 at claim level; and, for a whole-charge denial, CLP02 = 4 with CO, PR or OA on the whole charge. Each
is posted after the same primary answer on a fresh store. Every expression must give the same patient
balance, the same write-offs by category, the same open amount, a balanced statement that conserves the
charge exactly, a ledger that agrees with it, and every denial of the secondary on the worklist.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edi.posting import Poster
from edi.remittances import read_claim_groups
from edi.store.sqlite import MEMORY, SQLiteStore
from parsers.read837 import read_837
from rules.settlement import CREDIT, OTHER, PATIENT, WRITE_OFFS
from tests.support import EXAMPLES, make835

CLAIM = "PCN1001"
KEYS = ("PCN1001-1", "PCN1001-2")
PROCEDURES = ("99214", "93000")
DENIALS = (("CO", "27"), ("PR", "96"), ("OA", "109"))


def _money(cents: int) -> str:
    return str(Decimal(cents) / 100)


@dataclass
class Line:
    charge: int
    paid1: int  # the primary's answer (cents)
    co45_1: int
    co50_1: int
    pr1_1: int
    pr2_1: int
    paid2: int = 0  # the secondary's own answer on what was left open
    co45_2: int = 0
    pr2_2: int = 0
    pr96_2: int = 0
    kept: int = 0  # the primary's PR it did not pay and reported no PR for

    @property
    def open(self) -> int:
        return self.pr1_1 + self.pr2_1

    @property
    def settled(self) -> int:
        return self.charge - self.open


def _split(draw, total: int, k: int) -> list[int]:
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=k - 1, max_size=k - 1)))
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(k)]


@st.composite
def cases(draw):
    lines = []
    denial = draw(st.sampled_from((None, *DENIALS)))
    for _ in KEYS:
        charge = draw(st.integers(1, 50_000))
        line = Line(charge, *_split(draw, charge, 5))
        if denial is None:
            line.paid2, line.co45_2, line.pr2_2, line.pr96_2, line.kept = _split(draw, line.open, 5)
        lines.append(line)
    return lines, denial


# ------------------------------------------------------------------------------------------ the 835s
def _svc(key: str, proc: str, charge: int, paid: int, cas: list[tuple[str, str, int]]) -> list[str]:
    segs = [f"SVC*HC:{proc}*{_money(charge)}*{_money(paid)}**1"]
    segs += [f"CAS*{g}*{r}*{_money(c)}" for g, r, c in cas if c]
    return [*segs, f"REF*6R*{key}"]


def _answer(payer: str, status: str, icn: str, lines: list[Line], paid, line_cas, claim_cas=()) -> bytes:
    """One 835 claim of `payer`: per line (paid, CAS triplets), claim-level CAS; CLP05 = Σ PR."""
    charge = sum(ln.charge for ln in lines)
    paid_total = sum(paid)
    body = []
    prs = sum(c for g, _, c in claim_cas if g == "PR")
    for ln, key, proc, p, cas in zip(lines, KEYS, PROCEDURES, paid, line_cas, strict=True):
        body += _svc(key, proc, ln.charge, p, cas)
        prs += sum(c for g, _, c in cas if g == "PR")
    clp = f"CLP*{CLAIM}*{status}*{_money(charge)}*{_money(paid_total)}*{_money(prs) if prs else ''}*12*{icn}"
    head = [clp, *[f"CAS*{g}*{r}*{_money(c)}" for g, r, c in claim_cas if c]]
    return make835("LX*1", *head, *body, bpr02=_money(paid_total), payer_id=payer, trace=f"TRN{icn}")


def _primary(lines: list[Line]) -> bytes:
    cas = [
        [("CO", "45", ln.co45_1), ("CO", "50", ln.co50_1), ("PR", "1", ln.pr1_1), ("PR", "2", ln.pr2_1)] for ln in lines
    ]
    return _answer("11111", "1", "PRI1", lines, [ln.paid1 for ln in lines], cas)


def _own(ln: Line, denial) -> list[tuple[str, str, int]]:
    if denial is not None:
        return [(*denial, ln.open)]
    return [("CO", "45", ln.co45_2), ("PR", "2", ln.pr2_2), ("PR", "96", ln.pr96_2)]


def _conventions(lines: list[Line], denial) -> dict[str, bytes]:
    """The secondary's one answer, written the ways real secondaries write it."""
    paid = [ln.paid2 for ln in lines]
    out = {
        "oa23-per-line": [[("OA", "23", ln.settled + ln.kept), *_own(ln, denial)] for ln in lines],
        "co23": [[("CO", "23", ln.settled + ln.kept), *_own(ln, denial)] for ln in lines],
    }
    if all(ln.kept == 0 for ln in lines):  # these ways cannot say "not paid, still the patient's"
        out["oa23-paid-only"] = [
            [("OA", "23", ln.paid1), ("CO", "45", ln.co45_1), ("CO", "50", ln.co50_1), *_own(ln, denial)]
            for ln in lines
        ]
        out["no-oa23"] = [
            [("CO", "45", ln.settled + ln.co45_2), ("PR", "2", ln.pr2_2), ("PR", "96", ln.pr96_2)]
            if denial is None
            else [("CO", "45", ln.settled), *_own(ln, denial)]
            for ln in lines
        ]
    written = {name: _answer("22222", "2", "SEC1", lines, paid, cas) for name, cas in out.items()}
    lump = sum(ln.settled + ln.kept for ln in lines)
    written["lump-oa23"] = _answer(
        "22222", "2", "SEC1", lines, paid, [_own(ln, denial) for ln in lines], [("OA", "23", lump)]
    )
    if denial is not None:  # the whole charge denied at claim level
        charge = sum(ln.charge for ln in lines)
        written["whole-charge"] = _answer("22222", "4", "SEC1", lines, [0, 0], [[], []], [(*denial, charge)])
    return written


# ------------------------------------------------------------------------------------------ posting
def _original(lines: list[Line]):
    text = (EXAMPLES / "A_original.837").read_text()
    total = sum(ln.charge for ln in lines)
    text = text.replace("CLM*PCN1001*250*", f"CLM*PCN1001*{_money(total)}*")
    for proc, old, ln in zip(PROCEDURES, ("150", "100"), lines, strict=True):
        text = text.replace(f"SV1*HC:{proc}*{old}*", f"SV1*HC:{proc}*{_money(ln.charge)}*")
    claims, _ = read_837(text.encode(), "original.837")
    return claims[0]


def _post(original, remits: list[bytes]):
    """Post the answers on a fresh store; the statement, the ledger and the open worklist."""
    store = SQLiteStore(MEMORY)
    try:
        row = store.put_original(original, None)
        poster = Poster(store)
        for data in remits:
            groups, _ = read_claim_groups(data, "answer.835")
            for group in groups:
                result = poster.post_group(group.payments, store.originals(group.claim_id), group.raw)
                assert not result.refused, result.refused
        (statement,) = poster.statement(CLAIM)
        assert row
        return statement, store.ledger(CLAIM), store.worklist("open")
    finally:
        store.close()


def _figures(s) -> tuple:
    pb = s.patient_balance
    return (
        s.write_off,
        (pb.total, pb.deductible, pb.coinsurance, pb.copay, pb.noncovered, pb.other, pb.due_from),
        s.other_adjustments,
        s.credit,
        s.paid_by_payer,
    )


def _check(lines: list[Line], denial) -> None:
    original = _original(lines)
    primary = _primary(lines)
    results = {name: _post(original, [primary, data]) for name, data in _conventions(lines, denial).items()}
    baseline = None
    for name, (s, ledger, worklist) in results.items():
        charge = Decimal(sum(ln.charge for ln in lines)) / 100
        assert s.charge == charge and s.is_balanced() and s.unresolved == 0, (name, s.review)
        assert s.placed_total == charge
        assert s.credit == 0 and all(a.reason != "23" for a in s.adjustments), name
        by = {c: sum((e.amount for e in ledger if e.category == c), Decimal(0)) for c in (*WRITE_OFFS, PATIENT, OTHER)}
        wo = s.write_off
        assert [by[c] for c in WRITE_OFFS] == [wo.contractual, wo.administrative, wo.bad_debt, wo.charity], name
        assert (by[PATIENT], by[OTHER]) == (s.patient_balance.total, s.other_adjustments), name
        assert sum((e.amount for e in ledger if e.category == CREDIT), Decimal(0)) == -s.credit
        assert sum((e.amount for e in ledger if e.kind == "payment"), Decimal(0)) == s.paid_total
        if denial is not None:
            owed = sum(ln.open for ln in lines)
            items = [w for w in worklist if w.payer_id == "22222" and (w.group, w.reason) == denial]
            assert sum((Decimal(w.amount) for w in items), Decimal(0)) * 100 == owed, (name, worklist)
        figures = _figures(s)
        if baseline is None:
            baseline = (name, figures)
        assert figures == baseline[1], f"{name} differs from {baseline[0]}"
    expected_contractual = Decimal(sum(ln.co45_1 + ln.co45_2 for ln in lines)) / 100
    assert baseline[1][0].contractual == expected_contractual


@given(cases())
def test_every_convention_of_the_secondary_posts_the_same(case):
    _check(*case)


@pytest.mark.slow
@given(cases())
def test_long_run_of_every_convention_posting_the_same(case):
    """`make test-long`: the same property on 10,000 cases (profile "long")."""
    _check(*case)
