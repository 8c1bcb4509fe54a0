"""Property-based tests of `edi.pipeline.convert` on generated original 837P + primary 835 pairs
(tests/strategies.py).

For every generated claim the reference says must convert, the secondary claim written balances (B4-B7),
reproduces the primary's adjudication exactly (CAS at the level the payer used, AMT*D = net CLP04, AMT*EAF =
sum PR at exactly one level, DTP*573 at exactly one level, SVD01 = 2330B NM109), carries the provider's claim
over unchanged, and survives a read/write round trip. For every case, convert never raises and gives one
outcome per CLP01; an unbalanced 835 is never converted; a crossover is never converted unless it failed.

Profiles (tests/conftest.py): "default" runs each property on a few dozen cases; `make test-long` runs the
slow-marked copy of the main property on 10,000 (HYPOTHESIS_PROFILE=long).
"""

from __future__ import annotations

import itertools
import tempfile
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edi.config import Settings
from edi.pipeline import ConvertResult, convert
from edi.validation import validate_text
from parsers.models import Claim837, Segment
from parsers.read837 import read_837
from parsers.syntax import Tokenizer
from rules.balance import check_cob_balance
from rules.outcome import CONVERTED, CROSSOVER, NEEDS_REVIEW
from tests.support import strategies as S
from writers.claim837 import parties_from, write_837

NOW = datetime(2024, 6, 1, 12, 0)
ZERO = Decimal(0)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """Where the generated files and the control-number state go: tmpfs when there is one (every convert
    fsyncs its control-number counter, and the long run converts 10,000 times)."""
    if Path("/dev/shm").is_dir():
        with tempfile.TemporaryDirectory(dir="/dev/shm", prefix="edi-properties-") as tmp:
            yield Path(tmp)
    else:  # pragma: no cover
        yield tmp_path_factory.mktemp("properties")


def run(case: S.Case, workdir: Path) -> ConvertResult:
    """Write the pair to files and convert them, as `edi convert` would (no output file, no report)."""
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        remit = Path(tmp) / "primary.835"
        original = Path(tmp) / "original.837"
        remit.write_bytes(S.render_835(case))
        original.write_bytes(S.render_837(case))
        return convert(remit, [original], None, None, Settings(state_dir=workdir / "state"), now=NOW)


def counter():
    numbers = itertools.count(1)
    return lambda: next(numbers)


# ------------------------------------------------------------------------------------------ segment helpers
def cas_triplets(segments: list[Segment]) -> Counter:
    """Multiset of (group, reason, amount, quantity) over the CAS segments among `segments`."""
    out: Counter = Counter()
    for seg in segments:
        if seg[0] != "CAS":
            continue
        for i in range(2, len(seg), 3):
            if seg[i]:
                qty = seg[i + 2] if i + 2 < len(seg) and seg[i + 2] else None
                out[(seg[1], seg[i], Decimal(seg[i + 1]), None if qty is None else Decimal(qty))] += 1
    return out


def merged(adjustments: list[S.Adj]) -> Counter:
    """The 835 adjustments as an 837 must report them: (group, CARC) pairs merged, amounts and quantities
    summed, zero amounts dropped (reference §2.1, §3.8 group_cas)."""
    sums: dict[tuple[str, str], list] = {}
    for a in adjustments:
        entry = sums.setdefault((a.group, a.reason), [0, None])
        entry[0] += a.cents
        if a.quantity is not None:
            entry[1] = (entry[1] or 0) + a.quantity
    return Counter(
        {(g, r, S.money(c), None if q is None else Decimal(q)): 1 for (g, r), (c, q) in sums.items() if c != 0}
    )


def amount(segments: list[Segment], qualifier: str) -> list[Decimal]:
    return [Decimal(s[2]) for s in segments if s[0] == "AMT" and s[1] == qualifier]


def dtp573(segments: list[Segment]) -> int:
    return sum(1 for s in segments if s[:2] == ["DTP", "573"])


def trimmed(seg: Segment) -> Segment:
    seg = list(seg)
    while len(seg) > 1 and seg[-1] == "":
        seg.pop()
    return seg


# ------------------------------------------------------------------------------------------ the properties
def check_secondary(claim: S.ClaimCase, written: Claim837) -> None:
    """Everything the reference requires of one secondary claim, read back from the 837 we wrote."""
    final = claim.final
    primary_id = S.PRIMARY[1]
    assert check_cob_balance(written) == []
    assert written.subscriber.sbr[1] == "S" and written.payer_id == S.SECONDARY[1]

    # The provider's claim, unchanged: 2300 (CLM05-3 aside) and each line's 2400.
    clm_expected, lines_expected = S.original_claim_segments(claim)
    got = [trimmed(s) for s in written.segments]
    assert got[0][5].split(":")[2] == "1"
    got[0][5] = got[0][5].rsplit(":", 1)[0] + ":1"
    assert got == clm_expected
    assert [[trimmed(s) for s in line.segments] for line in written.lines] == lines_expected
    assert written.charge == S.money(claim.charge)

    # 2320/2330 of the primary: exactly one, and the only other payer.
    assert [p.payer_id for p in written.other_payers] == [primary_id]
    payer = written.other_payers[0]
    assert payer.sbr[1] == "P"
    assert payer.sbr[2] == claim.primary_relationship
    assert payer.subscriber[9] == claim.primary_member
    assert amount(payer.segments, "D") == [S.money(final.paid)]  # AMT*D = net CLP04
    assert payer.paid >= 0
    claim_cas = cas_triplets(payer.segments)
    assert claim_cas == merged(final.claim_adjustments)  # L1: claim-level CAS stay at claim level

    adjudications = [a for line in written.lines for a in line.adjudications]
    line_cas_total = ZERO
    if final.services:
        assert [len(line.adjudications) for line in written.lines] == [1] * len(claim.lines)
        by_line = {svc.line: svc for svc in final.services}
        for index, line in enumerate(written.lines):
            svc = by_line[index]
            adj = line.adjudications[0]
            svd = adj.segments[0]
            assert svd[1] == payer.payer[9] == primary_id  # L2
            assert adj.paid == S.money(svc.paid) and adj.paid >= 0
            assert svd[3].split(":") == ["HC", claim.lines[index].code, *claim.lines[index].modifiers]
            assert Decimal(svd[5]) == (1 if svc.units_paid is None else svc.units_paid)
            cas = cas_triplets(adj.segments)
            assert cas == merged(svc.adjustments)  # L1: the 835 line CAS, merged
            adjusted = sum((a[2] * n for a, n in cas.items()), ZERO)
            assert adj.paid + adjusted == line.charge  # B4
            line_cas_total += adjusted
            assert dtp573(adj.segments) == 1
    else:
        assert adjudications == []  # example C: no 2430 without SVC loops
    # DTP*573 at exactly one level (L3)
    assert dtp573(payer.segments) == (0 if final.services else 1)

    # AMT*EAF: sum PR, at one level only (L4), the level the reference's rule picks
    claim_eaf = amount(payer.segments, "EAF")
    line_eaf = [e for a in adjudications for e in amount(a.segments, "EAF")]
    assert not (claim_eaf and line_eaf)
    assert sum(claim_eaf + line_eaf, ZERO) == S.money(final.pr_total)
    claim_level = not final.services or any(a.group == "PR" for a in final.claim_adjustments)
    if claim_level:
        assert len(claim_eaf) == 1 and line_eaf == []
    else:
        assert claim_eaf == [] and len(line_eaf) == len(claim.lines)
        for line, svc in zip(written.lines, sorted(final.services, key=lambda s: s.line), strict=True):
            pr = sum(a.cents for a in svc.adjustments if a.group == "PR")
            assert amount(line.adjudications[0].segments, "EAF") == [S.money(pr)]

    # No cent created or lost: sum of every CAS (2320 + 2430) + AMT*D = CLM02 (B5)
    total = sum((a[2] * n for a, n in claim_cas.items()), ZERO) + line_cas_total + payer.paid
    assert total == written.charge

    # Never a negative amount in an 837 (R1)
    cob_segments = [s for p in written.other_payers for s in p.segments]
    for seg in cob_segments + [s for a in adjudications for s in a.segments]:
        if seg[0] in ("AMT", "SVD"):
            assert Decimal(seg[2]) >= 0, seg


def check_round_trip(claims: list[Claim837]) -> None:
    """write -> read -> write gives the same text, with the same control numbers and time."""
    parties = parties_from(claims[0])
    first = write_837(claims, parties, counter(), NOW)
    again, findings = read_837(first.encode("latin-1"))
    assert [f for f in findings if f.severity == "error"] == []
    second = write_837(again, parties, counter(), NOW)
    assert second == first
    assert list(Tokenizer.from_bytes(second.encode("latin-1"))) == list(Tokenizer.from_bytes(first.encode("latin-1")))


def check_case(case: S.Case, workdir: Path) -> ConvertResult:
    """The main property: what every generated case must satisfy."""
    result = run(case, workdir)
    ids = [claim.claim_id for claim in case.claims]
    assert [o.claim_id for o in result.outcomes] == ids  # one outcome per CLP01, in order
    outcomes = {o.claim_id: o for o in result.outcomes}
    for claim in case.claims:
        outcome = outcomes[claim.claim_id]
        assert outcome.disposition == S.expected_disposition(claim), outcome.reasons
        if outcome.disposition == CONVERTED:
            assert outcome.payment.paid == S.money(claim.final.paid)  # netted reversals
            assert check_cob_balance(outcome.secondary) == []
        else:
            assert outcome.secondary is None
    converted = [c for c in case.claims if outcomes[c.claim_id].disposition == CONVERTED]
    if not converted:
        assert result.text == ""
        return result
    written, findings = read_837(result.text.encode("latin-1"))
    assert [f for f in findings if f.severity == "error"] == []
    assert [c.claim_id for c in written] == [c.claim_id for c in converted]  # one claim per converted CLP01
    for claim, secondary in zip(converted, written, strict=True):
        check_secondary(claim, secondary)
    check_round_trip(written)
    check_round_trip([outcomes[c.claim_id].secondary for c in converted])
    return result


# ------------------------------------------------------------------------------------------ tests
@given(S.cases(convertible=True))
def test_convertible_cases_convert_and_balance(workdir, case):
    result = check_case(case, workdir)
    assert all(o.disposition == CONVERTED for o in result.outcomes)


@given(S.cases(crossover=None))
def test_any_case_gets_one_outcome_per_claim_and_converted_ones_balance(workdir, case):
    check_case(case, workdir)


@given(S.cases(convertible=True, reversal="same-file") | S.cases(convertible=True, reversal="correction"))
def test_reversals_are_netted_before_conversion(workdir, case):
    result = check_case(case, workdir)
    assert all(o.disposition == CONVERTED for o in result.outcomes)
    assert not any(
        value.startswith("-") for seg in Tokenizer.from_bytes(result.text.encode("latin-1")) for value in seg[1:]
    )


@given(S.mutated(S.cases(convertible=True, crossover=False)))
def test_an_unbalanced_835_is_never_converted(workdir, mutation):
    case, index, what = mutation
    result = run(case, workdir)
    assert [o.claim_id for o in result.outcomes] == [c.claim_id for c in case.claims]
    concerned = case.claims if index < 0 else [case.claims[index]]
    for claim in concerned:
        outcome = next(o for o in result.outcomes if o.claim_id == claim.claim_id)
        assert outcome.disposition == NEEDS_REVIEW, (what, outcome.reasons)
        assert outcome.secondary is None
        if result.text:
            assert claim.claim_id not in [c.claim_id for c in read_837(result.text.encode("latin-1"))[0]]
    if index < 0:
        assert result.text == ""


@given(S.cases(crossover=True, reversal="none"))
def test_crossover_is_never_converted_unless_it_failed(workdir, case):
    result = check_case(case, workdir)
    for claim, outcome in zip(case.claims, result.outcomes, strict=True):
        if claim.crossover_failed:
            assert outcome.disposition != CROSSOVER
        else:
            assert outcome.disposition == CROSSOVER
            assert outcome.secondary is None
    if not any(c.crossover_failed for c in case.claims):
        assert result.text == ""


@settings(max_examples=5, deadline=None)
@given(S.small_cases())
def test_written_837_passes_pyx12(workdir, case):
    result = check_case(case, workdir)
    assert result.text
    validation = validate_text(result.text)
    assert validation.ok, [f.as_dict() for f in validation.findings]


@pytest.mark.slow
@given(S.cases(crossover=None))
def test_long_run_of_the_main_property(workdir, case):
    """`make test-long`: the main property on 10,000 cases (profile "long")."""
    check_case(case, workdir)


def test_generated_delimiters_cover_the_odd_ones():
    """The delimiter strategy reaches every separator listed (a guard against a narrowed strategy)."""
    seen: set[tuple[str, str]] = set()

    @settings(max_examples=300, deadline=None, database=None)
    @given(S.delimiters())
    def collect(d):
        seen.update({("e", d.element), ("c", d.component), ("t", d.terminator), ("n", str(d.line_break))})
        assert len({d.element, d.component, d.terminator, d.repetition}) == 4

    collect()
    assert {("e", c) for c in S.ELEMENT_SEPARATORS} <= seen
    assert {("c", c) for c in S.COMPONENT_SEPARATORS} <= seen
    assert {("t", t) for t in S.TERMINATORS} <= seen
    assert {("n", "True"), ("n", "False")} <= seen


@given(st.data())
def test_strategies_build_balanced_835s(data):
    """The generator's own invariants (B1, B2, CLP05 = sum PR, CLM02 = sum SV102), so that a failure above is
    the pipeline's, not the generator's."""
    case = data.draw(S.cases(crossover=None))
    for claim in case.claims:
        for adj in claim.adjudications:
            assert adj.charge - sum(a.cents for a in adj.all_adjustments()) == adj.paid
            for svc in adj.services:
                assert svc.charge - sum(a.cents for a in svc.adjustments) == svc.paid
            if adj.status != "22":
                assert adj.paid >= 0 and adj.charge == claim.charge
        final = claim.final
        assert final.status != "22"
        if len(claim.adjudications) > 1:
            reversal = claim.adjudications[-2]
            assert reversal.status == "22" and final.ref_f8 == reversal.icn
